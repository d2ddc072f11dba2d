"""The dispatcher: which reminders and tallies are due, who gets them, and that running it
twice (or at once) hands each email out once."""

import datetime
import functools

import pytest
from django.core import mail
from django.utils import timezone

from meetings.models import Meeting
from members.models import Member, Role
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationBatch, NotificationKind, NotificationOptOut
from tests import factories

UTC = datetime.UTC


def at(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def london(db):
    chapter = factories.chapter(
        "Thames Connectors", time_zone="Europe/London", meeting_time=datetime.time(7, 0),
        reminder_lead_hours=24, tally_hour=9,
    )
    return chapter


def rows(kind=NotificationKind.REMINDER, **filters):
    return Delivery.objects.filter(kind=kind, **filters)


def test_reminders_go_out_at_the_lead_time_and_not_a_minute_before(london):
    people = [factories.member(london) for _ in range(3)]
    meeting = factories.meeting(london, datetime.date(2027, 2, 10))
    due = notifications.reminder_at(meeting)
    assert due == at(2027, 2, 9, 7)  # 24 hours before 07:00 GMT

    assert notifications.reminders_dispatch(now=due - datetime.timedelta(minutes=1)) == 0
    assert not rows().exists()
    assert notifications.reminders_dispatch(now=due) == 3
    assert set(rows(meeting=meeting).values_list("member", flat=True)) == {p.pk for p in people}
    assert set(rows().values_list("state", flat=True)) == {Delivery.State.PENDING}


@pytest.mark.parametrize(
    ("meeting_day", "expected_reminder"),
    [
        # Clocks go back on Sunday 31 October 2027: the meeting is at 07:00 GMT (07:00 UTC); the
        # reminder is at 07:00 BST the day before, which is 06:00 UTC, not 07:00 UTC.
        (datetime.date(2027, 10, 31), at(2027, 10, 30, 6)),
        # The Monday after: both sides in GMT.
        (datetime.date(2027, 11, 1), at(2027, 10, 31, 7)),
        # Clocks go forward on Sunday 28 March 2027: the meeting is at 07:00 BST (06:00 UTC);
        # the reminder is at 07:00 GMT the day before, 07:00 UTC.
        (datetime.date(2027, 3, 28), at(2027, 3, 27, 7)),
    ],
)
def test_reminder_keeps_the_local_time_across_a_daylight_saving_change(
    london, meeting_day, expected_reminder
):
    factories.member(london)
    meeting = factories.meeting(london, meeting_day)
    assert meeting.local_start.hour == 7
    assert notifications.reminder_at(meeting) == expected_reminder
    assert notifications.reminder_at(meeting).astimezone(london.zone).hour == 7
    just_before = expected_reminder - datetime.timedelta(seconds=1)
    assert notifications.reminders_dispatch(now=just_before) == 0
    assert notifications.reminders_dispatch(now=expected_reminder) == 1


def test_lead_time_of_a_week_in_another_zone(db):
    chapter = factories.chapter("Harbour", time_zone="America/New_York",
                                meeting_time=datetime.time(18, 30), reminder_lead_hours=168)
    factories.member(chapter)
    meeting = factories.meeting(chapter, datetime.date(2027, 3, 17))  # DST began on 14 March
    # 18:30 local a week before, in EST (UTC-5), although the meeting is in EDT (UTC-4).
    assert notifications.reminder_at(meeting) == at(2027, 3, 10, 23, 30)
    assert notifications.reminders_dispatch(now=at(2027, 3, 10, 23, 29)) == 0
    assert notifications.reminders_dispatch(now=at(2027, 3, 10, 23, 30)) == 1


def test_dispatching_again_hands_out_nothing_more(london):
    for _ in range(4):
        factories.member(london)
    meeting = factories.meeting(london, datetime.date(2027, 2, 10))
    due = notifications.reminder_at(meeting)
    assert notifications.reminders_dispatch(now=due) == 4
    assert notifications.reminders_dispatch(now=due + datetime.timedelta(minutes=1)) == 0
    # A member who joins later does not reopen a batch that was handed out.
    factories.member(london)
    assert notifications.reminders_dispatch(now=due + datetime.timedelta(minutes=2)) == 0
    assert rows(meeting=meeting).count() == 4
    assert NotificationBatch.objects.filter(meeting=meeting).count() == 1


def test_only_active_members_who_want_reminders_get_them(london, other_chapter):
    wants = factories.member(london)
    refused = factories.member(london)
    NotificationOptOut.objects.create(member=refused, kind=NotificationKind.REMINDER)
    factories.member(london, status=Member.Status.ON_LEAVE)
    factories.member(london, status=Member.Status.DROPPED)
    factories.member(london, status=Member.Status.APPLICANT)
    factories.member(other_chapter)
    meeting = factories.meeting(london, datetime.date(2027, 2, 10))
    notifications.reminders_dispatch(now=notifications.reminder_at(meeting))
    assert list(rows().values_list("member", flat=True)) == [wants.pk]


@pytest.mark.parametrize("status", [Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY])
def test_no_reminder_for_a_cancelled_meeting_or_a_holiday(london, status):
    factories.member(london)
    meeting = factories.meeting(london, datetime.date(2027, 2, 10), status=status)
    assert notifications.reminders_dispatch(now=notifications.reminder_at(meeting)) == 0


def test_no_reminder_once_the_meeting_started_or_with_a_lead_of_zero(london):
    factories.member(london)
    meeting = factories.meeting(london, datetime.date(2027, 2, 10))
    assert notifications.reminders_dispatch(now=meeting.starts_at) == 0
    london.reminder_lead_hours = 0
    london.save()
    an_hour_before = meeting.starts_at - datetime.timedelta(hours=1)
    assert notifications.reminders_dispatch(now=an_hour_before) == 0


def test_tallies_go_out_at_the_tally_hour_the_day_after_when_nobody_completed_the_report(
    london,
):
    people = [factories.member(london) for _ in range(2)]
    leader = factories.member(london, roles=(Role.VICE_PRESIDENT,))
    meeting = factories.meeting(london, datetime.date(2027, 2, 10), status=Meeting.Status.HELD)
    due = notifications.tally_at(meeting)
    assert due == at(2027, 2, 11, 9)

    assert notifications.tallies_dispatch(now=due - datetime.timedelta(minutes=1)) == 0
    assert notifications.tallies_dispatch(now=due) == 4  # three tallies and one summary
    assert set(rows(NotificationKind.TALLY).values_list("member", flat=True)) == {
        *(p.pk for p in people), leader.pk
    }
    assert list(rows(NotificationKind.SUMMARY).values_list("member", flat=True)) == [leader.pk]
    batch = NotificationBatch.objects.get(meeting=meeting, kind=NotificationKind.TALLY)
    assert batch.reason == NotificationBatch.Reason.TALLY_HOUR
    assert notifications.tallies_dispatch(now=due + datetime.timedelta(hours=1)) == 0


def test_tally_hour_is_local_time(db):
    chapter = factories.chapter("Sydney Harbour", time_zone="Australia/Sydney", tally_hour=8)
    factories.member(chapter)
    meeting = factories.meeting(chapter, datetime.date(2027, 2, 10))
    # 08:00 on the 11th in Sydney (AEDT, UTC+11) is 21:00 UTC on the 10th.
    assert notifications.tally_at(meeting) == at(2027, 2, 10, 21)
    assert notifications.tallies_dispatch(now=at(2027, 2, 10, 21)) == 1


def test_a_completed_report_sends_the_tallies_at_once(london):
    factories.member(london)
    factories.member(london, roles=(Role.PRESIDENT,))
    now = timezone.now()
    meeting = factories.meeting(
        london, now.astimezone(london.zone).date(), status=Meeting.Status.HELD,
        report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=now,
    )
    assert notifications.tallies_dispatch_for_meeting(meeting.pk, now=now) == 3
    assert notifications.tallies_dispatch_for_meeting(meeting.pk, now=now) == 0
    assert NotificationBatch.objects.get(kind=NotificationKind.TALLY).reason == (
        NotificationBatch.Reason.REPORT_COMPLETED
    )


def test_the_dispatcher_also_finds_a_completed_report(london):
    factories.member(london)
    now = timezone.now()
    factories.meeting(
        london, now.astimezone(london.zone).date(), status=Meeting.Status.HELD,
        report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=now,
    )
    assert notifications.tallies_dispatch(now=now) == 1


def test_a_draft_report_before_the_tally_hour_waits(london):
    factories.member(london)
    meeting = factories.meeting(london, datetime.date(2027, 2, 10), status=Meeting.Status.HELD)
    assert notifications.tallies_dispatch_for_meeting(
        meeting.pk, now=notifications.tally_at(meeting) - datetime.timedelta(hours=2)
    ) == 0
    assert not Delivery.objects.exists()


def test_old_weeks_and_cancelled_weeks_get_no_tallies(london):
    factories.member(london)
    old = factories.meeting(london, datetime.date(2027, 2, 3), status=Meeting.Status.HELD)
    cancelled = factories.meeting(london, datetime.date(2027, 2, 10),
                                  status=Meeting.Status.CANCELLED)
    # A week after the old meeting's tally hour (e.g. the first deployment): too late.
    now = notifications.tally_at(old) + datetime.timedelta(days=7)
    assert notifications.tallies_dispatch(now=now) == 0
    assert notifications.tallies_dispatch_for_meeting(
        cancelled.pk, now=notifications.tally_at(cancelled)
    ) == 0


def test_sends_are_enqueued_after_commit_and_deliver_once_each(
    london, django_capture_on_commit_callbacks
):
    for _ in range(3):
        factories.member(london)
    meeting = factories.meeting(london, timezone.now().date() + datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = notifications.dispatch(now=notifications.reminder_at(meeting))
    assert result.reminders == 3
    assert len(send_tasks(callbacks)) == 1  # one send task for the chunk
    assert len(mail.outbox) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        Member.objects.filter(chapter=london).values_list("user__email", flat=True)
    )
    assert set(rows().values_list("state", flat=True)) == {Delivery.State.SENT}
    with django_capture_on_commit_callbacks(execute=True):
        notifications.dispatch(now=notifications.reminder_at(meeting))
    assert len(mail.outbox) == 3


def send_tasks(callbacks) -> list[list[int]]:
    """The chunks handed to send tasks among the callbacks run after commit."""
    return [callback.args[0] for callback in callbacks
            if isinstance(callback, functools.partial)
            and callback.func == notifications._send_later]


def test_meetings_due_together_go_out_in_full_chunks(
    london, monkeypatch, django_capture_on_commit_callbacks
):
    """A dispatch run hands its batches' rows to send tasks SEND_CHUNK at a time across
    meetings (each chunk is a task, a read and a connection to the mail server)."""
    monkeypatch.setattr(notifications, "SEND_CHUNK", 4)
    day = timezone.now().date() + datetime.timedelta(days=1)
    meetings = []
    for index in range(3):
        chapter = factories.chapter(f"Chapter {index}", time_zone="Europe/London",
                                    meeting_time=datetime.time(7, 0), reminder_lead_hours=24)
        for _ in range(3):
            factories.member(chapter)
        meetings.append(factories.meeting(chapter, day))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = notifications.dispatch(now=notifications.reminder_at(meetings[0]))
    assert result.reminders == 9
    chunks = send_tasks(callbacks)
    assert [len(chunk) for chunk in chunks] == [4, 4, 1]
    assert sorted(sum(chunks, [])) == sorted(rows().values_list("pk", flat=True))
    assert len(mail.outbox) == 9


def test_a_row_already_in_the_ledger_is_left_alone_and_sent_with_the_batch(
    london, django_capture_on_commit_callbacks
):
    first, second = factories.member(london), factories.member(london)
    meeting = factories.meeting(london, timezone.now().date() + datetime.timedelta(days=1))
    there = Delivery.objects.create(kind=NotificationKind.REMINDER, chapter=london,
                                    meeting=meeting, member=first, last_error="kept")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = notifications.reminders_dispatch(now=notifications.reminder_at(meeting))
    assert created == 1  # the second member's row; the first one's was there
    there.refresh_from_db()
    assert there.state == Delivery.State.SENT and there.last_error == ""
    assert sorted(sum(send_tasks(callbacks), [])) == sorted(rows().values_list("pk", flat=True))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.user.email, second.user.email])


def test_a_failing_batch_still_hands_out_the_batches_committed_before_it(
    london, monkeypatch, django_capture_on_commit_callbacks
):
    day = timezone.now().date() + datetime.timedelta(days=1)
    first = factories.meeting(london, day)
    for _ in range(2):
        factories.member(london)
    other = factories.chapter("Other", time_zone="Europe/London",
                              meeting_time=datetime.time(7, 30), reminder_lead_hours=24)
    factories.member(other)
    second = factories.meeting(other, day)
    opened = notifications._batch_open

    def fails_second(*, meeting, **kwargs):
        if meeting.pk == second.pk:
            raise RuntimeError("the database went away")
        return opened(meeting=meeting, **kwargs)

    monkeypatch.setattr(notifications, "_batch_open", fails_second)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            notifications.reminders_dispatch(now=notifications.reminder_at(second))
    assert send_tasks(callbacks) == [list(rows(meeting=first).values_list("pk", flat=True))]
    assert len(mail.outbox) == 2


def test_sweep_takes_back_stale_claims_and_requeues_lost_rows(
    london, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS = 300
    people = [factories.member(london) for _ in range(3)]
    meeting = factories.meeting(london, timezone.now().date() + datetime.timedelta(days=1))
    now = timezone.now()
    stale, lost, fresh = (
        Delivery.objects.create(kind=NotificationKind.REMINDER, chapter=london, meeting=meeting,
                                member=person, due_at=now)
        for person in people
    )
    # A worker died mid-send long ago; another row's enqueue was lost; a third is just queued.
    Delivery.objects.filter(pk=stale.pk).update(
        state=Delivery.State.SENDING, claim="dead", attempts=1,
        claimed_at=now - notifications.claim_timeout() - datetime.timedelta(seconds=1),
    )
    Delivery.objects.filter(pk=lost.pk).update(due_at=now - datetime.timedelta(minutes=6))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notifications.deliveries_sweep() == 2
    assert len(callbacks) == 1  # both rows in one send task
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [stale.member.user.email, lost.member.user.email]
    )
    stale.refresh_from_db()
    assert stale.state == Delivery.State.SENT
    assert stale.attempts == 2
    fresh.refresh_from_db()
    assert fresh.state == Delivery.State.PENDING


def test_a_live_claim_is_left_alone(london, django_capture_on_commit_callbacks):
    person = factories.member(london)
    meeting = factories.meeting(london, timezone.now().date() + datetime.timedelta(days=1))
    Delivery.objects.create(
        kind=NotificationKind.REMINDER, chapter=london, meeting=meeting, member=person,
        state=Delivery.State.SENDING, claim="alive", claimed_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.deliveries_sweep() == 0
    assert mail.outbox == []
