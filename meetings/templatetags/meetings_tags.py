from django import template

register = template.Library()


@register.filter
def person(user) -> str:
    """A user's name for a page: full name, else email; "someone" once the account is gone."""
    if user is None:
        return "someone"
    return user.get_full_name() or user.email
