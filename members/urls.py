from django.urls import path

from members import views

urlpatterns = [
    path("chapters/<slug:slug>/invitations/", views.invitation_list, name="invitation_list"),
    path(
        "chapters/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("join/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
