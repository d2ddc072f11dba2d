from members.access import chapters_for_user


def navigation(request):
    """The chapters the signed-in person belongs to, for the navigation (read when a page
    shows it, from the database: a membership ended by any path is gone from the next page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def chapters():
        return list(chapters_for_user(user).only("name", "slug"))

    return {"nav_chapters": chapters}
