"""Every kind of email: plain text and HTML in the one layout, every link from SITE_URL, and a
one-click unsubscribe on every kind a member can turn off."""

import re

import pytest

from notifications.models import OPTIONAL_KINDS
from tests.email_kinds import one_of_each_kind

LINK = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def emails(chapter, settings):
    settings.SITE_URL = "http://127.0.0.1:8611"  # as `make run PORT=8611` sets it
    return one_of_each_kind(chapter)


def test_every_kind_has_text_and_html_in_the_one_layout(emails):
    assert len(emails) == 9
    for name, message in emails.items():
        (html,) = [content for content, mimetype in message.alternatives
                   if mimetype == "text/html"]
        assert message.body.strip(), name
        assert 'name="viewport"' in html and 'class="wrap"' in html, name


def test_every_link_points_at_the_site_url(emails):
    for name, message in emails.items():
        html = message.alternatives[0].content
        links = LINK.findall(message.body) + LINK.findall(html)
        assert links, name
        ours = [link for link in links if "example.test" not in link]
        assert ours and all(link.startswith("http://127.0.0.1:8611/") for link in ours), (
            name, ours)
        assert ":8000" not in message.body + html


def test_every_kind_a_member_can_turn_off_has_a_one_click_unsubscribe(emails):
    for name, message in emails.items():
        kind = message.extra_headers["X-Chapterhouse-Kind"]
        headers = message.extra_headers
        if kind in OPTIONAL_KINDS:
            url = headers["List-Unsubscribe"].strip("<>")
            assert url.startswith("http://127.0.0.1:8611/emails/unsubscribe/"), name
            assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert url in message.body and url in message.alternatives[0].content
        else:
            assert "List-Unsubscribe" not in headers, name
