"""The home page after login: the member's chapter and next meeting in the chapter's time zone."""

import datetime

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_chapter_home_shows_next_meeting_in_the_chapter_time_zone(client_for, db):
    chapter = factories.chapter(
        "Lakeside",
        time_zone="America/Chicago",
        venue="Lakeside Grill",
        meeting_time=datetime.time(7, 0),
    )
    person = factories.member(chapter)
    factories.meeting(chapter)
    page = client_for(person).get(reverse("chapter_home", args=[chapter.slug]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "07:00" in text
    assert "America/Chicago" in text
    assert "Lakeside Grill" in text


def test_member_of_other_chapter_gets_404(client_for, chapter, other_member):
    assert (
        client_for(other_member).get(reverse("chapter_home", args=[chapter.slug])).status_code
        == 404
    )


def test_admin_sees_every_chapter(client_for, chapter, other_chapter, admin_user):
    page = client_for(admin_user).get(reverse("home")).content.decode()
    assert chapter.name in page and other_chapter.name in page
