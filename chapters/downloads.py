"""Files a person downloads (exports, their own data): a response the browser saves, never
kept by a cache on the way."""

from django.http import HttpResponse


def attachment(content: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
