"""The weekly report (Draft with live numbers, completed and locked by the Vice President) and
the attendance policy (rolling window, lates per absence, substitute cap, absence notices)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import AbsenceNotice, Attendance, Meeting, Visitor
from members.models import Member, Role
from notifications import tasks
from notifications.models import Delivery, NotificationKind
from referrals import models as slip_models
from referrals.models import CEU, OneToOne, Referral, ThankYou
from reports import weekly
from tests import factories

pytestmark = pytest.mark.django_db


def past_meeting_date(chapter, weeks_ago: int) -> datetime.date:
    today = timezone.now().astimezone(chapter.zone).date()
    last = today - datetime.timedelta(days=(today.weekday() - chapter.meeting_weekday) % 7 or 7)
    return last - datetime.timedelta(weeks=weeks_ago)


def past_meeting(chapter, weeks_ago: int, **fields) -> Meeting:
    """The chapter's meeting `weeks_ago` weeks back (already held), made if need be."""
    local_date = past_meeting_date(chapter, weeks_ago)
    existing = Meeting.objects.filter(chapter=chapter, local_date=local_date).first()
    return existing or factories.meeting(chapter, local_date, **fields)


@pytest.fixture
def week(chapter):
    return past_meeting(chapter, 0)


def slips(meeting, giver, receiver, n=1):
    for _ in range(n):
        Referral.objects.create(giver=giver, receiver=receiver, tier="inside", temperature=3,
                                meeting=meeting, receiver_meeting=meeting)
        Referral.objects.create(giver=giver, receiver=receiver, tier="outside", temperature=5,
                                prospect_name="Pat Prospect", prospect_phone="0123",
                                meeting=meeting, receiver_meeting=meeting)
        ThankYou.objects.create(thanked_by=receiver, credited_to=giver, amount=Decimal("250.50"),
                                meeting=meeting, credited_meeting=meeting)
        OneToOne.objects.create(member=giver, met_with=receiver, met_on=meeting.local_date,
                                meeting=meeting, met_with_meeting=meeting)
        CEU.objects.create(member=giver, credits=2, description="Podcast",
                           earned_on=meeting.local_date, meeting=meeting)
        slip_models.Testimonial.objects.create(giver=giver, about=receiver, text="Great work",
                                               meeting=meeting)
        Visitor.objects.create(meeting=meeting, name="Vera Visitor", invited_by=giver)


# --- Numbers --------------------------------------------------------------------------------


def test_report_numbers_count_the_weeks_slips(week, president, member):
    slips(week, president, member, n=2)
    services.attendance_mark(meeting=week, member=member, code="L", by=president.user)
    numbers = weekly.report_numbers(week)
    assert numbers["attendance"]["L"] == 1 and numbers["attendance"]["unmarked"] == 1
    assert numbers["referrals"]["inside"] == 2 and numbers["referrals"]["outside"] == 2
    assert numbers["tyfcb"]["total"] == Decimal("501.00")
    # Two one-to-one slips between two members of the chapter: four in PALMS, one for each.
    assert numbers["one_to_ones"] == 4 and numbers["one_to_one_slips"] == 2
    assert numbers["ceus"]["credits"] == 4
    assert numbers["testimonials"] == 2
    assert numbers["visitors"] == 2 and numbers["visitors_at_meeting"] == 2


def test_draft_report_shows_live_provisional_numbers(client_for, president, member, week):
    client = client_for(president)
    url = reverse("meeting_report", args=[week.chapter.slug, week.pk])
    assert "Draft" in client.get(url).content.decode()
    slips(week, president, member)
    numbers = client.get(reverse("meeting_report_numbers", args=[week.chapter.slug, week.pk]))
    text = numbers.content.decode()
    assert "250.50" in text and 'data-hx-trigger="every 15s"' in text
    assert "<html" not in text


def test_report_page_query_count_does_not_grow(client_for, president, week):
    chapter = week.chapter
    client = client_for(president)
    url = reverse("meeting_report", args=[chapter.slug, week.pk])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    people = [factories.member(chapter) for _ in range(8)]
    for index, person in enumerate(people):
        slips(week, person, people[index - 1])
        services.attendance_mark(meeting=week, member=person, code="SALMP"[index % 5],
                                 by=president.user, substitute_name="Sub")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


# --- Completing ---------------------------------------------------------------------------


def complete_url(meeting):
    return reverse("meeting_report_complete", args=[meeting.chapter.slug, meeting.pk])


def test_vice_president_completes_the_report_and_the_week_locks(
    client_for, vice_president, president, member, week
):
    on_leave = factories.member(week.chapter, status=Member.Status.ON_LEAVE)
    for person in (vice_president, president, member):
        services.attendance_mark(meeting=week, member=person, code="P", by=president.user)
    response = client_for(vice_president).post(complete_url(week))
    assert response.status_code == 302
    week.refresh_from_db()
    assert week.is_completed and week.status == Meeting.Status.HELD
    assert week.report_completed_by == vice_president.user
    assert Attendance.objects.get(meeting=week, member=on_leave).code == "M"
    with pytest.raises(services.MeetingError, match="completed"):
        services.attendance_mark(meeting=week, member=member, code="A", by=president.user)
    # A double click changes nothing.
    client_for(vice_president).post(complete_url(week))
    assert Meeting.objects.get(pk=week.pk).report_completed_by == vice_president.user


def test_report_cannot_be_completed_with_members_unmarked(client_for, vice_president, member,
                                                          week):
    client = client_for(vice_president)
    client.post(complete_url(week))
    week.refresh_from_db()
    assert not week.is_completed
    page = client.get(reverse("meeting_report", args=[week.chapter.slug, week.pk]), follow=True)
    assert "not marked yet" in page.content.decode()


def test_secretary_treasurer_leads_but_does_not_complete(client_for, chapter, week):
    secretary = factories.member(chapter, roles=(Role.SECRETARY_TREASURER,))
    services.attendance_mark(meeting=week, member=secretary, code="P", by=secretary.user)
    response = client_for(secretary).post(complete_url(week))
    assert response.status_code == 403
    assert not Meeting.objects.get(pk=week.pk).is_completed


def test_admin_completes_too(client_for, admin_user, week):
    response = client_for(admin_user).post(complete_url(week))
    assert response.status_code == 302
    assert Meeting.objects.get(pk=week.pk).is_completed


@pytest.mark.parametrize("status", [Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY])
def test_cancelled_and_holiday_weeks_have_no_report(vice_president, week, status):
    Meeting.objects.filter(pk=week.pk).update(status=status)
    week.refresh_from_db()
    with pytest.raises(services.MeetingError, match="no weekly report"):
        services.report_complete(meeting=week, by=vice_president.user)


def test_a_future_meeting_cannot_be_completed(vice_president, chapter):
    meeting = factories.meeting(chapter, timezone.localdate() + datetime.timedelta(days=8))
    with pytest.raises(services.MeetingError, match="not started"):
        services.report_complete(meeting=meeting, by=vice_president.user)


# --- The attendance policy ------------------------------------------------------------------


def mark(meeting, member, code, by, **kwargs):
    return Attendance.objects.create(meeting=meeting, member=member, code=code, marked_by=by,
                                     **kwargs)


def test_absences_count_lates_per_absence_and_the_substitute_cap(chapter, member, president):
    chapter.lates_per_absence = 2
    chapter.substitute_cap = 1
    chapter.save()
    codes = ["A", "L", "L", "L", "S", "S", "S", "P"]
    for weeks_ago, code in enumerate(codes):
        mark(past_meeting(chapter, weeks_ago), member, code, president.user,
             substitute_name="Sub" if code == "S" else "")
    standing = services.absence_standings(chapter)[member.pk]
    assert (standing.absent, standing.late, standing.substitutes) == (1, 3, 3)
    assert standing.counted_absences == 1 + 3 // 2 + (3 - 1)  # 4
    assert standing.level == AbsenceNotice.Level.OVER_LIMIT


def test_lates_never_count_when_the_chapter_says_zero(chapter, member, president):
    for weeks_ago in range(5):
        mark(past_meeting(chapter, weeks_ago), member, "L", president.user)
    assert services.absence_standings(chapter)[member.pk].counted_absences == 0


def test_holiday_and_cancelled_weeks_count_as_neither(chapter, member, president):
    chapter.absence_window_meetings = 3
    chapter.save()
    # Newest first: held (A), holiday (A), cancelled (A), held (A), held (A), held (A, too old).
    statuses = ["scheduled", "holiday", "cancelled", "scheduled", "scheduled", "scheduled"]
    for weeks_ago, status in enumerate(statuses):
        mark(past_meeting(chapter, weeks_ago, status=status), member, "A", president.user)
    standing = services.absence_standings(chapter)[member.pk]
    # The window is the last 3 meetings that count: the holiday and cancelled weeks are
    # skipped, so it reaches back to week 4, and only 3 absences count.
    assert standing.absent == 3
    assert standing.level == AbsenceNotice.Level.AT_LIMIT


def test_future_meetings_are_not_in_the_window(chapter, member, president):
    future = factories.meeting(chapter, timezone.localdate() + datetime.timedelta(days=14))
    mark(future, member, "A", president.user)
    assert member.pk not in services.absence_standings(chapter)


def test_leaders_view_flags_members_at_or_over_the_limit(client_for, president, member, chapter):
    steady = factories.member(chapter, first_name="Steady")
    for weeks_ago in range(4):
        mark(past_meeting(chapter, weeks_ago), member, "A", president.user)
        mark(past_meeting(chapter, weeks_ago), steady, "P", president.user)
    page = client_for(president).get(reverse("absence_list", args=[chapter.slug]))
    text = page.content.decode()
    assert "Over the limit" in text
    assert "1 member is at or over the limit" in text


def test_absence_list_query_count_does_not_grow(client_for, president, chapter):
    client = client_for(president)
    url = reverse("absence_list", args=[chapter.slug])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    meetings = [past_meeting(chapter, n) for n in range(6)]
    for _ in range(10):
        someone = factories.member(chapter)
        for meeting in meetings:
            mark(meeting, someone, "A", president.user)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


# --- Absence notices ------------------------------------------------------------------------


@pytest.fixture
def crossing(chapter, member, vice_president):
    """Three absences already; this week's absence takes the member over the limit of 3."""
    chapter.absence_limit = 3
    chapter.save()
    for weeks_ago in (1, 2, 3):
        meeting = past_meeting(chapter, weeks_ago, report_status="completed",
                               report_completed_at=timezone.now())
        mark(meeting, member, "A", vice_president.user)
        mark(meeting, vice_president, "P", vice_president.user)
    week = past_meeting(chapter, 0)
    mark(week, member, "A", vice_president.user)
    mark(week, vice_president, "P", vice_president.user)
    return week


def notices():
    """The absence notices sent (completing a report also sends the week's tallies)."""
    return [message for message in mail.outbox if message.subject.endswith(": your attendance")]


def test_completing_sends_the_absence_notice_once(
    client_for, vice_president, member, crossing, django_capture_on_commit_callbacks
):
    report = client_for(vice_president).get(
        reverse("meeting_report", args=[crossing.chapter.slug, crossing.pk])
    )
    assert member.full_name in report.content.decode()  # listed before completing
    with django_capture_on_commit_callbacks(execute=True):
        client_for(vice_president).post(complete_url(crossing), {"send_absence_notices": "on"})
    assert len(notices()) == 1
    assert notices()[0].to == [member.user.email]
    assert "over the chapter's limit" in notices()[0].body
    notice = AbsenceNotice.objects.get(member=member, meeting=crossing)
    assert notice.absences == 4
    email = Delivery.objects.get(kind=NotificationKind.ABSENCE, ref=notice.pk)
    assert email.state == Delivery.State.SENT and email.member == member
    # A task of before the outbox run again (a retry, a second worker): nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.absence_notice_send.delay(crossing.pk)
        tasks.absence_notice_send(crossing.pk)
    assert len(notices()) == 1
    assert AbsenceNotice.objects.count() == 1
    report = client_for(vice_president).get(
        reverse("meeting_report", args=[crossing.chapter.slug, crossing.pk])
    )
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert f"{member.full_name} (sent " in report.content.decode()


def test_no_notice_unless_the_leader_asks(client_for, vice_president, crossing,
                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(vice_president).post(complete_url(crossing))
    assert Meeting.objects.get(pk=crossing.pk).is_completed
    assert notices() == []


def test_only_members_who_crossed_this_week_get_a_notice(chapter, member, vice_president,
                                                         crossing):
    # Already over the limit before this week: no new threshold crossed, no new notice.
    steady_absentee = factories.member(chapter)
    for weeks_ago in (1, 2, 3, 4, 5):
        mark(past_meeting(chapter, weeks_ago), steady_absentee, "A", vice_president.user)
    mark(crossing, steady_absentee, "A", vice_president.user)
    services.report_complete(meeting=crossing, by=vice_president.user)
    crossed = {m.pk for m, _ in services.absence_crossings(crossing)}
    assert crossed == {member.pk}
    crossing.refresh_from_db()
    assert tasks.absence_notice_send(crossing.pk) == 1
    assert tasks.absence_notice_send(crossing.pk) == 0


def test_reaching_the_limit_is_a_notice_too(chapter, member, vice_president,
                                            django_capture_on_commit_callbacks):
    chapter.absence_limit = 2
    chapter.save()
    mark(past_meeting(chapter, 1), member, "A", vice_president.user)
    week = past_meeting(chapter, 0)
    mark(week, member, "A", vice_president.user)
    mark(week, vice_president, "P", vice_president.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_complete(meeting=week, by=vice_president.user,
                                 send_absence_notices=True)
    notice = AbsenceNotice.objects.get()
    assert notice.level == AbsenceNotice.Level.AT_LIMIT
    assert "reached" in notices()[0].body


def test_no_notice_for_a_draft_week(crossing):
    assert tasks.absence_notice_send(crossing.pk) == 0
    assert tasks.absence_notice_send(999999) == 0
    assert mail.outbox == []


def test_completing_the_report_sends_the_weeks_tallies_at_once(
    client_for, vice_president, member, crossing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(vice_president).post(complete_url(crossing))
    tallied = {address for message in mail.outbox if message not in notices()
               for address in message.to}
    assert member.user.email in tallied
    assert vice_president.user.email in tallied
