from django.urls import path

from reports import views, views_personal_data, views_weekly

MEETING = "chapters/<slug:slug>/meetings/<int:meeting_id>/"

urlpatterns = [
    path("chapters/<slug:slug>/meetings/", views_weekly.meeting_list, name="meeting_list"),
    path(MEETING + "report/", views_weekly.meeting_report, name="meeting_report"),
    path(MEETING + "report/numbers/", views_weekly.meeting_report_numbers,
         name="meeting_report_numbers"),
    path("chapters/<slug:slug>/reports/", views.reports_home, name="reports_home"),
    path("chapters/<slug:slug>/reports/palms/", views.reports_palms, name="reports_palms"),
    path("chapters/<slug:slug>/reports/export/<slug:kind>/", views.reports_export,
         name="reports_export"),
    path("chapters/<slug:slug>/reports/traffic-lights/", views.reports_traffic_lights,
         name="reports_traffic_lights"),
    path("chapters/<slug:slug>/reports/traffic-lights/<int:member_id>/",
         views.reports_member_light, name="reports_member_light"),
    path("chapters/<slug:slug>/reports/chapter-lights/", views.reports_chapter_lights,
         name="reports_chapter_lights"),
    path("chapters/<slug:slug>/reports/charts/", views.reports_charts, name="reports_charts"),
    path("chapters/<slug:slug>/reports/rules/", views.reports_rules, name="reports_rules"),
    path("chapters/<slug:slug>/reports/rules/choose/", views.reports_rules_choose,
         name="reports_rules_choose"),
    path("chapters/<slug:slug>/reports/import/", views.reports_import, name="reports_import"),
    path("chapters/<slug:slug>/reports/import/<int:batch_id>/", views.reports_import_preview,
         name="reports_import_preview"),
    path("me/data/", views_personal_data.my_data, name="my_data"),
    path("me/data.json", views_personal_data.my_data_json, name="my_data_json"),
    path("me/data.csv", views_personal_data.my_data_csv, name="my_data_csv"),
]
