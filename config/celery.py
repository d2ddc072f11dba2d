"""The Celery app. Beat only ticks dispatchers; the database says what is due."""

import os

from celery import Celery, signals, states
from celery.schedules import crontab
from django.core.cache import cache
from django.utils import timezone

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

# Database connections from one task to the next. Celery's Django fixup would close them before
# and after every task (settings.CELERY_DB_REUSE_MAX stops it), so each task began a new
# PostgreSQL session: a backend process forked and its caches warmed, about as much database
# CPU again as the chunk of reminders the task then sent (measured). A worker keeps its
# connection as Django keeps one between web requests (younger than CONN_MAX_AGE, no error,
# checked before its next use under CONN_HEALTH_CHECKS), and only after a task that succeeded
# and left it idle: after a failed task, or one stopped by its time limit in the middle of a
# query, the connection is closed (why Celery closes them all: celery/celery#9824).


@signals.task_prerun.connect
def _connections_before_task(sender=None, **kwargs) -> None:
    if not _eager(sender):
        from django.db import close_old_connections

        close_old_connections()


@signals.task_postrun.connect
def _connections_after_task(sender=None, state=None, **kwargs) -> None:
    if _eager(sender):
        return
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if state != states.SUCCESS or not _idle(connection):
            connection.close()
        else:
            connection.close_if_unusable_or_obsolete()


def _eager(task) -> bool:
    """A task run in the caller's process (tests, `apply()`): its connections are the caller's."""
    return bool(getattr(getattr(task, "request", None), "is_eager", False))


def _idle(connection) -> bool:
    """No transaction open and no query running on the connection."""
    raw = connection.connection
    if raw is None:
        return True
    if connection.in_atomic_block:
        return False
    if connection.vendor == "postgresql":
        from psycopg import pq

        return raw.info.transaction_status == pq.TransactionStatus.IDLE
    return not getattr(raw, "in_transaction", False)  # sqlite3


# Readiness (config/views.py) reports how long ago a worker last ran a task from the beat: this
# one, every minute, writes the moment into the shared cache.
WORKER_HEARTBEAT_KEY = "worker-heartbeat"

app.conf.beat_schedule["worker-heartbeat"] = {
    "task": "config.worker_heartbeat",
    "schedule": 60.0,
    "options": {"expires": 59},
}


@app.task(name="config.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    cache.set(WORKER_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
