"""Sending one ledger row: claimed once, sent once, retried with backoff on transient SMTP
errors, recorded on permanent ones; what the reminder says and carries."""

import datetime
import smtplib
from decimal import Decimal
from email import message_from_bytes, policy

import icalendar
import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.models import Attendance, Meeting, Visitor
from members.models import Member, Role
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationKind, NotificationOptOut
from notifications.outbox import notification_send, notifications_send
from referrals.models import CEU, OneToOne, ThankYou, Tier
from tests import factories
from tests.reports_data import referral


@pytest.fixture
def meeting(chapter):
    chapter.venue = "The Riverside Hotel, 1 Quay Street"
    chapter.online_link = "https://meet.example.test/riverside"
    chapter.save()
    presenter = factories.member(chapter, first_name="Priya", last_name="Patel",
                                 business_name="Patel Accounting")
    return factories.meeting(
        chapter, timezone.now().astimezone(chapter.zone).date() + datetime.timedelta(days=2),
        feature_presenter=presenter, education_moment="Asking for referrals",
    )


def reminder_row(meeting, member, **fields):
    return Delivery.objects.create(
        kind=NotificationKind.REMINDER, chapter=meeting.chapter, meeting=meeting, member=member,
        **fields,
    )


def test_a_row_is_sent_once_however_often_its_task_runs(meeting, member):
    row = reminder_row(meeting, member)
    assert notifications.delivery_send(delivery_id=row.pk) == Delivery.State.SENT
    assert notifications.delivery_send(delivery_id=row.pk) == ""
    notification_send.apply(args=[row.pk])
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.to_email) == (Delivery.State.SENT, 1, member.user.email)
    assert row.sent_at is not None
    assert row.claim == ""


def test_a_row_claimed_by_another_worker_is_not_sent(meeting, member):
    row = reminder_row(meeting, member, state=Delivery.State.SENDING, claim="other",
                       claimed_at=timezone.now())
    assert notifications.delivery_send(delivery_id=row.pk) == ""
    assert mail.outbox == []


def test_the_reminder_says_when_where_and_who_presents_in_text_and_html(meeting, member):
    row = reminder_row(meeting, member)
    notifications.delivery_send(delivery_id=row.pk)
    message = mail.outbox[0]
    local = meeting.local_start
    assert message.subject == f"Reminder: {meeting.chapter.name} meets {local:%A %-d %B} at 07:00"
    for text in (message.body, message.alternatives[0].content):
        assert f"{local:%-d %B %Y}" in text
        assert "07:00" in text and "08:30" in text
        assert "The Riverside Hotel, 1 Quay Street" in text
        assert "https://meet.example.test/riverside" in text
        assert "Priya Patel" in text and "Patel Accounting" in text
        assert "Asking for referrals" in text
    assert message.alternatives[0].mimetype == "text/html"


def test_a_chapter_with_two_feature_presentations_names_both_or_says_to_be_announced(meeting):
    chapter = meeting.chapter
    chapter.feature_presentations = 2
    chapter.save()
    second = factories.member(chapter, first_name="Sam", last_name="Okafor",
                              business_name="Okafor Print")
    people = [factories.member(chapter) for _ in range(3)]

    def send(*members) -> int:
        rows = [reminder_row(meeting, person) for person in members]
        with CaptureQueriesContext(connection) as queries:
            notifications.deliveries_send(delivery_ids=[row.pk for row in rows], budget=60)
        return len(queries)

    one_confirmed = send(people[0], people[1])
    meeting.second_feature_presenter = second
    meeting.save()
    both_confirmed = send(people[2], second)
    assert both_confirmed == one_confirmed  # the second presenter comes with the chunk's rows
    unconfirmed, confirmed = mail.outbox[0], mail.outbox[3]
    for text in (unconfirmed.body, unconfirmed.alternatives[0].content):
        assert "Priya Patel" in text
        assert text.count("Feature presentation: ") == 2
        assert "Feature presentation: to be announced" in text
    for text in (confirmed.body, confirmed.alternatives[0].content):
        assert "Priya Patel" in text and "Okafor Print" in text
        assert "to be announced" not in text
    assert "- Feature presentation: Sam Okafor (Okafor Print)\n- Education moment" in (
        confirmed.body
    )


def test_the_reminder_shows_the_chapters_local_time_in_any_zone(member, time_machine):
    time_machine.move_to(datetime.datetime(2027, 7, 13, 12, 0, tzinfo=datetime.UTC))
    chapter = factories.chapter("Harbour", time_zone="America/New_York",
                                meeting_time=datetime.time(18, 30))
    person = factories.member(chapter, email="ny@example.test")
    meeting = factories.meeting(chapter, datetime.date(2027, 7, 14))
    notifications.delivery_send(delivery_id=reminder_row(meeting, person).pk)
    message = mail.outbox[0]
    assert message.subject == "Reminder: Harbour meets Wednesday 14 July at 18:30"
    assert "Wednesday 14 July 2027, 18:30-20:00 (EDT, America/New_York)" in message.body
    assert "18:30" in message.alternatives[0].content


def test_the_reminder_carries_an_ics_calendar_programs_accept(meeting, member):
    row = reminder_row(meeting, member)
    notifications.delivery_send(delivery_id=row.pk)
    raw = mail.outbox[0].message().as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    parts = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_filename() == "meeting.ics"
    assert parts[0].get_param("method") == "PUBLISH"
    calendar = icalendar.Calendar.from_ical(parts[0].get_content())
    (event,) = calendar.events
    assert event.start == meeting.starts_at
    assert event.end == meeting.ends_at
    assert str(event["location"]) == "The Riverside Hotel, 1 Quay Street"
    assert str(event["uid"]) == f"meeting-{meeting.pk}@127.0.0.1"
    assert str(calendar["method"]) == "PUBLISH"


def test_message_id_is_deterministic_and_unsubscribe_is_one_click(meeting, member):
    row = reminder_row(meeting, member)
    notifications.delivery_send(delivery_id=row.pk)
    headers = mail.outbox[0].extra_headers
    expected_id = f"<chapterhouse.reminder.{meeting.pk}.{member.pk}@127.0.0.1>"
    assert headers["Message-ID"] == expected_id
    assert mail.outbox[0].message()["Message-ID"] == expected_id
    row.refresh_from_db()
    assert row.message_id == expected_id
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://127.0.0.1:8000/emails/unsubscribe/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert notifications.unsubscribe_token_read(token) == (member.pk, "reminder")
    assert url in mail.outbox[0].body


def test_a_long_unsubscribe_address_is_sent_as_itself_not_encoded(meeting, member, settings):
    """Folding cannot break a URL, and encoded words are not allowed in List-Unsubscribe."""
    settings.SITE_URL = "https://referral-chapters.example.org/" + "regional-office/" * 4
    row = reminder_row(meeting, member)
    notifications.delivery_send(delivery_id=row.pk)
    sent = mail.outbox[0].message(policy=policy.SMTP).as_bytes()  # as Django's SMTP backend
    (line,) = [line for line in sent.split(b"\r\n") if line.startswith(b"List-Unsubscribe:")]
    assert b"=?" not in line
    assert line.startswith(b"List-Unsubscribe: <https://referral-chapters.example.org/")
    assert len(line) > 78


def test_a_row_already_marked_sent_keeps_its_first_record(meeting, member):
    row = reminder_row(meeting, member)
    notifications.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    first = (row.state, row.sent_at, row.message_id)
    notifications._mark_sent(row.pk, to_email=row.member.user.email,
                             message_id="<a-late-copy@127.0.0.1>")
    row.refresh_from_db()
    assert (row.state, row.sent_at, row.message_id) == first


def test_a_resend_gets_its_own_message_id(meeting, member, president):
    row = reminder_row(meeting, member)
    notifications.delivery_send(delivery_id=row.pk)
    row.refresh_from_db()
    assert notifications.delivery_resend(delivery=row, seen_resends=0, by=president.user)
    notifications.delivery_send(delivery_id=row.pk)
    assert mail.outbox[1].extra_headers["Message-ID"] == (
        f"<chapterhouse.reminder.{meeting.pk}.{member.pk}.r1@127.0.0.1>"
    )


class FailingMailer:
    """Stands in for the SMTP backend: raises the given error on send."""

    def __init__(self, error):
        self.error = error
        self.closed = False

    def open(self):
        return True

    def send_messages(self, messages):
        raise self.error

    def close(self):
        self.closed = True


@pytest.fixture
def smtp_fails(monkeypatch):
    def install(error):
        failing = FailingMailer(error)
        monkeypatch.setattr(notifications.mailers.__class__, "default",
                            property(lambda self: failing))
        return failing

    return install


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPDataError(451, b"Try again later"),
        smtplib.SMTPAuthenticationError(535, b"Bad credentials"),
        TimeoutError("timed out"),
    ],
)
def test_a_transient_error_puts_the_row_back_with_exponential_backoff(
    meeting, member, smtp_fails, settings, error
):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    failing = smtp_fails(error)
    row = reminder_row(meeting, member)
    before = timezone.now()
    with pytest.raises(notifications.Deferred) as deferred:
        notifications.delivery_send(delivery_id=row.pk)
    assert 48 <= deferred.value.countdown <= 60
    assert failing.closed
    row.refresh_from_db()
    assert row.state == Delivery.State.PENDING
    assert row.attempts == 1
    assert row.claim == ""
    assert type(error).__name__ in row.last_error
    assert row.due_at >= before + datetime.timedelta(seconds=48)
    # Not due yet: a duplicate message or an early retry finds nothing to do.
    assert notifications.delivery_send(delivery_id=row.pk) == ""
    # Due again: the second failure waits about twice as long.
    Delivery.objects.filter(pk=row.pk).update(due_at=timezone.now())
    with pytest.raises(notifications.Deferred) as deferred:
        notifications.delivery_send(delivery_id=row.pk)
    assert 96 <= deferred.value.countdown <= 120


def test_backoff_is_capped_inside_the_visibility_timeout(settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    countdowns = [notifications.retry_countdown(n) for n in range(1, 30)]
    assert countdowns == sorted(countdowns) or max(countdowns) <= notifications.RETRY_CAP_SECONDS
    assert max(countdowns) <= notifications.RETRY_CAP_SECONDS < 3600


def test_the_task_retries_a_transient_error_through_celery(meeting, member, smtp_fails, settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    smtp_fails(ConnectionRefusedError(111, "Connection refused"))
    row = reminder_row(meeting, member)
    with pytest.raises(Retry) as retry:
        notification_send.apply(args=[row.pk], throw=True)
    assert 48 <= retry.value.when <= 60
    row.refresh_from_db()
    assert row.state == Delivery.State.PENDING


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"member@example.test": (550, b"No such user")}),
        smtplib.SMTPDataError(554, b"Message rejected"),
        smtplib.SMTPSenderRefused(553, b"Sender not allowed", "no-reply@chapterhouse.test"),
    ],
)
def test_a_permanent_error_is_recorded_and_not_retried(meeting, member, smtp_fails, error):
    smtp_fails(error)
    row = reminder_row(meeting, member)
    assert notifications.delivery_send(delivery_id=row.pk) == Delivery.State.FAILED
    row.refresh_from_db()
    assert row.state == Delivery.State.FAILED
    assert row.attempts == 1
    assert type(error).__name__ in row.last_error


def test_it_gives_up_after_the_last_attempt(meeting, member, smtp_fails, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    smtp_fails(ConnectionRefusedError(111, "Connection refused"))
    row = reminder_row(meeting, member)
    for _ in range(2):
        with pytest.raises(notifications.Deferred):
            notifications.delivery_send(delivery_id=row.pk)
        Delivery.objects.filter(pk=row.pk).update(due_at=timezone.now())
    assert notifications.delivery_send(delivery_id=row.pk) == Delivery.State.FAILED
    row.refresh_from_db()
    assert row.state == Delivery.State.FAILED
    assert row.last_error.startswith("Gave up after 3 tries.")


def test_nothing_goes_to_someone_who_unsubscribed_after_the_dispatch(meeting, member):
    row = reminder_row(meeting, member)
    NotificationOptOut.objects.create(member=member, kind=NotificationKind.REMINDER)
    assert notifications.delivery_send(delivery_id=row.pk) == Delivery.State.SKIPPED
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.last_error == "Unsubscribed from this kind of email."


def test_nothing_goes_out_for_a_meeting_cancelled_or_started_since(meeting, member, chapter):
    cancelled = reminder_row(meeting, member)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    assert notifications.delivery_send(delivery_id=cancelled.pk) == Delivery.State.SKIPPED
    started = factories.meeting(chapter, timezone.now().date() - datetime.timedelta(days=3))
    late = reminder_row(started, member)
    assert notifications.delivery_send(delivery_id=late.pk) == Delivery.State.SKIPPED
    assert mail.outbox == []


def test_nothing_goes_to_a_member_who_left(meeting, member):
    row = reminder_row(meeting, member)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.DROPPED)
    assert notifications.delivery_send(delivery_id=row.pk) == Delivery.State.SKIPPED


# --- Tallies -------------------------------------------------------------------------------


@pytest.fixture
def week(chapter):
    """A completed week with one of each slip around `alice`."""
    alice = factories.member(chapter, first_name="Alice", last_name="Archer",
                             email="alice@example.test")
    ben = factories.member(chapter, first_name="Ben", last_name="Baker",
                           roles=(Role.VICE_PRESIDENT,))
    day = timezone.now().astimezone(chapter.zone).date() - datetime.timedelta(days=1)
    meeting = factories.meeting(
        chapter, day, status=Meeting.Status.HELD,
        report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=timezone.now(),
    )
    Attendance.objects.create(meeting=meeting, member=alice, code="L")
    Attendance.objects.create(meeting=meeting, member=ben, code="A")
    referral(alice, ben, meeting)
    referral(alice, ben, meeting, tier=Tier.OUTSIDE)
    referral(alice, ben, meeting, tier=Tier.OUTSIDE)
    referral(ben, alice, meeting)
    ThankYou.objects.create(thanked_by=ben, credited_to=alice, amount=Decimal("1234.50"),
                            meeting=meeting, credited_meeting=meeting)
    OneToOne.objects.create(member=ben, met_with=alice, met_on=day, meeting=meeting,
                            met_with_meeting=meeting)
    Visitor.objects.create(meeting=meeting, name="Vera Visitor", invited_by=alice)
    CEU.objects.create(member=alice, credits=2, description="Podcast", earned_on=day,
                       meeting=meeting)
    return meeting, alice, ben


def test_the_tally_gives_the_members_week_and_traffic_light(week):
    meeting, alice, _ = week
    row = Delivery.objects.create(kind=NotificationKind.TALLY, chapter=meeting.chapter,
                                  meeting=meeting, member=alice)
    assert notifications.delivery_send(delivery_id=row.pk) == Delivery.State.SENT
    message = mail.outbox[0]
    assert message.to == ["alice@example.test"]
    assert message.subject.startswith("Your week at ")
    text = message.body
    assert "Attendance:                          L: Late" in text
    assert "Referrals given inside (Tier 1):     1" in text
    assert "Referrals given outside (Tier 2):    2" in text
    assert "Referrals received inside (Tier 1):  1" in text
    assert "Referrals received outside (Tier 2): 0" in text
    assert "TYFCB credited to you:               1234.50 GBP" in text
    assert "One-to-ones:                         1" in text
    assert "Visitors brought:                    1" in text
    assert "CEUs:                                2" in text
    assert "Your traffic light: " in text
    assert "since last week" in text
    # Alice is green: the one action is whatever adds points at the least effort.
    assert "The one thing that would raise your score: 1 more testimonial (+10 points)." in text
    assert "1234.50 GBP" in message.alternatives[0].content
    assert "not been completed" not in text


def test_the_tally_light_matches_the_scoring_module(week):
    from notifications import tallies
    from reports.scoring import member_lights

    meeting, alice, _ = week
    context = tallies.tally_context(member=alice, meeting=meeting)
    (light,) = member_lights(chapter=meeting.chapter, today=meeting.local_date,
                             member_ids=[alice.pk])
    (before,) = member_lights(chapter=meeting.chapter,
                              today=meeting.local_date - datetime.timedelta(days=7),
                              member_ids=[alice.pk])
    assert context["light"].percent == light.percent
    assert context["light"].colour == light.colour
    assert context["light"].change == light.percent - before.percent
    assert light.colour == "green" and light.action is None
    assert context["light"].action == "1 more testimonial (+10 points)"


def test_a_member_below_green_is_told_how_to_reach_the_next_colour(week):
    from notifications import tallies
    from reports.scoring import member_lights

    meeting, _, ben = week
    context = tallies.tally_context(member=ben, meeting=meeting)
    (light,) = member_lights(chapter=meeting.chapter, today=meeting.local_date,
                             member_ids=[ben.pk])
    assert light.colour != "green" and light.action is not None
    assert context["light"].action == light.action.text
    assert context["light"].action_reaches == light.action.reaches
    row = Delivery.objects.create(kind=NotificationKind.TALLY, chapter=meeting.chapter,
                                  meeting=meeting, member=ben)
    notifications.delivery_send(delivery_id=row.pk)
    assert (f"The one thing that would lift you to {light.action.reaches}: "
            f"{light.action.text}.") in mail.outbox[0].body


def test_a_tally_for_a_week_nobody_completed_says_it_is_provisional(week):
    meeting, alice, _ = week
    Meeting.objects.filter(pk=meeting.pk).update(
        report_status=Meeting.ReportStatus.DRAFT, report_completed_at=None
    )
    row = Delivery.objects.create(kind=NotificationKind.TALLY, chapter=meeting.chapter,
                                  meeting=meeting, member=alice)
    notifications.delivery_send(delivery_id=row.pk)
    assert "has not been completed yet" in mail.outbox[0].body
    # The week's figures as they stand are still there.
    assert "Referrals given outside (Tier 2):    2" in mail.outbox[0].body


def test_leaders_get_the_chapter_summary(week):
    meeting, alice, ben = week
    row = Delivery.objects.create(kind=NotificationKind.SUMMARY, chapter=meeting.chapter,
                                  meeting=meeting, member=ben)
    notifications.delivery_send(delivery_id=row.pk)
    text = mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("Chapter summary for ")
    assert "Referrals given (inside / outside):             2 / 2" in text
    assert "TYFCB:                                          1234.50 GBP" in text
    assert "Absent: Ben Baker" in text
    assert "- Alice Archer: 3, 1, 1, 1, 1234.50" in text
    assert "Traffic lights: green" in text
    assert "Alice Archer" in mail.outbox[0].alternatives[0].content


class CountingMailer:
    """Stands in for the SMTP backend: counts connections, fails the messages to `refuse`."""

    def __init__(self, refuse=()):
        self.refuse, self.opened, self.sent, self.connection = set(refuse), 0, [], None

    def open(self):
        if self.connection:
            return False
        self.opened += 1
        self.connection = object()
        return True

    def send_messages(self, messages):
        if messages[0].to[0] in self.refuse:
            raise smtplib.SMTPDataError(451, b"Try again later")
        self.sent += [message.to[0] for message in messages]
        return len(messages)

    def close(self):
        self.connection = None


@pytest.fixture
def counting_mailer(monkeypatch):
    def install(refuse=()):
        mailer = CountingMailer(refuse)
        monkeypatch.setattr(notifications.mailers.__class__, "default",
                            property(lambda self: mailer))
        return mailer

    return install


def test_a_chunk_goes_out_over_one_connection_and_a_failed_row_retries_alone(
    meeting, chapter, counting_mailer, monkeypatch
):
    people = [factories.member(chapter) for _ in range(4)]
    mailer = counting_mailer(refuse=[people[1].user.email])
    retries = []
    monkeypatch.setattr(notification_send, "apply_async",
                        lambda args, countdown: retries.append(args[0]))
    rows = [reminder_row(meeting, person) for person in people]
    assert notifications_send.apply(args=[[row.pk for row in rows]]).get() == 0
    # One connection, reopened once after the refused message.
    assert mailer.opened == 2
    assert sorted(mailer.sent) == sorted(p.user.email for p in people if p != people[1])
    assert retries == [rows[1].pk]
    states = dict(Delivery.objects.values_list("member_id", "state"))
    assert states[people[1].pk] == Delivery.State.PENDING
    assert [states[p.pk] for p in people if p != people[1]] == [Delivery.State.SENT] * 3
    # Sent rows are claimed by no one again: running the chunk twice sends nothing twice.
    notifications_send.apply(args=[[row.pk for row in rows]])
    assert len(mailer.sent) == 3


def test_a_chunk_out_of_time_hands_the_rest_on_unclaimed(meeting, chapter, monkeypatch):
    rows = [reminder_row(meeting, factories.member(chapter)) for _ in range(3)]
    ids = [row.pk for row in rows]
    assert notifications.deliveries_send(delivery_ids=ids, budget=-1) == ids
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.PENDING}
    handed_on = []
    monkeypatch.setattr(notifications_send, "delay", handed_on.append)
    monkeypatch.setattr(notifications, "deliveries_send",
                        lambda delivery_ids, budget: delivery_ids[1:])
    assert notifications_send.apply(args=[ids]).get() == 2
    assert handed_on == [ids[1:]]
