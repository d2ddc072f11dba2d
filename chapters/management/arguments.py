"""What management commands read from their command line: dates and chapters."""

import datetime

from django.core.management.base import CommandError

from chapters.models import Chapter


def date_argument(value: str) -> datetime.date:
    """An argparse `type` for a date given as YYYY-MM-DD."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date like 2026-01-31.") from error


def chapter_argument(slug: str) -> Chapter:
    """The chapter a --chapter slug names, or a clear error."""
    try:
        return Chapter.objects.get(slug=slug)
    except Chapter.DoesNotExist:
        raise CommandError(f"No chapter with the slug {slug!r}.") from None
