"""The meeting a page shows is the sensible one at any instant: on the meeting day after the
meeting, and after the schedule keeper was down long enough for every meeting it made to pass."""

import datetime

import pytest
from django.urls import reverse

from meetings import services
from meetings.models import Meeting

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# London chapters meet on Wednesdays, 07:00-08:30 (tests/factories.py).
WEDNESDAY_EVENING = datetime.datetime(2026, 12, 9, 20, 0, tzinfo=UTC)


@pytest.fixture
def stale_schedule(chapter, time_machine):
    """The chapter's eight weeks were made, then the beat stopped for ten weeks."""
    time_machine.move_to(datetime.datetime(2026, 9, 28, 12, 0, tzinfo=UTC), tick=False)
    services.meetings_schedule(chapter=chapter)
    time_machine.move_to(WEDNESDAY_EVENING + datetime.timedelta(days=1))
    assert not Meeting.objects.for_chapter(chapter).upcoming().exists()


def test_the_dashboard_shows_the_next_meeting_when_the_beat_was_down(
    client_for, member, stale_schedule
):
    page = client_for(member).get(reverse("chapter_home", args=[member.chapter.slug]))

    assert page.status_code == 200
    assert "Wednesday 16 December 2026" in page.content.decode()
    assert "No meeting is scheduled yet" not in page.content.decode()


def test_a_visitor_can_be_registered_for_a_coming_meeting_when_the_beat_was_down(
    client_for, member, stale_schedule
):
    slug = member.chapter.slug
    form = client_for(member).get(reverse("visitor_new", args=[slug])).context["form"]
    coming = list(form.fields["meeting"].queryset)

    assert coming and coming[0].local_date == datetime.date(2026, 12, 16)
    answer = client_for(member).post(
        reverse("visitor_new", args=[slug]),
        {"meeting": coming[0].pk, "name": "Vera Visitor", "phone": "0161 496 0000"},
    )
    assert answer.status_code == 302
    assert coming[0].visitors.get().name == "Vera Visitor"


def test_a_slip_logged_when_the_beat_was_down_counts_for_a_coming_meeting(
    member, stale_schedule
):
    meeting = services.meeting_for_slip(member.chapter)

    assert meeting.local_date == datetime.date(2026, 12, 16)


def test_this_week_on_the_meeting_day_after_the_meeting_is_todays_meeting(
    client_for, president, time_machine
):
    time_machine.move_to(WEDNESDAY_EVENING - datetime.timedelta(days=2))
    services.meetings_schedule(chapter=president.chapter)
    time_machine.move_to(WEDNESDAY_EVENING)
    today = Meeting.objects.get(chapter=president.chapter, local_date=datetime.date(2026, 12, 9))

    answer = client_for(president).get(reverse("meeting_next", args=[president.chapter.slug]))

    assert answer.status_code == 302
    assert answer.url == reverse("meeting_detail", args=[president.chapter.slug, today.pk])


def test_the_dashboard_on_the_meeting_day_after_the_meeting_shows_next_weeks(
    client_for, member, time_machine
):
    time_machine.move_to(WEDNESDAY_EVENING - datetime.timedelta(days=2))
    services.meetings_schedule(chapter=member.chapter)
    time_machine.move_to(WEDNESDAY_EVENING)

    page = client_for(member).get(reverse("chapter_home", args=[member.chapter.slug]))

    assert "Wednesday 16 December 2026" in page.content.decode()
