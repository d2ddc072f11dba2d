from django.urls import path

from members import roster

urlpatterns = [
    path("chapters/<slug:slug>/roster/", roster.roster, name="roster"),
    path(
        "chapters/<slug:slug>/roster/<int:member_id>/", roster.member_profile, name="member_profile"
    ),
    path("chapters/<slug:slug>/profile/", roster.profile_edit, name="profile_edit"),
]
