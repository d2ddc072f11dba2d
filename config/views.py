from django.http import HttpResponse
from django.views.decorators.http import require_safe


@require_safe
def healthz(request):
    """Liveness for load balancers (and the bare-view baseline of `make bench`): no database."""
    return HttpResponse("ok", content_type="text/plain")
