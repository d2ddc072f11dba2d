"""The Celery app. Beat only ticks dispatchers; the database says what is due."""

import gc
import os

from celery import Celery, signals
from celery.schedules import crontab

from config.env import env_int

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


def _notifications_tick() -> dict:
    """Reminders and tallies: one dispatcher tick (every minute unless the environment says
    otherwise); ticks missed while workers were down expire instead of piling up."""
    seconds = env_int("NOTIFICATIONS_DISPATCH_SECONDS", 60)
    return {
        "task": "members.tasks.notifications_dispatch",
        "schedule": float(seconds),
        "options": {"expires": max(seconds - 1, 1)},
    }


app.conf.beat_schedule["notifications-dispatch"] = _notifications_tick()

# Membership: lapse approvals, begin/end leaves, expire memberships, renewal reminders. Hourly,
# so each time zone's new day is seen within the hour; the ledger makes a rerun harmless.
app.conf.beat_schedule["membership-dispatch"] = {
    "task": "members.tasks.membership_dispatch",
    "schedule": crontab(minute=23),
    "options": {"expires": 3000},
}

# Worker processes start warm. The prefork pool forks its processes from the main one after
# this signal, so what is loaded here (the URLconf, the email templates) is loaded once and
# shared, not paid again by each process on its first task; the heap is then frozen, so the
# garbage collector of each process never walks it. Collections of young objects run every
# 10,000 allocations rather than 700: a batch of emails allocates hundreds of thousands.
GC_THRESHOLDS = (10_000, 20, 20)


@signals.worker_init.connect
def _worker_warm_up(**kwargs) -> None:
    from django.apps import apps

    if not apps.ready:
        return  # the Django fixup was not installed (a worker started without Django)
    from members import notifications

    notifications.warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
