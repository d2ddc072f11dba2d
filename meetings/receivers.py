"""Meetings follow the layers below, in the same transaction as their change: a new chapter,
or a new schedule, gets its weeks scheduled; a visitor who applies is marked "Applied"; a
former member's details are erased from the visitors' book too. A completed weekly report
queues the week's tallies and, when asked, its absence notices."""

from django.dispatch import receiver

from chapters.models import Chapter
from chapters.services import SCHEDULE_FIELDS, chapter_created, chapter_settings_changed
from meetings.models import Visitor
from meetings.services import meetings_schedule, report_completed, visitor_follow_up_set
from meetings.tasks import absence_notice_send
from members.membership import application_received, person_anonymised
from members.tasks import tallies_dispatch


@receiver(chapter_created)
def chapter_created_schedule(sender, *, chapter: Chapter, **kwargs) -> None:
    meetings_schedule(chapter=chapter)


@receiver(chapter_settings_changed)
def chapter_schedule_follow(sender, *, chapter: Chapter, after: dict, **kwargs) -> None:
    if any(name in SCHEDULE_FIELDS for name in after):
        meetings_schedule(chapter=chapter)


@receiver(application_received)
def visitor_applied(sender, *, application, **kwargs) -> None:
    if application.visitor_id is not None:
        visitor_follow_up_set(visitor=application.visitor, follow_up=Visitor.FollowUp.APPLIED)


@receiver(person_anonymised)
def visitors_anonymise(sender, *, email: str, **kwargs) -> None:
    Visitor.objects.filter(email__iexact=email).update(
        name="Former visitor", email="", phone="", company="", notes=""
    )


@receiver(report_completed)
def report_completed_follow(sender, *, meeting, send_absence_notices: bool, **kwargs) -> None:
    # The week's tallies go out now, not at the tally hour.
    tallies_dispatch.delay_on_commit(meeting.pk)
    if send_absence_notices:
        absence_notice_send.delay_on_commit(meeting.pk)
