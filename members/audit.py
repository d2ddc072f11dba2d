"""The audit trail: services record who changed what, when, and the fields before and after.

Written by the services themselves, inside the same transaction as the change, so an entry
exists exactly when the change does. A change made by a lower layer (chapters) is recorded by
the receivers at the end of this module, which its signals call inside its transaction.
"""

import datetime
from decimal import Decimal

from django.db import models
from django.dispatch import receiver

from chapters.models import Chapter
from chapters.services import chapter_created, chapter_settings_changed
from members.models import Application, AuditEntry, Member, User


def plain(value):
    """A value as JSON can hold it: dates as ISO text, model instances as their name."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """The named fields of an instance, JSON-ready (foreign keys by their name)."""
    return {name: plain(getattr(instance, name)) for name in fields}


def differences(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that changed, each side."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


def audit_record(
    *,
    chapter: Chapter,
    action: str,
    actor: User | None,
    member: Member | None = None,
    application: Application | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        chapter=chapter,
        member=member,
        application=application,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        summary=summary[:255],
        before={key: plain(value) for key, value in (before or {}).items()},
        after={key: plain(value) for key, value in (after or {}).items()},
    )


@receiver(chapter_created)
def chapter_created_record(sender, *, chapter: Chapter, by: User, fields: list[str], **kwargs):
    audit_record(
        chapter=chapter,
        actor=by,
        action=AuditEntry.Action.CHAPTER_CREATED,
        summary=f"Chapter {chapter} created",
        after=snapshot(chapter, fields),
    )


@receiver(chapter_settings_changed)
def chapter_settings_record(sender, *, chapter: Chapter, by: User, before: dict, after: dict,
                            **kwargs):
    audit_record(
        chapter=chapter,
        actor=by,
        action=AuditEntry.Action.SETTINGS_CHANGED,
        summary="Changed: " + ", ".join(
            Chapter._meta.get_field(name).verbose_name for name in after
        ),
        before=before,
        after=after,
    )
