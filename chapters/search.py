"""What a search box sends (`?q=`), as every list with one reads it."""

# Longer text names nobody: a search is a few words of a name, a business or a classification.
SEARCH_MAX_CHARS = 100


def search_text(request) -> str:
    """The search box's text, bounded; NUL characters cannot reach the database."""
    return request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_CHARS]
