from django.urls import path

from reports import views_admin as views

urlpatterns = [
    path("manage/chapters/", views.chapter_overview, name="chapter_overview"),
    path("manage/chapters/new/", views.chapter_create, name="chapter_create"),
    path("manage/chapters/<slug:slug>/lights/", views.chapter_lights, name="chapter_lights"),
    path("chapters/<slug:slug>/settings/", views.chapter_settings, name="chapter_settings"),
]
