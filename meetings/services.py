"""Operations on meetings: keeping the schedule in place."""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Attendance, Meeting

SCHEDULE_WEEKS = 8


def meeting_times(
    chapter: Chapter, local_date: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """Aware start and end of a meeting on a local date, right across daylight-saving changes."""
    starts_at = datetime.datetime.combine(local_date, chapter.meeting_time, tzinfo=chapter.zone)
    ends_at = starts_at + datetime.timedelta(minutes=chapter.meeting_duration_minutes)
    return starts_at.astimezone(datetime.UTC), ends_at.astimezone(datetime.UTC)


def schedule_slots(
    chapter: Chapter, *, today: datetime.date, weeks: int = SCHEDULE_WEEKS
) -> list[datetime.date]:
    """The local dates of the chapter's next `weeks` regular meetings, today included."""
    offset = (chapter.meeting_weekday - today.weekday()) % 7
    first = today + datetime.timedelta(days=offset)
    return [first + datetime.timedelta(weeks=week) for week in range(weeks)]


def meetings_schedule(
    *, chapter: Chapter, now: datetime.datetime | None = None, weeks: int = SCHEDULE_WEEKS
) -> int:
    """Keep the next `weeks` weekly meetings in place; safe to run any number of times.

    Creates missing meetings, re-times untouched future ones when the chapter's schedule
    changed, and drops untouched future ones that no longer fall on the meeting day.
    Returns how many meetings were created.
    """
    now = now or timezone.now()
    today = now.astimezone(chapter.zone).date()
    slots = schedule_slots(chapter, today=today, weeks=weeks)
    with transaction.atomic():
        untouched = Meeting.objects.filter(
            chapter=chapter,
            slot_date__gte=today,
            is_custom=False,
            status=Meeting.Status.SCHEDULED,
            starts_at__gt=now,
        ).exclude(Exists(Attendance.objects.filter(meeting=OuterRef("pk"))))
        for meeting in untouched:
            if meeting.slot_date not in slots:
                if not _has_slips(meeting):
                    meeting.delete()
                continue
            starts_at, ends_at = meeting_times(chapter, meeting.slot_date)
            if (meeting.starts_at, meeting.ends_at) != (starts_at, ends_at):
                meeting.starts_at, meeting.ends_at = starts_at, ends_at
                meeting.save(update_fields=["starts_at", "ends_at"])
        taken = set(
            Meeting.objects.filter(chapter=chapter, slot_date__in=slots).values_list(
                "slot_date", flat=True
            )
        ) | set(
            Meeting.objects.filter(chapter=chapter, local_date__in=slots).values_list(
                "local_date", flat=True
            )
        )
        missing = []
        for slot in slots:
            if slot in taken:
                continue
            starts_at, ends_at = meeting_times(chapter, slot)
            if ends_at <= now:
                continue
            missing.append(
                Meeting(
                    chapter=chapter,
                    local_date=slot,
                    slot_date=slot,
                    starts_at=starts_at,
                    ends_at=ends_at,
                )
            )
        # Two schedulers racing: the unique (chapter, slot) constraint keeps one of each.
        created = Meeting.objects.bulk_create(missing, ignore_conflicts=True)
    return len(created)


def _has_slips(meeting: Meeting) -> bool:
    return any(
        related.related_model.objects.filter(**{related.field.name: meeting}).exists()
        for related in meeting._meta.related_objects
        if related.one_to_many and related.related_model is not Attendance
    )


def meetings_schedule_all(*, now: datetime.datetime | None = None) -> int:
    return sum(meetings_schedule(chapter=chapter, now=now) for chapter in Chapter.objects.all())


def next_meeting(chapter: Chapter, now: datetime.datetime | None = None) -> Meeting | None:
    """The chapter's next meeting that has not ended (cancelled ones included, to show them)."""
    return (
        Meeting.objects.for_chapter(chapter)
        .upcoming(now)
        .select_related("chapter", "feature_presenter__user")
        .first()
    )


def meeting_for_slip(chapter: Chapter, now: datetime.datetime | None = None) -> Meeting:
    """The meeting a slip logged now counts for: the chapter's first meeting from today on
    that will be held and whose weekly report is still a draft (scheduled if need be)."""
    now = now or timezone.now()
    today = now.astimezone(chapter.zone).date()

    def first_open():
        return (
            Meeting.objects.for_chapter(chapter)
            .counted()
            .filter(local_date__gte=today, report_status=Meeting.ReportStatus.DRAFT)
            .order_by("local_date")
            .first()
        )

    meeting = first_open()
    if meeting is None:
        meetings_schedule(chapter=chapter, now=now)
        meeting = first_open()
    if meeting is None:
        # Every scheduled week ahead is cancelled or complete: extend the schedule further.
        meetings_schedule(chapter=chapter, now=now, weeks=SCHEDULE_WEEKS * 2)
        meeting = first_open()
    if meeting is None:
        raise Meeting.DoesNotExist(f"{chapter} has no open meeting to count a slip for.")
    return meeting
