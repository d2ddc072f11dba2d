from django.urls import path

from meetings import views, views_applications

MEETING = "chapters/<slug:slug>/meetings/<int:meeting_id>/"

urlpatterns = [
    path("chapters/<slug:slug>/meetings/next/", views.meeting_next, name="meeting_next"),
    path(MEETING, views.meeting_detail, name="meeting_detail"),
    path(MEETING + "edit/", views.meeting_edit, name="meeting_edit"),
    path(MEETING + "status/", views.meeting_status, name="meeting_status"),
    path(MEETING + "agenda/", views.meeting_agenda, name="meeting_agenda"),
    path(MEETING + "attendance/", views.attendance, name="attendance"),
    path(MEETING + "attendance/mark/", views.attendance_mark, name="attendance_mark"),
    path(MEETING + "attendance/rows/", views.attendance_rows, name="attendance_rows"),
    path(MEETING + "attendance/rest/", views.attendance_mark_rest, name="attendance_mark_rest"),
    path(
        MEETING + "attendance/<int:member_id>/correct/",
        views.attendance_correct,
        name="attendance_correct",
    ),
    path(MEETING + "check-in/", views.checkin_code, name="checkin_code"),
    path(MEETING + "check-in/<str:checkin_token>/", views.checkin, name="checkin"),
    path(MEETING + "visitors/", views.meeting_visitors, name="meeting_visitors"),
    path(
        MEETING + "report/complete/",
        views.meeting_report_complete,
        name="meeting_report_complete",
    ),
    path("chapters/<slug:slug>/visitors/", views.visitor_list, name="visitor_list"),
    path(
        "chapters/<slug:slug>/visitors/classification-check/",
        views.visitor_classification_check,
        name="visitor_classification_check",
    ),
    path(
        "chapters/<slug:slug>/visitors/<int:visitor_id>/follow-up/",
        views.visitor_follow_up,
        name="visitor_follow_up",
    ),
    path(
        "chapters/<slug:slug>/visitors/<int:visitor_id>/invite/",
        views.visitor_invite,
        name="visitor_invite",
    ),
    path("chapters/<slug:slug>/absences/", views.absence_list, name="absence_list"),
    path(
        "chapters/<slug:slug>/applications/new/",
        views_applications.application_create,
        name="application_create",
    ),
]
