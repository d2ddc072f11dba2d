"""When something is away or wrong: the error pages in the site's layout, 503 and "back in a
minute" when the database or Redis cannot be reached, and readiness for load balancers."""

import json

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from config.celery import worker_heartbeat
from notifications.models import Delivery, NotificationKind
from tests import factories
from tests.ports import free_port


@pytest.fixture
def browser_client():
    """A client that gets the page a browser would get when a view fails, not the exception."""
    return Client(raise_request_exception=False)


def database_away(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def redis_away():
    """The cache (and so allauth's rate limits) on a Redis that is not running."""
    away = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    with override_settings(CACHES={"default": away}):
        yield


def test_a_page_that_does_not_exist_is_explained_in_the_site_layout(client_for, member):
    response = client_for(member).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'class="site-header"' in page and "Sign out" in page  # the site's layout, signed in


def test_an_outsider_refused_a_chapter_gets_the_404_page(client_for, chapter, other_member):
    response = client_for(other_member).get(reverse("chapter_home", args=[chapter.slug]))
    assert response.status_code == 404
    assert "not one you can open" in response.content.decode()


def test_a_member_on_a_leaders_page_gets_the_403_page(client_for, chapter, member):
    response = client_for(member).get(reverse("absence_list", args=[chapter.slug]))
    assert response.status_code == 403
    assert "belongs to a role you do not have" in response.content.decode()


def test_an_error_in_the_code_gets_the_500_page_in_the_layout(
    browser_client, monkeypatch, chapter, member
):
    browser_client.force_login(member.user)
    monkeypatch.setattr("reports.views_home.get_chapter_for_user", _broken)
    response = browser_client.get(reverse("chapter_home", args=[chapter.slug]))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and 'class="site-header"' in page


def _broken(*args, **kwargs):
    raise ZeroDivisionError("a bug")


def test_database_away_gives_503_then_the_next_request_works(browser_client, chapter, member):
    browser_client.force_login(member.user)
    page = reverse("chapter_home", args=[chapter.slug])
    with connection.execute_wrapper(database_away):
        away = browser_client.get(page)
        ready = browser_client.get(reverse("readyz"))
    assert away.status_code == 503
    assert away["Retry-After"] == "60"
    assert "cannot reach its database" in away.content.decode()
    assert ready.status_code == 503
    database = json.loads(ready.content)["checks"]["database"]
    assert database == {"ok": False, "error": "OperationalError"}

    assert browser_client.get(page).status_code == 200
    assert browser_client.get(reverse("readyz")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_database_server_unreachable_then_back_without_a_restart(browser_client, chapter, member):
    """A real refused connection, not a simulated one: PostgreSQL on a port nobody listens on."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    browser_client.force_login(member.user)
    page = reverse("chapter_home", args=[chapter.slug])
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        away = browser_client.get(page)
        ready = browser_client.get(reverse("readyz"))
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert away.status_code == 503
    assert "cannot reach its database" in away.content.decode()
    assert ready.status_code == 503
    assert browser_client.get(reverse("readyz")).status_code == 200
    assert browser_client.get(page).status_code == 200  # served again, nothing restarted


def test_readiness_reports_every_dependency(client, db):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["cache"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True}
    assert body["worker_heartbeat_age_seconds"] is None  # no worker has run the beat yet
    assert body["oldest_unsent_email_age_seconds"] is None  # nothing is waiting


def test_readiness_tells_how_long_the_oldest_email_has_waited(client, member, time_machine):
    chapter = member.chapter
    meeting = factories.meeting(chapter)
    Delivery.objects.create(kind=NotificationKind.REMINDER, chapter=chapter, member=member,
                            meeting=meeting, due_at=timezone.now())
    time_machine.shift(300)
    body = json.loads(client.get(reverse("readyz")).content)
    assert 300 <= body["oldest_unsent_email_age_seconds"] < 310
    assert body["status"] == "ready"  # mail waiting does not stop the web serving


def test_readiness_tells_how_long_ago_a_worker_ran_the_beat(client, db, time_machine):
    worker_heartbeat.delay()
    time_machine.shift(90)
    age = json.loads(client.get(reverse("readyz")).content)["worker_heartbeat_age_seconds"]
    assert 90 <= age < 100


def test_readiness_is_503_while_redis_is_away(client, db, redis_away):
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["cache"]["ok"] is False


def test_a_signed_in_member_carries_on_while_redis_is_away(client_for, chapter, member, redis_away):
    response = client_for(member).get(reverse("chapter_home", args=[chapter.slug]))
    assert response.status_code == 200


def test_sign_in_is_paused_not_unprotected_while_redis_is_away(browser_client, member, redis_away):
    member.user.set_password("a long enough password")
    member.user.save()
    response = browser_client.post(
        reverse("account_login"), {"login": member.user.email, "password": "a long enough password"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "signing in and account changes are paused" in response.content.decode()
    assert "_auth_user_id" not in browser_client.session


def test_a_form_sent_without_its_csrf_token_is_explained(chapter, member):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member.user)
    response = strict.post(reverse("slip_hub", args=[chapter.slug]), {})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
