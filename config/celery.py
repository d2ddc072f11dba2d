"""The Celery app. Beat only ticks dispatchers; the database says what is due."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("chapterhouse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "meetings-keep-schedule": {
        "task": "meetings.tasks.meetings_keep_schedule",
        "schedule": crontab(minute=7),
    },
}
