"""The values the templates write into HTML attributes (chapters/templatetags/markup.py)."""

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from chapters.templatetags.markup import iso_datetime, tel_uri


@pytest.mark.parametrize(
    "typed, uri",
    [
        ("(312) 555-0142", "tel:312-555-0142"),
        ("07700 900347", "tel:07700-900347"),
        ("+44 7700 900347", "tel:+44-7700-900347"),
        (" +1 (312) 555.0142 ", "tel:+1-312-555-0142"),
        ("020/7946/0018", "tel:020-7946-0018"),
        ("07700900347", "tel:07700900347"),
        ("", ""),
        ("ask at the desk", ""),
        (None, ""),
    ],
)
def test_a_tel_link_has_only_digits_a_leading_plus_and_hyphens(typed, uri):
    assert tel_uri(typed) == uri


def test_a_datetime_attribute_is_to_the_second_in_the_current_time_zone(settings):
    instant = datetime.datetime(2026, 11, 30, 19, 21, 14, 187623, tzinfo=datetime.UTC)
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        assert iso_datetime(instant) == "2026-11-30T13:21:14-06:00"
    with timezone.override(zoneinfo.ZoneInfo("Europe/London")):
        summer = datetime.datetime(2026, 7, 1, 8, 0, 0, 500, tzinfo=datetime.UTC)
        assert iso_datetime(summer) == "2026-07-01T09:00:00+01:00"
    assert iso_datetime(datetime.date(2026, 2, 28)) == "2026-02-28"
    assert iso_datetime(None) == ""


def test_the_filters_in_a_template():
    template = Template(
        '{% load markup %}<a href="{{ phone|tel_uri }}">{{ phone }}</a>'
        '<time datetime="{{ at|iso_datetime }}">now</time>'
    )
    at = datetime.datetime(2026, 11, 17, 10, 0, 0, 999999, tzinfo=datetime.UTC)
    with timezone.override(datetime.UTC):
        html = template.render(Context({"phone": "(312) 555-0142", "at": at}))
    assert html == ('<a href="tel:312-555-0142">(312) 555-0142</a>'
                    '<time datetime="2026-11-17T10:00:00+00:00">now</time>')
