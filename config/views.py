"""Site-wide views: liveness, readiness, and the pages for errors and limits."""

import sys
from datetime import datetime

import redis
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import WORKER_HEARTBEAT_KEY
from config.celery import app as celery_app
from notifications.models import Delivery

# Every window in ACCOUNT_RATE_LIMITS is this long or shorter, so after it every limit has room.
RETRY_AFTER_MINUTES = 5
# A dependency that is away is usually back within a minute (a restart, a failover).
RETRY_AFTER_UNAVAILABLE_SECONDS = 60
# How long readiness waits for each dependency before calling it down.
PROBE_TIMEOUT_SECONDS = 1
# Errors that mean a service is unreachable, not that the code is wrong.
DATABASE_AWAY = (OperationalError, InterfaceError)
REDIS_AWAY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@require_safe
def healthz(request):
    """Liveness for load balancers (and the bare-view baseline of `make bench`): no database."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request):
    """Readiness: can this web process serve? 503 when the database or Redis is away.

    Also reported, without failing readiness (the web serves without them): the Celery broker,
    how long ago a worker last ran the beat's heartbeat, and how long the oldest email due has
    waited to be sent."""
    checks = {
        "database": _probe(_database_answers),
        "cache": _probe(_cache_answers),
        "broker": _probe(_broker_answers),
    }
    ready = checks["database"]["ok"] and checks["cache"]["ok"]
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": checks,
        "worker_heartbeat_age_seconds": _worker_heartbeat_age() if checks["cache"]["ok"] else None,
        "oldest_unsent_email_age_seconds": (
            _oldest_unsent_email_age() if checks["database"]["ok"] else None
        ),
    }
    return JsonResponse(body, status=200 if ready else 503)


def _probe(check) -> dict:
    try:
        check()
    except Exception as error:  # noqa: BLE001 - any failure of a dependency is "not ready"
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache_answers() -> None:
    cache.set("readiness-probe", "1", timeout=10)
    if cache.get("readiness-probe") != "1":
        raise RuntimeError("cache did not keep a value")


def _broker_answers() -> None:
    with celery_app.connection_for_write(connect_timeout=PROBE_TIMEOUT_SECONDS) as broker:
        broker.connect()


def _worker_heartbeat_age() -> int | None:
    beat = cache.get(WORKER_HEARTBEAT_KEY)
    if beat is None:
        return None
    return int((timezone.now() - datetime.fromisoformat(beat)).total_seconds())


@require_safe
def favicon(request):
    """Pages name their icon; the back office and other clients still ask for /favicon.ico."""
    return redirect(static("favicon.svg"))


def _oldest_unsent_email_age() -> int | None:
    """Seconds since the oldest email still waiting fell due (None when none is waiting)."""
    now = timezone.now()
    oldest = (
        Delivery.objects.filter(state__in=[Delivery.State.PENDING, Delivery.State.SENDING],
                                due_at__lte=now)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return None if oldest is None else int((now - oldest).total_seconds())


def too_many_requests(request):
    """allauth's answer when a rate limit is reached (its handler429): what happened, and when."""
    response = render(
        request, "429.html", {"retry_after_minutes": RETRY_AFTER_MINUTES}, status=429
    )
    response["Retry-After"] = str(RETRY_AFTER_MINUTES * 60)
    return response


def server_error(request):
    """handler500. A database or Redis that is away is not our bug: 503 and "try again in a
    minute". Either page is rendered without the database, the cache or the request context."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_AWAY + REDIS_AWAY):
        template = loader.get_template("503.html")
        away = "database" if isinstance(error, DATABASE_AWAY) else "cache"
        response = HttpResponse(
            template.render({"away": away, "retry_after_seconds": RETRY_AFTER_UNAVAILABLE_SECONDS}),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render({}))


