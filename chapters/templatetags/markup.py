"""Values written into HTML attributes in the form the HTML standard asks for."""

import datetime
import re

from django import template
from django.utils import timezone

register = template.Library()

DIGITS = re.compile(r"\d+")


@register.filter
def tel_uri(phone: str) -> str:
    """A `tel:` link for a phone number as people type it: its digits in their groups, joined
    by hyphens, after a leading + if it has one. "(312) 555-0142" -> "tel:312-555-0142",
    "+44 7700 900347" -> "tel:+44-7700-900347". Empty when there is no digit to dial."""
    phone = (phone or "").strip()
    groups = DIGITS.findall(phone)
    if not groups:
        return ""
    return "tel:" + ("+" if phone.startswith("+") else "") + "-".join(groups)


@register.filter
def iso_datetime(value: datetime.datetime | datetime.date | None) -> str:
    """A `datetime` attribute: an instant in the current time zone to the second (no
    microseconds, which the HTML standard does not allow), or a date as YYYY-MM-DD."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()
