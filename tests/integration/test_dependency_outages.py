"""A dependency away during the meeting: the room carries on, and what it owes goes out once.

Redis (cache and broker) is a `redis-server` of the test's own on a loopback port, stopped and
started again mid-test; the site is `manage.py runserver` and a real Celery worker with its
beat, both on that Redis, started at the test's instant under faketime; mail goes to aiosmtpd.
"""

import datetime
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance
from members.models import Role
from notifications.models import Delivery, NotificationKind
from referrals.models import ThankYou
from tests import factories
from tests.integration.test_notifications_delivery import (
    ROOT,
    WAIT,
    Sink,
    SmtpServer,
    Worker,
    settle,
    wait_until,
)
from tests.ports import free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _real_services():
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)")


@pytest.fixture
def sink():
    return Sink()


@pytest.fixture
def smtp(sink):
    server = SmtpServer(sink, free_port())
    server.start()
    yield server
    server.sink.release.set()
    server.stop()


class RedisServer:
    """A redis-server of this test's own, keeping nothing on disk."""

    def __init__(self, port: int):
        self.port, self.process = port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        wait_until(lambda: _answers(client), "redis-server to answer")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _answers(client) -> bool:
    try:
        return client.ping()
    except redis.exceptions.ConnectionError:
        return False


class Site:
    """`manage.py runserver` on a loopback port, configured as the worker is."""

    def __init__(self, tmp_path: Path, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp_path, self.env, self.process = tmp_path, env, None

    def start(self):
        clock = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
        command = ["faketime", "-f", f"@{clock}", sys.executable, "manage.py", "runserver",
                   f"127.0.0.1:{self.port}", "--noreload", "--nothreading"]
        log = open(self.tmp_path / "site.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._answers, "the site to answer")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.base + "/healthz", timeout=2).read()  # noqa: S310
        except OSError:
            return False
        return True

    def stop(self):
        """Stop runserver and faketime around it (its own process group)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
            self.process = None

    def log(self) -> str:
        return (self.tmp_path / "site.log").read_text(errors="replace")[-4000:]


class Browser:
    """A person signed in to the site: their session cookie, and forms sent as a browser does."""

    def __init__(self, site: Site, user):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        self.site, self.jar = site, http.cookiejar.CookieJar()
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, settings.SESSION_COOKIE_NAME, session.session_key, None, False, "127.0.0.1",
            True, False, "/", True, False, None, False, None, None, {},
        ))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirects()
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.site.base + path))  # noqa: S310

    def post(self, path: str, data: dict, *, form_from: str | None = None) -> tuple[int, str]:
        _, page = self.get(form_from or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        token = token.group(1) if token else next(
            cookie.value for cookie in self.jar if cookie.name == settings.CSRF_COOKIE_NAME
        )
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(  # noqa: S310 - the site on loopback
            self.site.base + path, data=body, headers={"X-CSRFToken": token}
        )
        return self._open(request)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def outage(tmp_path, smtp):
    """Redis of the test's own, the site and a worker with its beat on it; stopped afterwards."""
    from config.celery import app

    server = RedisServer(free_port())
    server.start()
    worker = OwnRedisWorker(tmp_path, smtp.port, beat=True, redis_url=server.url)
    site = Site(tmp_path, worker.env() | {"DEBUG": "true", "ALLOWED_HOSTS": "127.0.0.1"})
    app.conf.task_always_eager = False
    started = []
    try:
        worker.start()
        started.append(worker)
        site.start()
        started.append(site)
        yield server, site, worker
    finally:
        for process in reversed(started):
            process.stop() if isinstance(process, Site) else process.kill()
        server.stop()
        app.conf.task_always_eager = True


class OwnRedisWorker(Worker):
    def __init__(self, *args, redis_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.redis_url = redis_url

    def env(self) -> dict:
        return super().env() | {"REDIS_URL": self.redis_url, "SECRET_KEY": settings.SECRET_KEY}


def test_a_member_logs_a_slip_and_a_leader_takes_attendance_while_redis_is_away(outage, sink):
    server, site, worker = outage
    chapter = factories.chapter("Outage Builders")
    president = factories.member(chapter, roles=(Role.PRESIDENT,))
    member, colleague = factories.member(chapter), factories.member(chapter)
    now = timezone.now()
    week = factories.meeting(chapter, now.astimezone(chapter.zone).date(),
                             starts_at=now - datetime.timedelta(minutes=5),
                             ends_at=now + datetime.timedelta(minutes=85))
    slug = chapter.slug
    as_member, as_president = Browser(site, member.user), Browser(site, president.user)
    assert as_member.get(reverse("chapter_home", args=[slug]))[0] == 200

    server.stop()  # Redis restarts in the middle of the meeting
    status, page = as_member.post(
        reverse("thank_you_new", args=[slug]),
        {"credited_to": colleague.pk, "amount": "350", "business_type": "new",
         "token": "6f1c2a4e-8b7d-4c3e-9a1f-2d5e6b7c8d9e"},
    )
    assert status == 302, page[:2000] + site.log()
    assert ThankYou.objects.filter(thanked_by=member, credited_to=colleague).count() == 1
    mark = reverse("attendance_mark", args=[slug, week.pk])
    for person in (president, member, colleague):
        status, page = as_president.post(mark, {"member": person.pk, "code": "P"},
                                         form_from=reverse("attendance", args=[slug, week.pk]))
        assert status in (200, 302), page[:2000] + site.log()
    assert Attendance.objects.filter(meeting=week, code="P").count() == 3
    status, page = as_president.post(
        reverse("meeting_report_complete", args=[slug, week.pk]), {},
        form_from=reverse("meeting_report", args=[slug, week.pk]),
    )
    assert status == 302, page[:2000] + site.log()
    week.refresh_from_db()
    assert week.is_completed
    owed = Delivery.objects.filter(chapter=chapter)
    assert owed.filter(kind=NotificationKind.REFERRAL_NEWS, member=colleague).exists()
    assert owed.filter(kind=NotificationKind.TALLY).count() == 3
    time.sleep(3)
    assert sink.count() == 0  # nothing can be queued or sent: the broker is away

    server.start()  # back, and empty: whatever was queued before is gone
    expected = owed.count()
    wait_until(lambda: sink.count() >= expected, f"{expected} emails after Redis returned",
               worker, timeout=WAIT * 2)
    settle(sink, seconds=4)
    received = Counter((message["To"], message["X-Chapterhouse-Kind"])
                       for message in sink.messages())
    assert sink.count() == owed.count()
    assert set(received.values()) == {1}
    assert received[(colleague.user.email, NotificationKind.REFERRAL_NEWS)] == 1
    for person in (president, member, colleague):
        assert received[(person.user.email, NotificationKind.TALLY)] == 1
    assert not owed.exclude(state=Delivery.State.SENT).exists()


def test_the_mail_server_away_while_the_report_is_completed(outage, sink, smtp):
    """The weekly report completed while the mail server is down: the email log says the
    tallies are waiting, and each goes out once when it returns."""
    _server, site, worker = outage
    chapter = factories.chapter("Quiet Wire Networkers")
    president = factories.member(chapter, roles=(Role.PRESIDENT,))
    people = [president, *(factories.member(chapter) for _ in range(4))]
    now = timezone.now()
    week = factories.meeting(chapter, now.astimezone(chapter.zone).date(),
                             starts_at=now - datetime.timedelta(minutes=95),
                             ends_at=now - datetime.timedelta(minutes=5))
    slug = chapter.slug
    as_president = Browser(site, president.user)
    mark = reverse("attendance_mark", args=[slug, week.pk])
    for person in people:
        status, _ = as_president.post(mark, {"member": person.pk, "code": "P"},
                                      form_from=reverse("attendance", args=[slug, week.pk]))
        assert status in (200, 302)

    smtp.stop()  # the mail server is down for a while
    status, page = as_president.post(
        reverse("meeting_report_complete", args=[slug, week.pk]), {},
        form_from=reverse("meeting_report", args=[slug, week.pk]),
    )
    assert status == 302, page[:2000] + site.log()
    tallies = Delivery.objects.filter(chapter=chapter, kind=NotificationKind.TALLY)
    wait_until(lambda: tallies.filter(last_error__icontains="refused").exists(),
               "a refused send", worker)
    status, log_page = as_president.get(reverse("delivery_log", args=[slug]))
    assert status == 200
    shown = re.findall(r'<td><span class="badge delivery-(\w+)">', log_page)
    assert "pending" in shown and "sent" not in shown  # "Waiting", never "Sent"
    assert not tallies.filter(state=Delivery.State.SENT).exists()
    assert sink.count() == 0

    smtp.start()
    wait_until(lambda: tallies.filter(state=Delivery.State.SENT).count() == len(people),
               "every tally sent after the mail server returned", worker)
    settle(sink)
    received = Counter((message["To"], message["X-Chapterhouse-Kind"])
                       for message in sink.messages())
    assert set(received.values()) == {1}
    for person in people:
        assert received[(person.user.email, NotificationKind.TALLY)] == 1
    status, log_page = as_president.get(reverse("delivery_log", args=[slug]))
    shown = re.findall(r'<td><span class="badge delivery-(\w+)">', log_page)
    assert shown and set(shown) == {"sent"}
