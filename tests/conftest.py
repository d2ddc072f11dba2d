"""Personas built once per test: a chapter's president, vice president, a member, a member of
another chapter and a site admin. A clock that every test sets, fast hashing, in-memory mail,
eager Celery."""

import functools
import os
import shutil
import tempfile
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings

from members.models import Role
from tests import clock, factories

IN_CI = os.environ.get("CI", "").lower() == "true"
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... under `pytest -n`


@pytest.fixture(scope="session", autouse=True)
def _a_cache_per_worker():
    """Under `pytest -n` each worker has a cache of its own, so what a test counts in it (the
    rate limits' attempts, the sessions) is not emptied by another worker's test."""
    if not WORKER:
        yield
        return
    default = dict(django_settings.CACHES["default"])
    if default["BACKEND"].endswith("FileBasedCache"):
        default["LOCATION"] = f"{default['LOCATION']}-{WORKER}"
    else:
        default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', '')}-{WORKER}"
    with override_settings(CACHES={**django_settings.CACHES, "default": default}):
        yield


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def clear_cache() -> None:
    """Empty the cache, and under `pytest -n` only this worker's: Redis's clear() would empty
    the whole database, every worker's keys with it."""
    default = django_settings.CACHES["default"]
    if WORKER and default["BACKEND"].endswith("RedisCache"):
        client = _redis(default["LOCATION"])
        keys = list(client.scan_iter(match=f"{default['KEY_PREFIX']}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


def pytest_configure(config):
    """Each test process has a cache, and a Redis database for its cache and broker, of its
    own: apart from `make run`'s, from another run's and from the other processes of
    `pytest -n 2` (a test empties its cache, and a worker test its broker queue)."""
    from django.conf import settings

    cache = settings.CACHES["default"]
    if settings.REDIS_URL:
        # 0 in a plain run; 1, 2... for pytest-xdist's gw0, gw1...
        number = int(os.environ.get("PYTEST_XDIST_WORKER", "gw-1")[2:]) + 1
        url = urlsplit(settings.REDIS_URL)
        database = int(url.path.strip("/") or 0) + number
        settings.REDIS_URL = urlunsplit(url._replace(path=f"/{database}"))
        settings.CELERY_BROKER_URL = cache["LOCATION"] = settings.REDIS_URL
    else:
        folder = config.stash[CACHE_FOLDER] = tempfile.mkdtemp(prefix="chapterhouse-cache-")
        cache["LOCATION"] = folder


def pytest_unconfigure(config):
    if CACHE_FOLDER in config.stash:
        shutil.rmtree(config.stash[CACHE_FOLDER], ignore_errors=True)


CACHE_FOLDER = pytest.StashKey[str]()


# Every test starts at TEST_NOW, whatever the machine's clock says, and the clock ticks on from
# it; tests about time travel further with the `time_machine` fixture.
@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(clock.TEST_NOW, tick=True)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def chapter(db):
    return factories.chapter("Riverside Business Builders")


@pytest.fixture
def other_chapter(db):
    return factories.chapter("Hilltop Networkers")


@pytest.fixture
def president(chapter):
    return factories.member(chapter, roles=(Role.PRESIDENT,), email="president@example.test")


@pytest.fixture
def vice_president(chapter):
    return factories.member(chapter, roles=(Role.VICE_PRESIDENT,), email="vp@example.test")


@pytest.fixture
def member(chapter):
    return factories.member(chapter, email="member@example.test")


@pytest.fixture
def other_member(other_chapter):
    """A member of another chapter: every object of `chapter` must 404 for them."""
    return factories.member(other_chapter, email="outsider@example.test")


@pytest.fixture
def admin_user(db):
    return factories.admin("admin@example.test")


@pytest.fixture
def client_for(client):
    """Log the test client in as a member or user: `client_for(member)`."""

    def login(person):
        account = getattr(person, "user", person)
        client.force_login(account)
        return client

    return login


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: CI must run everything against the real services."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"Skipped in CI (CI=true forbids skips): {reason}"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread; Django's ORM calls from tests are safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server, settings):
    """A phone-sized page (375 x 812) against the live server; `page.base_url` is its root."""
    # Chromium judges a cookie's expiry by the machine's clock, not the test's: cookies that
    # last as long as the browser stay valid whatever instant the test runs at.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    context = chromium.new_context(viewport={"width": 375, "height": 812}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_login(page, email, password=factories.PASSWORD):
    """Sign in through the real allauth form."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
