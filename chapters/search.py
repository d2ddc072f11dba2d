"""What a search box sends (`?q=`), and the rows that match it, as every list with one reads it."""

import functools
import operator

from django.db.models import Q

# Longer text names nobody: a search is a few words of a name, a business or a classification.
SEARCH_MAX_CHARS = 100
SEARCH_MAX_WORDS = 5


def search_text(request) -> str:
    """The search box's text, bounded; NUL characters cannot reach the database."""
    return request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_CHARS]


def matching_every_word(queryset, query: str, fields: tuple[str, ...]):
    """The rows in which every word of the query is part of one of `fields` (any case)."""
    for word in query.split()[:SEARCH_MAX_WORDS]:
        either = [Q(**{f"{field}__icontains": word}) for field in fields]
        queryset = queryset.filter(functools.reduce(operator.or_, either))
    return queryset
