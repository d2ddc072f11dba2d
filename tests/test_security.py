"""Security gates that live in the test suite (the rest run in .ci/run)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_sixth_wrong_password_answers_429(client, member, settings):
    url = reverse("account_login")
    for attempt in range(5):
        response = client.post(
            url, {"login": "member@example.test", "password": f"wrong {attempt}"}
        )
        assert response.status_code == 200, attempt
        assert "not correct" in response.content.decode()
    response = client.post(url, {"login": "member@example.test", "password": "wrong again"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    # Even the right password waits now: the limit is per account, kept in the shared cache.
    response = client.post(url, {"login": "member@example.test", "password": factories.PASSWORD})
    assert response.status_code == 429
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        keys = cache._cache.get_client().keys("*allauth*")
        assert keys, "the rate-limit counters live in Redis"


def test_security_headers_on_every_page(client, member):
    client.force_login(member.user)
    response = client.get(reverse("chapter_home", args=[member.chapter.slug]))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
