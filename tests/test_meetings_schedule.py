"""The schedule: eight weeks of meetings kept in place by a beat task (idempotent, right across
daylight-saving changes); leaders cancel, holiday or move a meeting and members see it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from chapters.models import Weekday
from meetings import services, tasks
from meetings.models import Attendance, Meeting
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def snapshot(chapter):
    return list(
        Meeting.objects.filter(chapter=chapter)
        .order_by("local_date")
        .values_list("pk", "local_date", "slot_date", "starts_at", "ends_at", "status")
    )


@pytest.fixture
def london(db):
    """Wednesdays 07:00 in London, 90 minutes."""
    return factories.chapter(
        "London Breakfast",
        time_zone="Europe/London",
        meeting_weekday=Weekday.WEDNESDAY,
        meeting_time=datetime.time(7, 0),
        meeting_duration_minutes=90,
    )


def test_generator_keeps_the_next_eight_weeks(london):
    created = services.meetings_schedule(chapter=london, now=at(2026, 3, 2, 12))  # a Monday
    assert created == 8
    dates = [row[1] for row in snapshot(london)]
    assert dates == [datetime.date(2026, 3, 4) + datetime.timedelta(weeks=n) for n in range(8)]
    assert all(row[1] == row[2] for row in snapshot(london))


def test_running_the_generator_twice_changes_nothing(london):
    services.meetings_schedule(chapter=london, now=at(2026, 3, 2, 12))
    first = snapshot(london)
    assert services.meetings_schedule(chapter=london, now=at(2026, 3, 2, 12)) == 0
    assert snapshot(london) == first


def test_the_beat_task_run_twice_gives_the_same_meetings(london, other_chapter):
    tasks.meetings_keep_schedule.delay()
    first = snapshot(london), snapshot(other_chapter)
    tasks.meetings_keep_schedule.delay()
    assert (snapshot(london), snapshot(other_chapter)) == first
    assert len(first[0]) in (7, 8)  # this week's meeting may already be over


def test_spring_forward_keeps_seven_o_clock_local(london):
    # Clocks in London go forward on Sunday 29 March 2026.
    services.meetings_schedule(chapter=london, now=at(2026, 3, 16, 12))
    meetings = {m.local_date: m for m in Meeting.objects.filter(chapter=london)}
    assert meetings[datetime.date(2026, 3, 25)].starts_at == at(2026, 3, 25, 7, 0)  # GMT
    assert meetings[datetime.date(2026, 4, 1)].starts_at == at(2026, 4, 1, 6, 0)  # BST
    assert meetings[datetime.date(2026, 4, 1)].ends_at == at(2026, 4, 1, 7, 30)
    for meeting in meetings.values():
        assert meeting.local_start.time() == datetime.time(7, 0)
        assert meeting.local_start.date() == meeting.local_date


def test_fall_back_keeps_seven_o_clock_local(london):
    # Clocks in London go back on Sunday 25 October 2026.
    services.meetings_schedule(chapter=london, now=at(2026, 10, 12, 12))
    meetings = {m.local_date: m for m in Meeting.objects.filter(chapter=london)}
    assert meetings[datetime.date(2026, 10, 21)].starts_at == at(2026, 10, 21, 6, 0)  # BST
    assert meetings[datetime.date(2026, 10, 28)].starts_at == at(2026, 10, 28, 7, 0)  # GMT
    for meeting in meetings.values():
        assert meeting.local_start.time() == datetime.time(7, 0)


@pytest.mark.parametrize(
    "before, during, after",
    [
        # Spring: the Sunday night the clocks jump from 01:00 to 02:00.
        (at(2026, 3, 23, 9), at(2026, 3, 29, 0, 30), at(2026, 3, 29, 1, 30)),
        # Autumn: 01:00-02:00 happens twice.
        (at(2026, 10, 19, 9), at(2026, 10, 25, 0, 30), at(2026, 10, 25, 1, 30)),
    ],
)
def test_runs_on_either_side_of_a_clock_change_give_the_same_meetings(
    london, before, during, after
):
    services.meetings_schedule(chapter=london, now=before)
    first = {row[1]: row for row in snapshot(london)}
    services.meetings_schedule(chapter=london, now=during)
    services.meetings_schedule(chapter=london, now=after)
    services.meetings_schedule(chapter=london, now=after)
    second = {row[1]: row for row in snapshot(london)}
    # Every meeting made before the change is still there, untouched (same row, same times).
    for local_date, row in first.items():
        if row[3] > after:
            assert second[local_date] == row
    assert len(second) == len(set(second))  # one meeting per day
    for meeting in Meeting.objects.filter(chapter=london):
        assert meeting.local_start.time() == datetime.time(7, 0)


def test_new_york_chapter_across_its_own_dst_change(db):
    # A chapter's own time zone rules: New York springs forward on 8 March 2026.
    chapter = factories.chapter(
        "Manhattan", time_zone="America/New_York", meeting_weekday=Weekday.TUESDAY,
        meeting_time=datetime.time(7, 30),
    )
    services.meetings_schedule(chapter=chapter, now=at(2026, 3, 1, 12))
    meetings = {m.local_date: m for m in Meeting.objects.filter(chapter=chapter)}
    assert meetings[datetime.date(2026, 3, 3)].starts_at == at(2026, 3, 3, 12, 30)  # EST
    assert meetings[datetime.date(2026, 3, 10)].starts_at == at(2026, 3, 10, 11, 30)  # EDT


def test_generator_leaves_a_moved_meeting_and_its_week_alone(london):
    now = at(2026, 3, 2, 12)
    services.meetings_schedule(chapter=london, now=now)
    meeting = Meeting.objects.get(chapter=london, local_date=datetime.date(2026, 3, 18))
    services.meeting_move(
        meeting=meeting,
        local_date=datetime.date(2026, 3, 19),
        start_time=datetime.time(12, 0),
        venue="The Guildhall",
    )
    before = snapshot(london)
    assert services.meetings_schedule(chapter=london, now=now) == 0
    assert snapshot(london) == before
    meeting.refresh_from_db()
    assert meeting.is_custom and meeting.slot_date == datetime.date(2026, 3, 18)
    assert meeting.local_start.time() == datetime.time(12, 0)
    assert not Meeting.objects.filter(chapter=london, local_date=datetime.date(2026, 3, 18))


def test_generator_keeps_cancelled_and_holiday_weeks(london):
    now = at(2026, 3, 2, 12)
    services.meetings_schedule(chapter=london, now=now)
    first, second = Meeting.objects.filter(chapter=london).order_by("local_date")[:2]
    services.meeting_set_status(meeting=first, status=Meeting.Status.CANCELLED)
    services.meeting_set_status(meeting=second, status=Meeting.Status.HOLIDAY)
    services.meetings_schedule(chapter=london, now=now)
    assert Meeting.objects.filter(chapter=london).count() == 8
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("cancelled", "holiday")


def test_changing_the_meeting_day_moves_untouched_weeks_only(london):
    now = at(2026, 3, 2, 12)
    services.meetings_schedule(chapter=london, now=now)
    marked = Meeting.objects.filter(chapter=london).order_by("local_date").first()
    Attendance.objects.create(
        meeting=marked, member=factories.member(london), code="P"
    )
    london.meeting_weekday = Weekday.THURSDAY
    london.save()
    services.meetings_schedule(chapter=london, now=now)
    others = Meeting.objects.filter(chapter=london).exclude(pk=marked.pk)
    weekdays = sorted({m.local_date.weekday() for m in others})
    assert weekdays == [Weekday.THURSDAY]
    assert Meeting.objects.filter(pk=marked.pk).exists()  # attendance was taken: it stays


def test_weeks_made_beyond_eight_are_not_dropped_by_the_next_run(london):
    now = at(2026, 3, 2, 12)
    services.meetings_schedule(chapter=london, now=now, weeks=12)
    assert services.meetings_schedule(chapter=london, now=now) == 0
    assert Meeting.objects.filter(chapter=london).count() == 12


# --- Leaders change a meeting; members see it ---------------------------------------------


@pytest.fixture
def upcoming(chapter):
    return factories.meeting(chapter, timezone.localdate() + datetime.timedelta(days=7))


def test_leader_cancels_a_meeting_and_members_see_it(client_for, president, member, upcoming):
    chapter = upcoming.chapter
    response = client_for(president).post(
        reverse("meeting_status", args=[chapter.slug, upcoming.pk]),
        {"status": "cancelled", "note": "Venue flooded"},
    )
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.status == Meeting.Status.CANCELLED
    assert upcoming.note == "Venue flooded"
    page = client_for(member).get(reverse("meeting_detail", args=[chapter.slug, upcoming.pk]))
    assert "This meeting is cancelled" in page.content.decode()
    assert "Venue flooded" in page.content.decode()
    listing = client_for(member).get(reverse("meeting_list", args=[chapter.slug]))
    assert "Cancelled" in listing.content.decode()


def test_leader_marks_a_holiday_and_puts_it_back_on(client_for, president, upcoming):
    chapter = upcoming.chapter
    client = client_for(president)
    url = reverse("meeting_status", args=[chapter.slug, upcoming.pk])
    client.post(url, {"status": "holiday"})
    upcoming.refresh_from_db()
    assert upcoming.status == Meeting.Status.HOLIDAY
    client.post(url, {"status": "scheduled"})
    upcoming.refresh_from_db()
    assert upcoming.status == Meeting.Status.SCHEDULED


def test_an_unknown_status_is_refused_without_change(client_for, president, upcoming):
    client_for(president).post(
        reverse("meeting_status", args=[upcoming.chapter.slug, upcoming.pk]), {"status": "held"}
    )
    upcoming.refresh_from_db()
    assert upcoming.status == Meeting.Status.SCHEDULED


def test_leader_moves_a_meeting_and_members_see_the_new_time(
    client_for, president, member, upcoming
):
    chapter = upcoming.chapter
    new_day = upcoming.local_date + datetime.timedelta(days=1)
    response = client_for(president).post(
        reverse("meeting_edit", args=[chapter.slug, upcoming.pk]),
        {"local_date": new_day.isoformat(), "start_time": "12:15", "venue": "Town Hall",
         "online_link": "", "note": "Moved for the trade fair"},
    )
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.local_date == new_day and upcoming.is_custom
    assert upcoming.slot_date != new_day  # keeps its regular slot
    assert upcoming.local_start.time() == datetime.time(12, 15)
    assert upcoming.ends_at - upcoming.starts_at == datetime.timedelta(minutes=90)
    page = client_for(member).get(reverse("meeting_detail", args=[chapter.slug, upcoming.pk]))
    text = page.content.decode()
    assert "12:15" in text and "Town Hall" in text and "Moved" in text
    home = client_for(member).get(reverse("chapter_home", args=[chapter.slug]))
    assert "12:15" in home.content.decode()


def test_moving_onto_a_day_with_a_meeting_says_so(client_for, president, upcoming):
    chapter = upcoming.chapter
    other = factories.meeting(chapter, upcoming.local_date + datetime.timedelta(days=7))
    response = client_for(president).post(
        reverse("meeting_edit", args=[chapter.slug, upcoming.pk]),
        {"local_date": other.local_date.isoformat(), "start_time": "07:00"},
    )
    assert response.status_code == 400
    assert "already has a meeting" in response.content.decode()
    assert f'value="{other.local_date.isoformat()}"' in response.content.decode()


def test_a_bad_move_form_shows_errors_next_to_fields(client_for, president, upcoming):
    response = client_for(president).post(
        reverse("meeting_edit", args=[upcoming.chapter.slug, upcoming.pk]),
        {"local_date": "not a date", "start_time": "25:99", "online_link": "nope"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Enter a valid date" in text and "Enter a valid time" in text


def test_a_completed_week_can_no_longer_move_or_be_cancelled(client_for, president, chapter):
    meeting = factories.meeting(
        chapter, timezone.localdate() - datetime.timedelta(days=7),
        report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=timezone.now(),
    )
    client = client_for(president)
    client.post(reverse("meeting_status", args=[chapter.slug, meeting.pk]), {"status": "cancelled"})
    response = client.post(
        reverse("meeting_edit", args=[chapter.slug, meeting.pk]),
        {"local_date": meeting.local_date.isoformat(), "start_time": "09:00"},
    )
    assert response.status_code in (200, 400)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert meeting.local_start.time() == datetime.time(7, 0)


def test_meeting_list_query_count_does_not_grow(client_for, member, chapter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(member)
    url = reverse("meeting_list", args=[chapter.slug])
    today = timezone.localdate()
    factories.meeting(chapter, today + datetime.timedelta(days=1))
    factories.meeting(chapter, today - datetime.timedelta(days=6))
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    presenter, second = factories.member(chapter), factories.member(chapter)
    for week in range(2, 12):
        factories.meeting(chapter, today + datetime.timedelta(days=week * 7 + 1),
                          feature_presenter=presenter, second_feature_presenter=second)
        factories.meeting(chapter, today - datetime.timedelta(days=week * 7 - 1))
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
