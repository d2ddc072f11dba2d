from django.urls import path

from members import views_membership as views

MEMBER = "chapters/<slug:slug>/membership/<int:member_id>/"
APPLICATION = "chapters/<slug:slug>/applications/<int:application_id>/"

urlpatterns = [
    path("chapters/<slug:slug>/membership/", views.membership_list, name="membership_list"),
    path(MEMBER, views.membership_detail, name="membership_detail"),
    path(MEMBER + "renew/", views.membership_renew, name="membership_renew"),
    path(MEMBER + "leave/", views.membership_leave, name="membership_leave"),
    path(MEMBER + "leave/end/", views.membership_leave_end, name="membership_leave_end"),
    path(MEMBER + "suspend/", views.membership_suspend, name="membership_suspend"),
    path(MEMBER + "drop/", views.membership_drop, name="membership_drop"),
    path(MEMBER + "reinstate/", views.membership_reinstate, name="membership_reinstate"),
    path(MEMBER + "transfer/", views.membership_transfer, name="membership_transfer"),
    path(MEMBER + "anonymise/", views.membership_anonymise, name="membership_anonymise"),
    path("chapters/<slug:slug>/roles/", views.role_list, name="role_list"),
    path("chapters/<slug:slug>/roles/<int:role_id>/end/", views.role_end, name="role_end"),
    path("chapters/<slug:slug>/applications/", views.application_list, name="application_list"),
    path(APPLICATION, views.application_detail, name="application_detail"),
    path(APPLICATION + "approve/", views.application_approve, name="application_approve"),
    path(APPLICATION + "decline/", views.application_decline, name="application_decline"),
    path(
        APPLICATION + "classification/",
        views.application_reclassify,
        name="application_reclassify",
    ),
    path("chapters/<slug:slug>/audit/", views.audit_list, name="audit_list"),
    path(
        "chapters/<slug:slug>/membership/import/",
        views.roster_import_upload,
        name="roster_import_upload",
    ),
    path(
        "chapters/<slug:slug>/membership/import/<int:batch_id>/",
        views.roster_import_preview,
        name="roster_import_preview",
    ),
    path(
        "chapters/<slug:slug>/membership/import/<int:batch_id>/confirm/",
        views.roster_import_confirm,
        name="roster_import_confirm",
    ),
    *(
        path(f"chapters/<slug:slug>/membership/export.{extension}", views.roster_export,
             {"extension": extension}, name=f"roster_export_{extension}")
        for extension in views.ROSTER_EXPORTS
    ),
]
