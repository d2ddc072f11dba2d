"""Tallies are never stale: a tally sent while the week was provisional is followed, once, by a
corrected one to exactly the members whose figures changed when the report is completed, and
the leaders' summary likewise; the figures of a chunk are computed once for the chapter."""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import services as meetings
from meetings.models import Meeting
from members.models import Role
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationKind
from tests import factories


@pytest.fixture
def week(chapter):
    """Yesterday's meeting, held, its report still a draft; everyone present but Bob, whom
    nobody marked yet."""
    president = factories.member(chapter, first_name="Petra", last_name="President",
                                 roles=(Role.PRESIDENT,), email="petra@example.test")
    alice = factories.member(chapter, first_name="Alice", email="alice@example.test")
    bob = factories.member(chapter, first_name="Bob", email="bob@example.test")
    carol = factories.member(chapter, first_name="Carol", email="carol@example.test")
    day = timezone.now().astimezone(chapter.zone).date() - datetime.timedelta(days=1)
    meeting = factories.meeting(chapter, day, status=Meeting.Status.HELD)
    for person in (president, alice, carol):
        meetings.attendance_mark(meeting=meeting, member=person, code="P", by=president.user)
    return meeting, president, alice, bob, carol


def sent_to(subject_start: str) -> list[str]:
    return sorted(address for message in mail.outbox if message.subject.startswith(subject_start)
                  for address in message.to)


def test_a_completed_report_corrects_only_the_tallies_whose_figures_changed(
    week, django_capture_on_commit_callbacks
):
    meeting, president, alice, bob, carol = week
    # The tally hour passed with nobody completing the report: provisional tallies go out.
    with django_capture_on_commit_callbacks(execute=True):
        notifications.dispatch(now=notifications.tally_at(meeting))
    assert sent_to("Your week at ") == sorted(
        person.user.email for person in (president, alice, bob, carol))
    (summary,) = [m for m in mail.outbox if m.subject.startswith("Chapter summary")]
    assert "has not been completed yet" in summary.body
    assert "Visitors:                                       0" in summary.body
    mail.outbox.clear()

    # The visitor host records two visitors the president brought; the president marks Bob
    # absent and completes the report.
    for name in ("Vera Visitor", "Victor Visitor"):
        meetings.visitor_record(meeting=meeting, by=president.user, name=name,
                                invited_by=president)
    meetings.attendance_mark(meeting=meeting, member=bob, code="A", by=president.user)
    with django_capture_on_commit_callbacks(execute=True):
        meetings.report_complete(meeting=meeting, by=president.user)

    # Bob's attendance and the president's visitors changed; Alice's and Carol's did not.
    assert sent_to("Corrected: Your week at ") == sorted([bob.user.email, president.user.email])
    (bobs,) = [m for m in mail.outbox if m.to == [bob.user.email]]
    assert "Attendance:                          A: Absent" in bobs.body
    assert "This corrects the figures we sent you earlier" in bobs.body
    assert "has not been completed yet" not in bobs.body
    assert bobs.extra_headers["Message-ID"].endswith(f".{meeting.pk}.{bob.pk}.c1@127.0.0.1>")
    (corrected,) = [m for m in mail.outbox if m.subject.startswith("Corrected: Chapter summary")]
    assert corrected.to == [president.user.email]
    assert "Visitors:                                       2" in corrected.body
    assert "Absent: Bob" in corrected.body
    assert len(mail.outbox) == 3  # nothing new for anyone else

    # Once: asking again, or the dispatcher's next tick, corrects nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.tallies_dispatch_for_meeting(meeting.pk) == 0
        notifications.dispatch()
    assert len(mail.outbox) == 3
    assert Delivery.objects.filter(edition=1).count() == 3


def test_a_tally_still_waiting_at_completion_states_the_final_figures(
    week, django_capture_on_commit_callbacks
):
    meeting, president, _, bob, _ = week
    notifications.dispatch(now=notifications.tally_at(meeting))  # owed, not sent yet
    meetings.attendance_mark(meeting=meeting, member=bob, code="A", by=president.user)
    with django_capture_on_commit_callbacks(execute=True):
        meetings.report_complete(meeting=meeting, by=president.user)
    ids = list(Delivery.objects.values_list("pk", flat=True))
    notifications.deliveries_send(delivery_ids=ids, budget=60)
    assert not Delivery.objects.filter(edition__gt=0).exists()
    (bobs,) = [m for m in mail.outbox if m.to == [bob.user.email]]
    assert "A: Absent" in bobs.body and "has not been completed yet" not in bobs.body


def test_a_tally_send_task_makes_the_same_queries_per_email_for_n_or_3n_members(chapter):
    """The week's figures and lights are computed once for the chunk's chapter: what grows
    with the members is the claim and the sent mark of each email, not the figures."""
    factories.member(chapter, roles=(Role.PRESIDENT,))
    day = timezone.now().astimezone(chapter.zone).date() - datetime.timedelta(days=1)
    meeting = factories.meeting(chapter, day, status=Meeting.Status.HELD,
                                report_status=Meeting.ReportStatus.COMPLETED,
                                report_completed_at=timezone.now())

    def queries_to_send(count: int) -> int:
        Delivery.objects.all().delete()
        people = [factories.member(chapter) for _ in range(count)]
        rows = Delivery.objects.bulk_create(
            Delivery(kind=NotificationKind.TALLY, chapter=chapter, meeting=meeting, member=person)
            for person in people)
        with CaptureQueriesContext(connection) as queries:
            notifications.deliveries_send(delivery_ids=[row.pk for row in rows], budget=60)
        assert Delivery.objects.filter(state=Delivery.State.SENT).count() == count
        return len(queries)

    n = 4
    few, many = queries_to_send(n), queries_to_send(3 * n)
    assert many - few == 2 * (3 * n - n)  # a claim and a "sent" mark an email, nothing more
