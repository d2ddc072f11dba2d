"""Opening a chapter and changing its settings.

The layers above follow through signals sent inside the same transaction as the change, so
they happen exactly when it does: members records it in the audit trail, meetings schedules
the weeks to come.
"""

from django.db import transaction
from django.dispatch import Signal

from chapters.models import Chapter

# Sent with chapter, by (the user who acted) and fields (the names given).
chapter_created = Signal()
# Sent with chapter, by, before and after (the changed fields only, each side).
chapter_settings_changed = Signal()

SCHEDULE_FIELDS = ("time_zone", "meeting_weekday", "meeting_time", "meeting_duration_minutes")


class NothingToDo(Exception):
    """The change was already made (a double click): nothing happened."""


def chapter_create(*, by, fields: dict) -> Chapter:
    """An admin opens a chapter; its first weeks of meetings are scheduled at once."""
    with transaction.atomic():
        chapter = Chapter.objects.create(**fields)
        chapter_created.send(sender=Chapter, chapter=chapter, by=by, fields=list(fields))
    return chapter


def chapter_settings_update(*, chapter: Chapter, by, changes: dict) -> Chapter:
    """Change the chapter's schedule, venue, policies or rule set; the meetings still to come
    follow a new schedule at once."""
    with transaction.atomic():
        chapter = Chapter.objects.select_for_update().get(pk=chapter.pk)
        changed = [name for name, value in changes.items() if getattr(chapter, name) != value]
        if not changed:
            raise NothingToDo("Nothing was changed.")
        before = {name: getattr(chapter, name) for name in changed}
        for name in changed:
            setattr(chapter, name, changes[name])
        chapter.save(update_fields=changed)
        chapter_settings_changed.send(
            sender=Chapter, chapter=chapter, by=by, before=before,
            after={name: changes[name] for name in changed},
        )
    return chapter
