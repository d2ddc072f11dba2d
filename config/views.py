from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

# Every window in ACCOUNT_RATE_LIMITS is this long or shorter, so after it every limit has room.
RETRY_AFTER_MINUTES = 5


@require_safe
def healthz(request):
    """Liveness for load balancers (and the bare-view baseline of `make bench`): no database."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request):
    """Pages name their icon; the back office and other clients still ask for /favicon.ico."""
    return redirect(static("favicon.svg"))


def too_many_requests(request):
    """allauth's answer when a rate limit is reached (its handler429): what happened, and when."""
    response = render(
        request, "429.html", {"retry_after_minutes": RETRY_AFTER_MINUTES}, status=429
    )
    response["Retry-After"] = str(RETRY_AFTER_MINUTES * 60)
    return response
