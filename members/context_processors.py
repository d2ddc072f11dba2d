from chapters import freshness
from chapters.models import Chapter


def navigation(request):
    """The chapters the signed-in person belongs to, for the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def chapters():
        # On every page: cached until the person's memberships or a chapter change.
        return freshness.cached(
            f"nav-chapters:{user.pk}",
            [("user", user.pk), freshness.CATALOG],
            lambda: (list(Chapter.objects.for_user(user).only("name", "slug")),
                     freshness.PAGE_SECONDS),
        )

    return {"nav_chapters": chapters}
