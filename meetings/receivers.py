"""Meetings follow the layers below, in the same transaction as their change: a new chapter,
or a new schedule, gets its weeks scheduled; a visitor who applies is marked "Applied"; a
former member's details are erased from the visitors' book too."""

from django.dispatch import receiver

from chapters.models import Chapter
from chapters.services import SCHEDULE_FIELDS, chapter_created, chapter_settings_changed
from meetings.models import Visitor
from meetings.services import meetings_schedule, visitor_follow_up_set
from members.membership import application_received, person_anonymised


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
