"""CI runs the whole suite against the real PostgreSQL and Redis, never silently without them."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.mark.django_db
def test_ci_runs_on_postgresql_and_redis():
    if not IN_CI:
        pytest.skip("only CI insists on the real services")
    assert connection.vendor == "postgresql"
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.set("ci-probe", "ok", 30)
    assert cache.get("ci-probe") == "ok"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_the_database_is_the_one_the_environment_names(db):
    expected = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    assert connection.vendor == expected
