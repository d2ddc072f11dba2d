from django.urls import path

from reports import views_home as views

urlpatterns = [
    path("", views.home, name="home"),
    path("chapters/<slug:slug>/", views.chapter_home, name="chapter_home"),
]
