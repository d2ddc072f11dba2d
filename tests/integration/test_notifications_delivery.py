"""Reminders through the real machinery: PostgreSQL, a Redis broker, a Celery worker started as
a subprocess (prefork, two processes) and an aiosmtpd SMTP server on loopback that counts what
each recipient receives. Every test counts exactly.

The worker reads the test database (pytest-django's test_<name>) and the test's data is
committed (transactional_db), so both sides see the same rows. Times are shortened through the
environment: beat ticks every second, a send task is killed after 3 seconds (so a dead
worker's claim is taken back after 6), retries start at 1 second.
"""

import asyncio
import datetime
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import icalendar
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, connections
from django.utils import timezone

from chapters.models import Classification, Industry
from meetings import services as meetings
from meetings.models import Meeting
from meetings.services import meeting_times
from members.models import Member, Role, User
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationBatch, NotificationKind
from referrals import services as referrals
from tests import factories
from tests.ports import free_port
from tests.referrals_world import referral

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Europe/Berlin",
         "America/Los_Angeles", "Asia/Kolkata", "America/Sao_Paulo", "Africa/Johannesburg",
         "Pacific/Auckland"]
SEND_TIME_LIMIT = 3
WAIT = 60  # seconds any one wait may take before the test fails


@pytest.fixture(autouse=True)
def _real_services():
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")


# --- The SMTP server -----------------------------------------------------------------------


class Sink:
    """An SMTP server's handler that keeps every message it accepted, by recipient.

    `hold()` makes it keep new messages waiting at the end of DATA without accepting them, so
    a test can stop a worker while it is in the middle of sending (and not in the instant after
    the server accepted, which no client can tell from a lost message)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, bytes]] = []
        self.holding = False
        self.waiting = 0
        self.release = threading.Event()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        # As Postfix and the large relays do: the envelope may come in one write (RFC 2920).
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.holding:
            self.waiting += 1
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Not accepted, try again"
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.accepted.append((recipient.lower(), envelope.content))
        return "250 2.0.0 Accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def per_recipient(self) -> Counter:
        with self.lock:
            return Counter(recipient for recipient, _ in self.accepted)

    def messages(self) -> list:
        with self.lock:
            return [message_from_bytes(raw, policy=policy.default) for _, raw in self.accepted]


class SmtpServer:
    def __init__(self, sink: Sink, port: int):
        self.sink, self.port, self.controller = sink, port, None

    def start(self):
        # A fixed server name: aiosmtpd would otherwise look up this host's FQDN per session.
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port,
                                     server_hostname="localhost", ready_timeout=10)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def sink():
    return Sink()


@pytest.fixture
def smtp(sink):
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    server = SmtpServer(sink, free_port())
    server.start()
    yield server
    server.sink.release.set()
    server.stop()


# --- The worker ----------------------------------------------------------------------------


def _broker_clean():
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    client.close()


class Worker:
    """`celery -A config worker` as a subprocess in its own process group."""

    def __init__(self, tmp_path: Path, port: int, beat: bool, concurrency: int = 2):
        self.tmp_path, self.port, self.beat = tmp_path, port, beat
        self.concurrency = concurrency
        self.process = None
        self.runs = 0

    def env(self) -> dict:
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        env.update(
            DATABASE_URL=f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            REDIS_URL=settings.REDIS_URL,
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(self.port),
            EMAIL_USE_TLS="false",
            EMAIL_USE_SSL="false",
            EMAIL_TIMEOUT="5",
            DEBUG="false",  # as in production (and no SQL kept in memory)
            SECRET_KEY="integration-test-secret-key-not-for-production-use-0123456789",
            CHAPTERHOUSE_VAR_DIR=str(self.tmp_path / "var"),
            NOTIFICATIONS_DISPATCH_SECONDS="1",
            NOTIFICATIONS_SEND_TIME_LIMIT=str(SEND_TIME_LIMIT),
            NOTIFICATIONS_RETRY_BASE_SECONDS="1",
            NOTIFICATIONS_SWEEP_AFTER_SECONDS="5",
            PYTHONUNBUFFERED="1",
            TZ="UTC",  # the zone faketime reads the worker's starting instant in
        )
        return env

    def start(self):
        self.runs += 1
        log = open(self.tmp_path / f"worker-{self.runs}.log", "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
                   "--concurrency", str(self.concurrency), "--loglevel", "INFO", "--without-gossip",
                   "--without-mingle", "--without-heartbeat", "-n", f"mail-test-{self.runs}@%h"]
        if self.beat:
            command += ["--beat", "--schedule", str(self.tmp_path / "beat-schedule")]
        # The worker's clock starts where the test's is now (the test's clock is frozen to an
        # instant of its own, tests/conftest.py), and ticks on as the test's does.
        clock = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
        command = ["faketime", "-f", f"@{clock}", *command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env(), stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = log.name
        deadline = time.monotonic() + WAIT
        while b" ready." not in Path(self.log_path).read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"The worker did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    def kill(self, sig=signal.SIGKILL):
        """Kill the whole process group at once, as a machine losing power would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 60) -> str:
        text = "\n".join(
            Path(self.tmp_path / f"worker-{n}.log").read_text(errors="replace")
            for n in range(1, self.runs + 1)
        )
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def worker_for(tmp_path, smtp):
    from config.celery import app

    app.conf.task_always_eager = False  # this process enqueues to the real broker
    _broker_clean()
    started = []

    def start(*, beat: bool) -> Worker:
        worker = Worker(tmp_path, smtp.port, beat)
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.kill()  # everything was delivered and counted; no need for a warm shutdown
    _broker_clean()
    app.conf.task_always_eager = True
    connections.close_all()


# --- The data ------------------------------------------------------------------------------


def chapters_with_a_meeting_due(count: int, members_each: int, *, hours_ahead: float = 2):
    """`count` chapters of `members_each` active members, each with a meeting in a few hours
    (the reminder, 24 hours ahead, is due). Built in bulk: seconds, not minutes."""
    start = (timezone.now() + datetime.timedelta(hours=hours_ahead)).replace(second=0,
                                                                            microsecond=0)
    industry = Industry.objects.create(name="Load")
    password = make_password(factories.PASSWORD)
    chapters, meetings, emails = [], [], []
    for index in range(count):
        zone = ZONES[index % len(ZONES)]
        chapter = factories.chapter(f"Load {index}", time_zone=zone, reminder_lead_hours=24,
                                    venue=f"Hall {index}, 1 Market Street")
        local = start.astimezone(chapter.zone)
        # The chapter's weekly slot is the meeting's, so the schedule keeper leaves it alone.
        chapter.meeting_weekday, chapter.meeting_time = local.weekday(), local.time()
        chapter.save(update_fields=["meeting_weekday", "meeting_time"])
        starts_at, ends_at = meeting_times(chapter, local.date())
        meetings.append(Meeting.objects.create(chapter=chapter, local_date=local.date(),
                                               slot_date=local.date(), starts_at=starts_at,
                                               ends_at=ends_at))
        users = User.objects.bulk_create(
            User(email=f"m{index}-{n}@load.example.test", first_name=f"Member{n}",
                 last_name=f"Chapter{index}", password=password)
            for n in range(members_each)
        )
        classifications = Classification.objects.bulk_create(
            Classification(industry=industry, name=f"Load {index}-{n}")
            for n in range(members_each)
        )
        Member.objects.bulk_create(
            Member(user=user, chapter=chapter, classification=classification,
                   business_name=f"{user.first_name} Ltd", status=Member.Status.ACTIVE)
            for user, classification in zip(users, classifications, strict=True)
        )
        chapters.append(chapter)
        emails += [user.email for user in users]
    return chapters, meetings, emails


def wait_until(condition, what: str, worker: Worker | None = None, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = worker.log_tail() if worker else ""
            raise AssertionError(f"Timed out waiting for {what}.\n{tail}")
        time.sleep(0.1)


def settle(sink: Sink, seconds: float = 2.0):
    """Wait until nothing more arrives for a while, so a late duplicate would be counted."""
    last, quiet_since = sink.count(), time.monotonic()
    while time.monotonic() - quiet_since < seconds:
        time.sleep(0.1)
        if sink.count() != last:
            last, quiet_since = sink.count(), time.monotonic()


def observed(what: str, sink: Sink, **more):
    """One line of what the SMTP server counted (shown with `pytest -s`)."""
    received = sink.per_recipient()
    extra = "".join(f" {key}={value}" for key, value in more.items())
    print(f"\n[observed] {what}: delivered={sink.count()} recipients={len(received)} "
          f"max_per_recipient={max(received.values(), default=0)}{extra}")


def assert_exactly_one_each(sink: Sink, emails: list[str]):
    received = sink.per_recipient()
    assert sum(received.values()) == len(emails)
    assert set(received) == {email.lower() for email in emails}
    assert set(received.values()) == {1}
    assert Delivery.objects.filter(state=Delivery.State.SENT).count() == len(emails)
    assert not Delivery.objects.exclude(state=Delivery.State.SENT).exists()


# --- The tests -----------------------------------------------------------------------------


def test_300_members_in_10_chapters_get_exactly_300_reminders(worker_for, sink):
    chapters, meetings, emails = chapters_with_a_meeting_due(10, 30)
    worker = worker_for(beat=True)  # beat ticks the dispatcher inside the worker

    wait_until(lambda: sink.count() >= 300, "300 reminders", worker)
    settle(sink)

    observed("300 members in 10 chapters", sink,
             batches=NotificationBatch.objects.count())
    assert sink.count() == 300
    assert_exactly_one_each(sink, emails)
    assert NotificationBatch.objects.filter(kind=NotificationKind.REMINDER).count() == 10
    # Every message is the member's own, with one-click unsubscribe and the calendar event.
    by_meeting = {meeting.pk: meeting for meeting in meetings}
    message_ids = set()
    for message in sink.messages():
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        message_ids.add(message["Message-ID"])
        parts = {part.get_content_type(): part for part in message.walk()}
        assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
        (event,) = icalendar.Calendar.from_ical(parts["text/calendar"].get_content()).events
        meeting = by_meeting[int(str(event["uid"]).split("@")[0].removeprefix("meeting-"))]
        assert str(event["uid"]) == f"meeting-{meeting.pk}@127.0.0.1"
        assert event.start == meeting.starts_at
        assert event.end == meeting.ends_at
        hall = f"Hall {meeting.chapter.name.removeprefix('Load ')}, 1 Market Street"
        assert str(event["location"]) == meeting.where == hall
        assert meeting.chapter.name in message["Subject"]
    assert len(message_ids) == 300


def test_the_dispatcher_run_twice_at_once_still_sends_one_per_member(worker_for, sink):
    _, _, emails = chapters_with_a_meeting_due(10, 30)
    worker = worker_for(beat=False)
    from notifications.outbox import notifications_dispatch

    # Four dispatchers at the same moment: two threads here and two tasks in the worker.
    barrier = threading.Barrier(2)
    results = []

    def dispatch_here():
        try:
            barrier.wait(timeout=10)
            results.append(notifications.dispatch())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch_here) for _ in range(2)]
    notifications_dispatch.delay()
    notifications_dispatch.delay()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)

    wait_until(lambda: sink.count() >= 300, "300 reminders", worker)
    settle(sink)
    observed("dispatcher run 4x at once", sink, rows=Delivery.objects.count(),
             created_by_threads=[result.reminders for result in results])
    assert sink.count() == 300
    assert_exactly_one_each(sink, emails)
    assert Delivery.objects.count() == 300
    assert NotificationBatch.objects.count() == 10
    assert sum(result.reminders for result in results) <= 300


def test_a_worker_killed_mid_batch_and_restarted_sends_everyone_exactly_one(worker_for, sink):
    _, _, emails = chapters_with_a_meeting_due(10, 30)
    worker = worker_for(beat=True)

    wait_until(lambda: sink.count() >= 100, "the first 100 reminders", worker)
    # Both worker processes now get stuck in the middle of their next send...
    sink.holding = True
    wait_until(lambda: sink.waiting >= 2, "both worker processes mid-send", worker)
    delivered_before = sink.count()
    # ...and the machine loses power.
    worker.kill(signal.SIGKILL)
    sink.holding = False
    sink.release.set()
    assert 100 <= delivered_before < 300
    cut_off = list(Delivery.objects.filter(state=Delivery.State.SENDING).values_list("pk",
                                                                                    flat=True))
    assert len(cut_off) == 2

    worker.start()
    wait_until(lambda: sink.count() >= 300, "the rest of the reminders", worker)
    settle(sink, seconds=3)
    observed("SIGKILL mid-batch", sink, before_kill=delivered_before, cut_off=len(cut_off))

    assert sink.count() == 300
    assert_exactly_one_each(sink, emails)
    # The two sends cut off by the kill were taken back by the sweep and sent (once) again.
    for row in Delivery.objects.filter(pk__in=cut_off):
        assert row.state == Delivery.State.SENT
        assert row.attempts >= 2


def test_an_smtp_server_refusing_connections_for_a_while_delays_but_loses_nothing(
    worker_for, sink, smtp
):
    _, _, emails = chapters_with_a_meeting_due(10, 30)
    smtp.stop()  # the server is down: connections are refused
    worker = worker_for(beat=True)

    wait_until(lambda: Delivery.objects.filter(last_error__icontains="refused").exists(),
               "the first refused connection", worker)
    time.sleep(3)  # a while of refusals, with retries backing off
    refused = Delivery.objects.filter(last_error__icontains="refused").count()
    assert refused > 0
    assert sink.count() == 0
    smtp.start()

    wait_until(lambda: sink.count() >= 300, "300 reminders after the recovery", worker)
    settle(sink)
    observed("SMTP refusing, then recovering", sink, refused_rows=refused,
             retried_rows=Delivery.objects.filter(attempts__gte=2).count())
    assert sink.count() == 300
    assert_exactly_one_each(sink, emails)
    # Those refused were tried again (each try is counted on its row) and sent once.
    assert Delivery.objects.filter(attempts__gte=2).count() >= refused


def test_a_reminder_in_the_week_of_a_daylight_saving_change_goes_out_at_local_time(
    worker_for, sink, time_machine
):
    # Clocks go forward in London on Sunday 28 March 2027: the meeting is at 07:00 BST
    # (06:00 UTC); the 24-hour reminder is at 07:00 GMT on the Saturday (07:00 UTC), not at
    # 06:00 local (06:00 UTC), which a plain "24 hours before" would give.
    right = datetime.datetime(2027, 3, 27, 7, 0, tzinfo=datetime.UTC)
    time_machine.move_to(right - datetime.timedelta(hours=2))
    chapter = factories.chapter("Spring Forward", time_zone="Europe/London",
                                meeting_weekday=6, reminder_lead_hours=24,
                                venue="The Guildhall, 1 High Street")
    people = [factories.member(chapter) for _ in range(5)]
    meeting = factories.meeting(chapter, datetime.date(2027, 3, 28))
    assert meeting.starts_at == datetime.datetime(2027, 3, 28, 6, 0, tzinfo=datetime.UTC)
    worker = worker_for(beat=False)

    for too_early in (right - datetime.timedelta(hours=1), right - datetime.timedelta(minutes=1)):
        assert notifications.dispatch(now=too_early).reminders == 0
    time.sleep(1)
    assert sink.count() == 0
    assert notifications.dispatch(now=right).reminders == 5

    wait_until(lambda: sink.count() >= 5, "5 reminders", worker)
    settle(sink)
    observed("daylight-saving week", sink, sent_for=right.isoformat())
    assert_exactly_one_each(sink, [person.user.email for person in people])
    for message in sink.messages():
        body = message.get_body(("plain",)).get_content()
        assert "Sunday 28 March 2027, 07:00-08:30 (BST, Europe/London)" in body
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        (event,) = icalendar.Calendar.from_ical(part.get_content()).events
        assert event.start == meeting.starts_at
        assert event.end == meeting.ends_at
        assert str(event["location"]) == "The Guildhall, 1 High Street"
        assert str(event["uid"]) == f"meeting-{meeting.pk}@127.0.0.1"


def test_an_absence_notice_and_a_giver_notice_survive_an_smtp_outage_and_arrive_once(
    worker_for, sink, smtp
):
    """Both are owed in their action's transaction (the report's completion, the referral's
    change of status) and go through the outbox like reminders: retried while the server
    refuses connections, then delivered once each."""
    chapter = factories.chapter("Outage Connectors", absence_limit=1)
    president = factories.member(chapter, roles=(Role.PRESIDENT,))
    absentee, giver, receiver = (factories.member(chapter) for _ in range(3))
    day = timezone.now().astimezone(chapter.zone).date() - datetime.timedelta(days=1)
    week = factories.meeting(chapter, day, status=Meeting.Status.HELD)
    slip = referral(giver, receiver)
    smtp.stop()  # the server is down: connections are refused
    worker = worker_for(beat=True)

    for person in (president, giver, receiver):
        meetings.attendance_mark(meeting=week, member=person, code="P", by=president.user)
    meetings.attendance_mark(meeting=week, member=absentee, code="A", by=president.user)
    referrals.referral_status_change(referral=slip, by=receiver, status="contacted")
    meetings.report_complete(meeting=week, by=president.user, send_absence_notices=True)
    owed = Delivery.objects.filter(kind__in=[NotificationKind.ABSENCE,
                                             NotificationKind.REFERRAL_NEWS])
    assert owed.count() == 2

    wait_until(lambda: owed.filter(last_error__icontains="refused").count() == 2,
               "both sends refused", worker)
    time.sleep(2)  # a while of refusals, with retries backing off
    assert sink.count() == 0
    smtp.start()

    wait_until(lambda: owed.filter(state=Delivery.State.SENT).count() == 2,
               "both emails sent after the recovery", worker)
    settle(sink)
    received = Counter((message["To"], message["X-Chapterhouse-Kind"])
                       for message in sink.messages())
    observed("absence and giver notices through an outage", sink, kinds=dict(received))
    assert received[(absentee.user.email, NotificationKind.ABSENCE)] == 1
    assert received[(giver.user.email, NotificationKind.REFERRAL_NEWS)] == 1
    assert set(received.values()) == {1}  # the week's tallies and summary too: once each
    assert all(row.attempts >= 2 for row in owed)
    assert not Delivery.objects.exclude(state=Delivery.State.SENT).exists()
