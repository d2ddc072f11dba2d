"""Personas built once per test (STYLE.md): a chapter's president, vice president, a member,
a member of another chapter and a site admin. Fast hashing, in-memory mail, eager Celery."""

import os

import pytest
from django.core.cache import cache

from members.models import Role
from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    cache.clear()
    yield
    cache.clear()


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
