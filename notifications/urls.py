from django.urls import path

from notifications import views

urlpatterns = [
    path("chapters/<slug:slug>/emails/", views.notification_preferences,
         name="notification_preferences"),
    path("chapters/<slug:slug>/emails/calendar/", views.calendar_feed_create,
         name="calendar_feed_create"),
    path("chapters/<slug:slug>/emails/calendar/revoke/", views.calendar_feed_revoke,
         name="calendar_feed_revoke"),
    path("chapters/<slug:slug>/emails/log/", views.delivery_log, name="delivery_log"),
    path("chapters/<slug:slug>/emails/log/<int:delivery_id>/resend/", views.delivery_resend,
         name="delivery_resend"),
    path("emails/unsubscribe/<str:token>/", views.notification_unsubscribe,
         name="notification_unsubscribe"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
