"""Chapters run in the app: admins create them and see all of them at a glance (size, renewals
due, attendance, traffic lights); leaders keep their chapter's settings."""

import datetime
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Attendance, Meeting
from members.models import Application, AuditEntry, Member
from reports.views_admin import chapters_overview
from tests import factories
from tests.test_membership_roles_matrix import settings_data


def test_admin_creates_a_chapter_with_its_schedule_and_policies(client_for, chapter, admin_user):
    data = settings_data(chapter) | {
        "name": "Lakeside Leaders", "slug": "", "time_zone": "America/New_York",
        "meeting_weekday": 1, "meeting_time": "07:30", "currency": "usd",
        "approval_window_days": 10, "venue": "Lakeside Hall",
    }
    response = client_for(admin_user).post(reverse("chapter_create"), data)
    assert response.status_code == 302
    created = Chapter.objects.get(slug="lakeside-leaders")
    assert created.time_zone == "America/New_York"
    assert created.currency == "USD"
    assert created.meeting_time == datetime.time(7, 30)
    assert Meeting.objects.filter(chapter=created).exists()
    assert all(m.local_start.weekday() == 1 for m in Meeting.objects.filter(chapter=created))
    entry = AuditEntry.objects.get(chapter=created, action=AuditEntry.Action.CHAPTER_CREATED)
    assert entry.actor == admin_user
    assert response.url == reverse("chapter_settings", args=[created.slug])


def test_a_taken_slug_is_refused_and_the_form_keeps_input(client_for, chapter, admin_user):
    data = settings_data(chapter) | {"name": "Another", "slug": chapter.slug}
    response = client_for(admin_user).post(reverse("chapter_create"), data)
    assert response.status_code == 400
    assert "is taken" in response.content.decode()
    assert 'value="Another"' in response.content.decode()
    empty = client_for(admin_user).post(reverse("chapter_create"), {})
    assert empty.status_code == 400


def test_changing_the_meeting_day_moves_the_coming_meetings(client_for, chapter, president):
    from meetings.services import meetings_schedule

    meetings_schedule(chapter=chapter)
    new_day = (chapter.meeting_weekday + 2) % 7
    data = settings_data(chapter) | {"meeting_weekday": new_day}
    response = client_for(president).post(reverse("chapter_settings", args=[chapter.slug]), data)
    assert response.status_code == 302
    # A meeting under way when the day changes is held where it is; the ones to come move.
    coming = Meeting.objects.filter(chapter=chapter, starts_at__gt=timezone.now())
    assert coming.exists()
    assert {meeting.local_start.weekday() for meeting in coming} == {new_day}


def test_overview_shows_size_renewals_applications_and_attendance(client_for, chapter,
                                                                   admin_user):
    today = timezone.localdate()
    due_soon = factories.member(chapter)
    Member.objects.filter(pk=due_soon.pk).update(renewal_due_on=today + datetime.timedelta(20))
    absent = factories.member(chapter)
    factories.member(chapter, status=Member.Status.DROPPED)
    Application.objects.create(chapter=chapter, first_name="A", last_name="B",
                               email="a@example.test", business_name="B",
                               classification=factories.classification("Wedding Photography"))
    meeting = factories.meeting(chapter, today - datetime.timedelta(days=7))
    Meeting.objects.filter(pk=meeting.pk).update(report_status="completed",
                                                 report_completed_at=timezone.now())
    Attendance.objects.create(meeting=meeting, member=due_soon, code="P")
    Attendance.objects.create(meeting=meeting, member=absent, code="A")
    row = next(c for c in chapters_overview() if c.pk == chapter.pk)
    assert (row.size, row.renewals_due, row.open_applications) == (2, 1, 1)
    assert (row.attendance_rows, row.absences) == (2, 1)
    page = client_for(admin_user).get(reverse("chapter_overview")).content.decode()
    assert "50% absent" in page
    assert reverse("chapter_lights", args=[chapter.slug]) in page


def test_overview_query_count_does_not_grow(client_for, chapter, admin_user):
    client = client_for(admin_user)
    url = reverse("chapter_overview")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(8):
        other = factories.chapter(f"Chapter {number}")
        factories.member(other)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)


def test_traffic_light_summary_for_one_chapter(client_for, chapter, admin_user):
    for _ in range(3):
        factories.member(chapter)
    partial = client_for(admin_user).get(
        reverse("chapter_lights", args=[chapter.slug]), headers={"HX-Request": "true"}
    )
    content = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in content
    counts = re.findall(r'class="light light-\w+">(\d+) (\w+)<', content)
    assert sum(int(count) for count, _ in counts) == 3
    page = client_for(admin_user).get(reverse("chapter_lights", args=[chapter.slug]))
    assert "<html" in page.content.decode()
