"""A leader's "this week" card: the meeting to act on, before, during and after it until its
weekly report is completed, with the next action and what is still missing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting
from members.models import Role
from reports import weekly
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def monday_chapter(db):
    """A chapter that meets on Mondays; the tests start on Tuesday 17 November 2026."""
    chapter = factories.chapter("Monday Movers", meeting_weekday=0)
    president = factories.member(chapter, roles=(Role.PRESIDENT,), first_name="Pia",
                                 last_name="Prez")
    members = [factories.member(chapter) for _ in range(3)]
    return chapter, president, members


def yesterday(chapter):
    return timezone.localdate(timezone.now(), chapter.zone) - datetime.timedelta(days=1)


def test_yesterdays_draft_meeting_is_the_one_to_act_on(monday_chapter):
    chapter, _, _ = monday_chapter
    last = factories.meeting(chapter, yesterday(chapter))
    assert services.meeting_to_act_on(chapter) == last


def test_once_its_report_is_completed_the_next_meeting_follows(monday_chapter):
    chapter, president, _ = monday_chapter
    last = factories.meeting(chapter, yesterday(chapter))
    services.attendance_mark_rest(meeting=last, by=president.user)
    services.report_complete(meeting=last, by=president.user)
    found = services.meeting_to_act_on(chapter)
    assert found.local_date > last.local_date


def test_todays_meeting_comes_first_before_it_starts(monday_chapter):
    chapter, _, _ = monday_chapter
    factories.meeting(chapter, yesterday(chapter) - datetime.timedelta(days=7))
    now = timezone.now()
    today = factories.meeting(chapter, timezone.localdate(now, chapter.zone),
                              starts_at=now + datetime.timedelta(hours=2),
                              ends_at=now + datetime.timedelta(hours=3))
    assert services.meeting_to_act_on(chapter) == today
    tasks = weekly.week_tasks(today)
    assert (tasks.started, tasks.next_action, tasks.unmarked) == (False, "attendance", 4)


def test_president_sees_what_is_missing_then_the_report_to_complete(client_for, monday_chapter):
    chapter, president, members = monday_chapter
    last = factories.meeting(chapter, yesterday(chapter))
    services.attendance_mark(meeting=last, member=members[0], code="P", by=president.user)
    client = client_for(president)
    home = reverse("chapter_home", args=[chapter.slug])

    page = client.get(home).text
    assert "This week" in page
    assert "3 members not marked" in page
    assert reverse("attendance", args=[chapter.slug, last.pk]) in page
    assert "Take attendance" in page and "Report: Draft" in page

    services.attendance_mark_rest(meeting=last, by=president.user)
    page = client.get(home).text
    assert "everyone marked" in page
    assert "Check slips and complete the report" in page
    assert reverse("meeting_report", args=[chapter.slug, last.pk]) in page

    services.report_complete(meeting=last, by=president.user)
    page = client.get(home).text
    assert reverse("meeting_report", args=[chapter.slug, last.pk]) not in page


def test_a_member_without_a_role_has_no_this_week_card(client_for, monday_chapter):
    chapter, _, members = monday_chapter
    factories.meeting(chapter, yesterday(chapter))
    page = client_for(members[0]).get(reverse("chapter_home", args=[chapter.slug])).text
    assert "this-week-heading" not in page


def test_meetings_list_puts_the_meeting_needing_action_first(client_for, monday_chapter,
                                                          django_assert_max_num_queries):
    chapter, president, _ = monday_chapter
    last = factories.meeting(chapter, yesterday(chapter))
    services.meetings_schedule(chapter=chapter, now=timezone.now())
    client = client_for(president)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("meeting_list", args=[chapter.slug])).text
    report = reverse("meeting_report", args=[chapter.slug, last.pk])
    assert page.index(report) < page.index("Coming up")
    assert Meeting.objects.get(pk=last.pk).report_status == Meeting.ReportStatus.DRAFT
