"""The Celery set-up of the notification emails survives faults: beat only ticks a dispatcher,
tasks take ids and have time limits, retries never outlive Redis's visibility timeout."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from config.celery import app
from notifications import outbox as notifications
from notifications import outbox as tasks

ROOT = Path(__file__).resolve().parent.parent
VISIBILITY_TIMEOUT = 3600


def test_beat_only_ticks_the_dispatcher_and_stale_ticks_expire():
    entry = app.conf.beat_schedule["notifications-dispatch"]
    assert entry["task"] == "members.tasks.notifications_dispatch"
    assert entry["schedule"] == 60.0
    assert entry["options"]["expires"] < entry["schedule"]
    assert "args" not in entry and "kwargs" not in entry


def test_the_tick_interval_comes_from_the_environment():
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update(NOTIFICATIONS_DISPATCH_SECONDS="5", CHAPTERHOUSE_VAR_DIR=str(ROOT / "var"))
    result = subprocess.run(
        [sys.executable, "-c", "from config.celery import app; "
         "print(app.conf.beat_schedule['notifications-dispatch']['schedule'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5.0"


def test_tasks_are_idempotent_acks_late_and_time_limited_inside_the_visibility_timeout():
    for task in (tasks.notifications_dispatch, tasks.tallies_dispatch_task, tasks.notification_send,
                 tasks.notifications_send):
        assert task.acks_late is True
        assert task.time_limit and task.soft_time_limit < task.time_limit
        assert task.time_limit < VISIBILITY_TIMEOUT / 2
    # A send task's claim is taken back only after its hard limit killed it, twice over.
    for task in (tasks.notification_send, tasks.notifications_send):
        assert notifications.claim_timeout().total_seconds() == 2 * task.time_limit


def test_tasks_take_ids_not_objects():
    for task in (tasks.tallies_dispatch_task, tasks.notification_send):
        parameters = [p for p in inspect.signature(task.run).parameters.values()]
        assert [p.annotation for p in parameters] == [int]
    chunk = inspect.signature(tasks.notifications_send.run).parameters.values()
    assert [p.annotation for p in chunk] == [list[int]]


def test_a_waiting_retry_never_outlives_the_visibility_timeout(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 3600
    assert max(notifications.retry_countdown(n) for n in range(1, 40)) <= (
        notifications.RETRY_CAP_SECONDS
    )
    assert notifications.RETRY_CAP_SECONDS < VISIBILITY_TIMEOUT / 2


def test_worker_settings_do_not_rerun_running_tasks():
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_TIME_LIMIT < VISIBILITY_TIMEOUT
    assert settings.CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS is True
    assert settings.CELERY_TASK_SERIALIZER == "json"


def test_a_send_time_limit_near_the_visibility_timeout_is_refused():
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update(REDIS_URL="redis://127.0.0.1:6379/6", NOTIFICATIONS_SEND_TIME_LIMIT="2000",
               CHAPTERHOUSE_VAR_DIR=str(ROOT / "var"), DEBUG="true")
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault("
         "'DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "NOTIFICATIONS_SEND_TIME_LIMIT" in result.stderr
