"""Answering HTMX requests: the page a browser asks for, or the partial HTMX swaps in."""

from django.shortcuts import render


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page_or_part(request, template: str, part: str | None, context: dict, **kwargs):
    """The whole page, or only its partial `part` (a `{% partialdef %}`) when HTMX asks."""
    name = f"{template}#{part}" if part and is_htmx(request) else template
    return render(request, name, context, **kwargs)
