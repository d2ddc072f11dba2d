"""Meetings follow the chapter: a new chapter, or a new schedule, gets its weeks scheduled in
the same transaction as the change."""

from django.dispatch import receiver

from chapters.models import Chapter
from chapters.services import SCHEDULE_FIELDS, chapter_created, chapter_settings_changed
from meetings.services import meetings_schedule


@receiver(chapter_created)
def chapter_created_schedule(sender, *, chapter: Chapter, **kwargs) -> None:
    meetings_schedule(chapter=chapter)


@receiver(chapter_settings_changed)
def chapter_schedule_follow(sender, *, chapter: Chapter, after: dict, **kwargs) -> None:
    if any(name in SCHEDULE_FIELDS for name in after):
        meetings_schedule(chapter=chapter)
