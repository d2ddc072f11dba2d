"""config/celery.py: a worker keeps its database connection from one task to the next as
Django keeps one between requests, and only when the task that used it ended well."""

import time
from types import SimpleNamespace

import pytest
from celery import states
from django.conf import settings
from django.db import connection

from config import celery as worker

pytestmark = [
    pytest.mark.django_db(transaction=True),  # as in a worker: no test transaction
    # Django's test database on SQLite lives in memory, in a connection that is never closed.
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="a connection kept or closed is a PostgreSQL worker's"),
]


def task(eager: bool = False):
    """What the task signals are sent by: a task whose request says if it runs eagerly."""
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


@pytest.fixture
def kept_connection(monkeypatch):
    """A connection opened with a CONN_MAX_AGE, as a worker on PostgreSQL has one."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    connection.ensure_connection()
    yield connection.connection
    connection.close()


def run_task(state: str = states.SUCCESS, *, eager: bool = False, work=None) -> None:
    worker._connections_before_task(sender=task(eager))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    if work is not None:
        work()
    worker._connections_after_task(sender=task(eager), state=state)


def test_the_fixup_is_told_not_to_close_connections_itself():
    from celery.fixups.django import DjangoWorkerFixup

    assert DjangoWorkerFixup(worker.app).db_reuse_max == settings.CELERY_DB_REUSE_MAX > 10**6


def test_a_connection_outlives_a_task_that_succeeded(kept_connection):
    run_task()
    run_task()
    assert connection.connection is kept_connection


@pytest.mark.parametrize("state", [states.FAILURE, states.RETRY])
def test_a_task_that_did_not_succeed_closes_it(kept_connection, state):
    run_task(state)
    assert connection.connection is None
    run_task()  # the next task opens a new one
    assert connection.connection not in (None, kept_connection)


def test_a_task_that_left_a_transaction_open_closes_it(kept_connection):
    def begin():
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")

    run_task(work=begin)
    assert connection.connection is None


def test_a_task_stopped_in_the_middle_of_a_query_closes_it(kept_connection):
    """A soft time limit raises inside the task while the query runs on: the connection is
    busy, whatever the task then did."""
    def interrupted():
        kept_connection.pgconn.send_query(b"SELECT pg_sleep(0.2)")

    run_task(work=interrupted)
    assert connection.connection is None


def test_an_old_connection_is_closed_before_the_next_task(kept_connection):
    connection.close_at = time.monotonic() - 1
    worker._connections_before_task(sender=task())
    assert connection.connection is None


def test_an_eager_task_leaves_its_callers_connection_alone(kept_connection):
    run_task(states.FAILURE, eager=True)
    assert connection.connection is kept_connection
