"""Operations on meetings: the schedule, PALMS attendance, self check-in, visitors, the agenda,
the weekly report and the attendance policy."""

import datetime
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from chapters.models import Chapter, Classification
from meetings.models import AbsenceNotice, Attendance, Meeting, Palms, Visitor
from meetings.signals import report_completed
from members.invitations import MembershipError, classification_holder
from members.membership import application_create
from members.models import Member, User
from referrals.models import CEU, OneToOne, Referral, SlipCorrection, Testimonial, ThankYou

SCHEDULE_WEEKS = 8

# Sent inside the transaction that completes a weekly report, with meeting and
# send_absence_notices, so the tasks that follow it are queued (meetings/receivers.py).


class MeetingError(Exception):
    """A meeting rule refused the change; the message is for the person who asked."""


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
            # Only a change of meeting day makes a slot wrong; weeks beyond `weeks` (made when
            # a slip needed a later meeting) stay.
            if meeting.slot_date.weekday() != chapter.meeting_weekday:
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


def _first_keeping_the_schedule(
    chapter: Chapter, now: datetime.datetime, find
) -> Meeting | None:
    """What `find()` returns, after keeping the schedule if it finds nothing: the beat may
    have been down for a week, or every week ahead is cancelled or complete."""
    meeting = find()
    for weeks in (SCHEDULE_WEEKS, SCHEDULE_WEEKS * 2):
        if meeting is not None:
            break
        meetings_schedule(chapter=chapter, now=now, weeks=weeks)
        meeting = find()
    return meeting


def next_meeting(chapter: Chapter, now: datetime.datetime | None = None) -> Meeting | None:
    """The chapter's next meeting that has not ended (cancelled ones included, to show them)."""
    now = now or timezone.now()
    return _first_keeping_the_schedule(
        chapter,
        now,
        lambda: Meeting.objects.for_chapter(chapter)
        .upcoming(now)
        .select_related("chapter", "feature_presenter__user", "second_feature_presenter__user")
        .first(),
    )


def meetings_ahead_ensure(*, chapter: Chapter, now: datetime.datetime) -> None:
    """Schedule the chapter's weeks ahead if none is left (the beat was down for a while)."""
    if not Meeting.objects.for_chapter(chapter).upcoming(now).exists():
        meetings_schedule(chapter=chapter, now=now)


def meeting_this_week(chapter: Chapter, now: datetime.datetime | None = None) -> Meeting | None:
    """The meeting leaders act on now: today's, even once it has ended (its attendance and
    report are done after the close), otherwise the next one."""
    now = now or timezone.now()
    today = now.astimezone(chapter.zone).date()
    todays = Meeting.objects.for_chapter(chapter).filter(local_date=today).order_by("starts_at")
    return todays.first() or next_meeting(chapter, now)


def meeting_to_act_on(chapter: Chapter, now: datetime.datetime | None = None) -> Meeting | None:
    """The meeting on a leader's "this week" card: today's; else the last one held while its
    weekly report is still a draft (attendance and slips are finished after the close);
    else the next one."""
    now = now or timezone.now()
    today = now.astimezone(chapter.zone).date()
    meetings = Meeting.objects.for_chapter(chapter).select_related("chapter")
    todays = meetings.filter(local_date=today).order_by("starts_at").first()
    if todays is not None:
        return todays
    last = meetings.counted().filter(local_date__lt=today).order_by("-starts_at").first()
    if last is not None and not last.is_completed:
        return last
    return next_meeting(chapter, now)


def meeting_for_slip(chapter: Chapter, now: datetime.datetime | None = None) -> Meeting:
    """The meeting a slip logged now counts for: the chapter's first meeting that will be held,
    whose weekly report is still a draft and that has not ended (the official cut-off: a slip
    passed after the close counts next week), scheduled if need be. A chapter that keeps
    slips open until the report is completed counts them for a meeting of today on."""
    now = now or timezone.now()
    if chapter.slips_until_report_completed:
        still_open = Q(local_date__gte=now.astimezone(chapter.zone).date())
    else:
        still_open = Q(ends_at__gt=now)
    meeting = _first_keeping_the_schedule(
        chapter,
        now,
        lambda: Meeting.objects.for_chapter(chapter)
        .counted()
        .filter(still_open, report_status=Meeting.ReportStatus.DRAFT)
        .order_by("local_date")
        .first(),
    )
    if meeting is None:
        raise Meeting.DoesNotExist(f"{chapter} has no open meeting to count a slip for.")
    return meeting


# --- Changing a meeting -------------------------------------------------------------------


class SlipsWouldMove(MeetingError):
    """Cancelling (or a holiday) would move the week's slips: the leader confirms first."""

    def __init__(self, *, slips: int, visitors: int, to: Meeting):
        self.slips, self.visitors, self.to = slips, visitors, to
        what = f"{slips} slip{'s' if slips != 1 else ''}"
        if visitors:
            what += f" and {visitors} visitor{'s' if visitors != 1 else ''}"
        super().__init__(
            f"This week has {what}: they will move to the meeting of "
            f"{to.local_date:%A %-d %B %Y}, so they still count. Confirm to go ahead."
        )


# Every slip that counts for a meeting, with each of its fields that can point at one, and the
# kind as the corrections record names it.
_SLIP_MEETING_FIELDS = [
    ("referral", Referral, ("meeting", "receiver_meeting")),
    ("thank-you", ThankYou, ("meeting", "credited_meeting")),
    ("one-to-one", OneToOne, ("meeting", "met_with_meeting")),
    ("ceu", CEU, ("meeting",)),
    ("testimonial", Testimonial, ("meeting",)),
    ("visitor", Visitor, ("meeting",)),
]


def slip_kind_register(kind: str, model, fields: tuple[str, ...]) -> None:
    """A kind of slip kept by a higher layer (reports' imported slips) that counts for a
    meeting: it moves with the week's other slips when the week is cancelled."""
    _SLIP_MEETING_FIELDS.insert(-1, (kind, model, fields))


def _slips_of(meeting: Meeting):
    """(kind, model, the fields pointing at the meeting, the slips) for each kind of slip."""
    for kind, model, fields in _SLIP_MEETING_FIELDS:
        on_it = Q()
        for name in fields:
            on_it |= Q(**{name: meeting})
        yield kind, model, fields, model.objects.filter(on_it)


def meeting_slip_counts(meeting: Meeting) -> tuple[int, int]:
    """How many slips, and how many visitors, count for this meeting (either side of a slip
    between two chapters)."""
    slips = visitors = 0
    for kind, _model, _fields, rows in _slips_of(meeting):
        if kind == "visitor":
            visitors += rows.count()
        else:
            slips += rows.count()
    return slips, visitors


def meeting_next_held(meeting: Meeting, now: datetime.datetime | None = None) -> Meeting:
    """The chapter's next meeting after this one that takes place with its report still open:
    where a cancelled or holiday week's slips go (scheduled if need be)."""
    now = now or timezone.now()
    found = _first_keeping_the_schedule(
        meeting.chapter,
        now,
        lambda: Meeting.objects.for_chapter(meeting.chapter_id)
        .counted()
        .filter(local_date__gt=meeting.local_date, report_status=Meeting.ReportStatus.DRAFT)
        .exclude(pk=meeting.pk)
        .order_by("local_date")
        .first(),
    )
    if found is None:
        raise MeetingError(f"{meeting.chapter} has no later meeting to take this week's slips.")
    return found


def _slips_move(*, meeting: Meeting, to: Meeting, by: User | None, why: str) -> int:
    """Move every slip (and visitor) of `meeting` to `to`, one correction record each."""
    records, moved = [], 0
    before = {"meeting": meeting.local_date.isoformat()}
    after = {"meeting": to.local_date.isoformat()}
    for kind, model, fields, rows in _slips_of(meeting):
        ids = list(rows.values_list("pk", flat=True))
        for name in fields:
            model.objects.filter(pk__in=ids, **{name: meeting}).update(**{name: to})
        records += [
            SlipCorrection(
                slip_type=kind, slip_id=pk, action=SlipCorrection.Action.MOVED, meeting=to,
                changed_by=by, reason=why, before=before, after=after,
            )
            for pk in ids
        ]
        moved += len(ids)
    SlipCorrection.objects.bulk_create(records)
    return moved


def meeting_set_status(
    *,
    meeting: Meeting,
    status: str,
    note: str | None = None,
    by: User | None = None,
    move_confirmed: bool = False,
) -> Meeting:
    """Cancel a meeting, make it a holiday, or put it back on; members see it at once.

    A week's slips always count for a meeting that takes place: cancelling a week that has
    slips moves them (and its visitors) to the next meeting held, once the leader confirms
    (`SlipsWouldMove` says how many). Each move is in the corrections record."""
    if status not in (Meeting.Status.SCHEDULED, Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY):
        raise MeetingError("Choose cancelled, holiday or scheduled.")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().select_related("chapter").get(pk=meeting.pk)
        if locked.is_completed:
            raise MeetingError("This week's report is completed: the meeting can no longer change.")
        if status != Meeting.Status.SCHEDULED and locked.status != status:
            slips, visitors = meeting_slip_counts(locked)
            if slips or visitors:
                to = meeting_next_held(locked)
                if not move_confirmed:
                    raise SlipsWouldMove(slips=slips, visitors=visitors, to=to)
                label = Meeting.Status(status).label.lower()
                _slips_move(
                    meeting=locked, to=to, by=by,
                    why=f"The meeting of {locked.local_date:%-d %B %Y} became {label}.",
                )
        locked.status = status
        fields = ["status"]
        if note is not None:
            locked.note = note.strip()
            fields.append("note")
        locked.save(update_fields=fields)
    meeting.refresh_from_db()
    return meeting


def meeting_move(
    *,
    meeting: Meeting,
    local_date: datetime.date,
    start_time: datetime.time,
    venue: str = "",
    online_link: str = "",
    note: str = "",
) -> Meeting:
    """Move a meeting to another day or time (or place); the schedule then leaves it alone.

    It keeps its regular slot, so the generator does not put a second meeting in that week.
    """
    chapter = meeting.chapter
    duration = meeting.ends_at - meeting.starts_at
    starts_at = datetime.datetime.combine(local_date, start_time, tzinfo=chapter.zone)
    starts_at = starts_at.astimezone(datetime.UTC)
    try:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
            if locked.is_completed:
                raise MeetingError(
                    "This week's report is completed: the meeting can no longer move."
                )
            locked.local_date = local_date
            locked.starts_at = starts_at
            locked.ends_at = starts_at + duration
            locked.venue = venue.strip()
            locked.online_link = online_link.strip()
            locked.note = note.strip()
            locked.is_custom = True
            locked.save(
                update_fields=[
                    "local_date", "starts_at", "ends_at", "venue", "online_link", "note",
                    "is_custom",
                ]
            )
    except IntegrityError:
        raise MeetingError(
            f"{chapter} already has a meeting on {local_date:%A %-d %B %Y}."
        ) from None
    meeting.refresh_from_db()
    return meeting


# --- The agenda -------------------------------------------------------------------------


def feature_presenter_rotation(*, meeting: Meeting, limit: int = 5):
    """Active members in rotation order: never presented first, then longest ago.

    A presentation in either slot counts. Members already booked to present (in either slot)
    at this or a later meeting wait their turn.
    """
    presented_here = Q(feature_presenter=OuterRef("pk")) | Q(
        second_feature_presenter=OuterRef("pk")
    )
    presented = (
        Meeting.objects.for_chapter(meeting.chapter_id)
        .counted()
        .filter(presented_here, local_date__lt=meeting.local_date)
        .order_by("-local_date")
        .values("local_date")[:1]
    )
    booked = (
        Meeting.objects.for_chapter(meeting.chapter_id)
        .counted()
        .filter(presented_here, local_date__gte=meeting.local_date)
        .exclude(pk=meeting.pk)
    )
    return list(
        Member.objects.active()
        .for_chapter(meeting.chapter_id)
        .annotate(last_presented=Subquery(presented))
        .exclude(Exists(booked))
        .select_related("user", "classification")
        .order_by(F("last_presented").asc(nulls_first=True), "joined_on", "pk")[:limit]
    )


def feature_presenter_suggestions(*, meeting: Meeting, rotation=None) -> list[Member]:
    """The next in rotation, one for each of the chapter's feature presentations a meeting."""
    slots = meeting.chapter.feature_presentations
    if rotation is None:
        rotation = feature_presenter_rotation(meeting=meeting, limit=slots)
    return rotation[:slots]


def feature_presenter_suggestion(*, meeting: Meeting) -> Member | None:
    """The member who presented longest ago; leaders confirm (or choose someone else)."""
    rotation = feature_presenter_rotation(meeting=meeting, limit=1)
    return rotation[0] if rotation else None


def feature_presenters_proposed(*, meeting: Meeting, rotation) -> dict[str, int | None]:
    """The member the agenda form proposes for each of the chapter's presenter slots (by
    Meeting field): the presenter confirmed, else the next in rotation in no other slot."""
    slots = ["feature_presenter", "second_feature_presenter"][
        : meeting.chapter.feature_presentations
    ]
    confirmed = {name: getattr(meeting, f"{name}_id") for name in slots}
    waiting = (member.pk for member in rotation if member.pk not in confirmed.values())
    return {name: member_id or next(waiting, None) for name, member_id in confirmed.items()}


_UNCHANGED = object()


def meeting_agenda_set(
    *,
    meeting: Meeting,
    feature_presenter=_UNCHANGED,
    second_feature_presenter=_UNCHANGED,
    education_moment=_UNCHANGED,
) -> Meeting:
    """Confirm the feature presenters (Members or None) and/or the education moment."""
    chapter = meeting.chapter
    fields = []
    for name, presenter in (
        ("feature_presenter", feature_presenter),
        ("second_feature_presenter", second_feature_presenter),
    ):
        if presenter is _UNCHANGED:
            continue
        if presenter is not None and presenter.chapter_id != meeting.chapter_id:
            raise MeetingError("The feature presenter must be a member of the chapter.")
        fields.append(name)
    sets_second = second_feature_presenter not in (_UNCHANGED, None)
    if sets_second and chapter.feature_presentations < 2:
        raise MeetingError(
            f"{chapter} has one feature presentation a meeting: choose a single presenter."
        )
    if education_moment is not _UNCHANGED:
        fields.append("education_moment")
    if not fields:
        return meeting
    with transaction.atomic():
        # The presenter left unchanged is read under the row lock: two leaders saving one
        # slot each at once cannot end up with the same member in both.
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        chosen = [
            locked_id if presenter is _UNCHANGED else getattr(presenter, "pk", None)
            for presenter, locked_id in (
                (feature_presenter, locked.feature_presenter_id),
                (second_feature_presenter, locked.second_feature_presenter_id),
            )
        ]
        if chosen[0] is not None and chosen[0] == chosen[1]:
            twice = next(
                presenter for presenter in (feature_presenter, second_feature_presenter)
                if presenter is not _UNCHANGED
            )
            raise MeetingError(
                f"{twice.full_name} cannot give both feature presentations: "
                "choose two different members."
            )
        if feature_presenter is not _UNCHANGED:
            meeting.feature_presenter = feature_presenter
        if second_feature_presenter is not _UNCHANGED:
            meeting.second_feature_presenter = second_feature_presenter
        if education_moment is not _UNCHANGED:
            meeting.education_moment = (education_moment or "").strip()
        meeting.save(update_fields=fields)
    return meeting


# --- Attendance ---------------------------------------------------------------------------

_ATTENDANCE_UPDATE = ["code", "substitute_name", "marked_by", "marked_at", "self_checked_in"]


def _checked_mark(meeting: Meeting, member: Member, code: str, substitute_name: str) -> str:
    if code not in Palms.values:
        raise MeetingError("Choose P, A, L, M or S.")
    substitute_name = (substitute_name or "").strip()
    if code == Palms.SUBSTITUTE and not substitute_name:
        raise MeetingError("Name the substitute.")
    if member.chapter_id != meeting.chapter_id:
        raise MeetingError(f"{member.full_name} is not a member of {meeting.chapter}.")
    if not member.belonged_at(local_date=meeting.local_date, starts_at=meeting.starts_at):
        raise MeetingError(
            f"{member.full_name} was not a member when this meeting started: they have no mark."
        )
    return substitute_name if code == Palms.SUBSTITUTE else ""


def _meeting_state_shared(meeting: Meeting) -> tuple[str, str]:
    """The meeting's status and report status, read under a shared row lock.

    Marks take the lock side by side; completing the report takes it exclusively, so no mark
    slips into a week at the moment it is locked. (SQLite runs IMMEDIATE transactions, which
    serialise writers already.)
    """
    table = connection.ops.quote_name(Meeting._meta.db_table)
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    # The Django ORM has no FOR SHARE; the table name comes from the model, the id is bound.
    sql = f"SELECT status, report_status FROM {table} WHERE id = %s{lock}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [meeting.pk])
        row = cursor.fetchone()
    if row is None:
        raise MeetingError("This meeting no longer exists.")
    return row[0], row[1]


def _refuse_unless_open(meeting: Meeting, status: str, report_status: str) -> None:
    if status in (Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY):
        label = Meeting.Status(status).label.lower()
        raise MeetingError(f"This meeting is {label}: it has no attendance.")
    if report_status == Meeting.ReportStatus.COMPLETED:
        raise MeetingError(
            "This week's report is completed, so attendance is locked. "
            "The Vice President or President can record a correction with a reason."
        )


def _attendance_upsert(
    *, meeting, member, code, substitute_name, by, self_checked_in=False
) -> Attendance:
    # INSERT ... ON CONFLICT (meeting, member) DO UPDATE: one row per member whatever the race,
    # and the last tap wins.
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=meeting,
                member=member,
                code=code,
                substitute_name=substitute_name,
                marked_by=by,
                marked_at=timezone.now(),
                self_checked_in=self_checked_in,
            )
        ],
        update_conflicts=True,
        unique_fields=["meeting", "member"],
        update_fields=_ATTENDANCE_UPDATE,
    )
    return Attendance.objects.select_related("marked_by").get(meeting=meeting, member=member)


def attendance_mark(
    *, meeting: Meeting, member: Member, code: str, by: User, substitute_name: str = ""
) -> Attendance:
    """Set a member's PALMS code for a meeting: one row per member, the last mark wins."""
    substitute_name = _checked_mark(meeting, member, code, substitute_name)
    with transaction.atomic():
        _refuse_unless_open(meeting, *_meeting_state_shared(meeting))
        return _attendance_upsert(
            meeting=meeting, member=member, code=code, substitute_name=substitute_name, by=by
        )


def attendance_mark_rest(*, meeting: Meeting, by: User) -> int:
    """Mark every member not yet marked: A, or M for members on leave. Returns how many."""
    with transaction.atomic():
        _refuse_unless_open(meeting, *_meeting_state_shared(meeting))
        return _fill_unmarked(meeting=meeting, by=by, active_code=Palms.ABSENT)


def members_owing_a_mark(meeting: Meeting):
    """Current members who belonged to the chapter when the meeting started."""
    return (
        Member.objects.current()
        .for_chapter(meeting.chapter_id)
        .belonging_at(local_date=meeting.local_date, starts_at=meeting.starts_at)
    )


def _fill_unmarked(*, meeting: Meeting, by: User, active_code: str | None) -> int:
    unmarked = list(
        members_owing_a_mark(meeting)
        .exclude(Exists(Attendance.objects.filter(meeting=meeting, member=OuterRef("pk"))))
        .values_list("pk", "status")
    )
    now = timezone.now()
    rows = [
        Attendance(
            meeting=meeting,
            member_id=member_id,
            code=Palms.MEDICAL if status == Member.Status.ON_LEAVE else active_code,
            marked_by=by,
            marked_at=now,
        )
        for member_id, status in unmarked
        if status == Member.Status.ON_LEAVE or active_code
    ]
    # A leader's tap that lands meanwhile wins over the default.
    Attendance.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def attendance_check_in(
    *, meeting: Meeting, member: Member, now: datetime.datetime | None = None
) -> tuple[Attendance, bool]:
    """A member checks themself in: P, or L after the chapter's cut-off.

    A leader's mark is never overwritten (leaders can always override a self check-in).
    Returns the row and whether this check-in made it.
    """
    now = now or timezone.now()
    if member.chapter_id != meeting.chapter_id or not member.holds_classification:
        raise MeetingError("Only the chapter's members can check in.")
    if not member.belonged_at(local_date=meeting.local_date, starts_at=meeting.starts_at):
        raise MeetingError("You joined after this meeting started: it has no mark for you.")
    if now < meeting.checkin_opens_at():
        opens = meeting.checkin_opens_at().astimezone(meeting.chapter.zone)
        raise MeetingError(f"Check-in opens at {opens:%H:%M} on {opens:%A %-d %B}.")
    if now > meeting.ends_at:
        raise MeetingError("This meeting has ended: ask a leader to mark your attendance.")
    code = Palms.LATE if now > meeting.checkin_late_after() else Palms.PRESENT
    with transaction.atomic():
        _refuse_unless_open(meeting, *_meeting_state_shared(meeting))
        Attendance.objects.bulk_create(
            [
                Attendance(
                    meeting=meeting,
                    member=member,
                    code=code,
                    marked_by=member.user,
                    marked_at=now,
                    self_checked_in=True,
                )
            ],
            ignore_conflicts=True,
        )
        row = Attendance.objects.select_related("marked_by").get(meeting=meeting, member=member)
    made_now = row.self_checked_in and row.marked_at == now
    return row, made_now


def attendance_correct(
    *,
    meeting: Meeting,
    member: Member,
    code: str,
    by: User,
    reason: str,
    substitute_name: str = "",
) -> Attendance:
    """Change attendance of a completed week, recording who, when, what and why."""
    substitute_name = _checked_mark(meeting, member, code, substitute_name)
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError("Say why the attendance is corrected.")
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if not locked.is_completed:
            raise MeetingError("This week is still a draft: mark attendance as usual.")
        existing = Attendance.objects.filter(meeting=meeting, member=member).first()
        before = (
            {"code": existing.code, "substitute_name": existing.substitute_name}
            if existing
            else {}
        )
        after = {"code": code, "substitute_name": substitute_name}
        if before == after:
            return existing
        row = _attendance_upsert(
            meeting=meeting, member=member, code=code, substitute_name=substitute_name, by=by
        )
        SlipCorrection.objects.create(
            slip_type="attendance",
            slip_id=row.pk,
            meeting=meeting,
            changed_by=by,
            reason=reason,
            before={**before, "member": member.pk} if before else {"member": member.pk},
            after={**after, "member": member.pk},
        )
    return row


def attendance_summary(meeting: Meeting) -> dict:
    """Counts of each PALMS code for a meeting, and how many current members are unmarked."""
    counts = Attendance.objects.filter(meeting=meeting).aggregate(
        **{code: Count("pk", filter=Q(code=code)) for code in Palms.values}
    )
    counts["unmarked"] = (
        members_owing_a_mark(meeting)
        .exclude(Exists(Attendance.objects.filter(meeting=meeting, member=OuterRef("pk"))))
        .count()
    )
    return counts


def attendance_sheet(meeting: Meeting):
    """The members to mark: every current member who belonged when the meeting started, plus
    anyone already marked for the meeting.

    Each carries `mark` (this meeting's row, or None).
    """
    marked = Attendance.objects.filter(meeting=meeting, member=OuterRef("pk"))
    owing = members_owing_a_mark(meeting).values("pk")
    members = list(
        Member.objects.for_chapter(meeting.chapter_id)
        .filter(Q(pk__in=owing) | Exists(marked))
        .select_related("user", "classification")
        .order_by("user__first_name", "user__last_name", "pk")
    )
    _attach_marks(meeting, members)
    return members


def _attach_marks(meeting: Meeting, members: list[Member]) -> None:
    rows = {
        row.member_id: row
        for row in Attendance.objects.filter(
            meeting=meeting, member__in=[m.pk for m in members]
        ).select_related("marked_by")
    }
    for member in members:
        member.mark = rows.get(member.pk)


def attendance_rows_changed(meeting: Meeting, since: datetime.datetime):
    """Members whose mark changed since a moment (other leaders' taps), each with `mark`."""
    members = list(
        Member.objects.for_chapter(meeting.chapter_id)
        .filter(attendance__meeting=meeting, attendance__marked_at__gte=since)
        .select_related("user", "classification")
    )
    _attach_marks(meeting, members)
    return members


# --- The attendance policy ----------------------------------------------------------------


@dataclass(frozen=True)
class AbsenceStanding:
    """A member's attendance in the chapter's rolling window, and where it stands."""

    member_id: int
    present: int = 0
    absent: int = 0
    late: int = 0
    medical: int = 0
    substitutes: int = 0
    counted_absences: int = 0
    limit: int = 0
    level: str = ""  # "", AbsenceNotice.Level.AT_LIMIT or OVER_LIMIT

    @property
    def flagged(self) -> bool:
        return bool(self.level)


def absence_window(chapter: Chapter, *, until: datetime.datetime):
    """The chapter's last `absence_window_meetings` meetings that count, started by `until`.

    Holiday and cancelled weeks are neither present nor absent, so they are not in it.
    """
    return (
        Meeting.objects.for_chapter(chapter)
        .counted()
        .filter(starts_at__lte=until)
        .order_by("-starts_at")
        .values("pk")[: chapter.absence_window_meetings]
    )


def counted_absences(chapter: Chapter, *, absent: int, late: int, substitutes: int) -> int:
    """Absences as the chapter's policy counts them (lates per absence, substitute cap)."""
    total = absent
    if chapter.lates_per_absence:
        total += late // chapter.lates_per_absence
    if chapter.substitute_cap is not None:
        total += max(0, substitutes - chapter.substitute_cap)
    return total


def absence_level(chapter: Chapter, counted: int) -> str:
    if counted > chapter.absence_limit:
        return AbsenceNotice.Level.OVER_LIMIT
    if counted and counted == chapter.absence_limit:
        return AbsenceNotice.Level.AT_LIMIT
    return ""


def absence_standings(
    chapter: Chapter, *, until: datetime.datetime | None = None
) -> dict[int, AbsenceStanding]:
    """Each member's standing in the rolling window ending at `until` (default: now)."""
    until = until or timezone.now()
    tallies = (
        Attendance.objects.filter(meeting__in=absence_window(chapter, until=until))
        .order_by()
        .values("member")
        .annotate(
            present=Count("pk", filter=Q(code=Palms.PRESENT)),
            absent=Count("pk", filter=Q(code=Palms.ABSENT)),
            late=Count("pk", filter=Q(code=Palms.LATE)),
            medical=Count("pk", filter=Q(code=Palms.MEDICAL)),
            substitutes=Count("pk", filter=Q(code=Palms.SUBSTITUTE)),
        )
    )
    standings = {}
    for tally in tallies:
        counted = counted_absences(
            chapter, absent=tally["absent"], late=tally["late"], substitutes=tally["substitutes"]
        )
        standings[tally["member"]] = AbsenceStanding(
            member_id=tally["member"],
            present=tally["present"],
            absent=tally["absent"],
            late=tally["late"],
            medical=tally["medical"],
            substitutes=tally["substitutes"],
            counted_absences=counted,
            limit=chapter.absence_limit,
            level=absence_level(chapter, counted),
        )
    return standings


_LEVEL_RANK = {"": 0, AbsenceNotice.Level.AT_LIMIT: 1, AbsenceNotice.Level.OVER_LIMIT: 2}


def absence_crossings(meeting: Meeting) -> list[tuple[Member, AbsenceStanding]]:
    """Current members who reached or passed the absence limit with this week's attendance."""
    chapter = meeting.chapter
    after = absence_standings(chapter, until=meeting.starts_at)
    before = absence_standings(
        chapter, until=meeting.starts_at - datetime.timedelta(microseconds=1)
    )
    risen = [
        standing
        for member_id, standing in after.items()
        if standing.level
        and _LEVEL_RANK[standing.level]
        > _LEVEL_RANK[before.get(member_id, AbsenceStanding(member_id)).level]
    ]
    members = Member.objects.current().select_related("user").in_bulk(
        [standing.member_id for standing in risen]
    )
    return [
        (members[standing.member_id], standing)
        for standing in risen
        if standing.member_id in members
    ]


def absence_notices_record(*, meeting: Meeting) -> None:
    """Record the chapter's absence notice to each member who crossed a threshold in a
    completed week, in the caller's transaction (the report's completion); the notifications
    app emails each. Recording them twice records nothing more."""
    if not meeting.is_completed:
        return
    crossings = absence_crossings(meeting)
    AbsenceNotice.objects.bulk_create(
        [
            AbsenceNotice(
                member=member,
                meeting=meeting,
                level=standing.level,
                absences=standing.counted_absences,
            )
            for member, standing in crossings
        ],
        ignore_conflicts=True,
    )


# --- The weekly report --------------------------------------------------------------------


def report_complete(
    *, meeting: Meeting, by: User, send_absence_notices: bool = False
) -> Meeting:
    """Complete (lock) the weekly report. Members on leave who are still unmarked get M; every
    active member must have been marked. Completing twice changes nothing."""
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.is_completed:
            meeting.refresh_from_db()
            return meeting
        if not locked.counts_for_attendance:
            raise MeetingError(
                f"This meeting is {locked.get_status_display().lower()}: it has no weekly report."
            )
        if locked.starts_at > timezone.now():
            raise MeetingError("The meeting has not started yet.")
        _fill_unmarked(meeting=locked, by=by, active_code=None)
        unmarked = attendance_summary(locked)["unmarked"]
        if unmarked:
            raise MeetingError(
                f"{unmarked} member{'s are' if unmarked != 1 else ' is'} not marked yet: "
                "mark everyone (or mark the rest absent) before completing the report."
            )
        locked.status = Meeting.Status.HELD
        locked.report_status = Meeting.ReportStatus.COMPLETED
        locked.report_completed_by = by
        locked.report_completed_at = timezone.now()
        locked.save(
            update_fields=["status", "report_status", "report_completed_by", "report_completed_at"]
        )
        # The week's tallies (or corrections of provisional ones) and the absence notices are
        # owed in this transaction (by the notifications app): they go out once it commits.
        if send_absence_notices:
            absence_notices_record(meeting=locked)
        report_completed.send(sender=Meeting, meeting=locked,
                              send_absence_notices=send_absence_notices)
    meeting.refresh_from_db()
    return meeting


# --- Visitors -----------------------------------------------------------------------------


def visitor_record(
    *,
    meeting: Meeting,
    by: User,
    name: str,
    token: uuid.UUID | None = None,
    company: str = "",
    classification: Classification | None = None,
    classification_text: str = "",
    email: str = "",
    phone: str = "",
    invited_by: Member | None = None,
) -> tuple[Visitor, bool]:
    """Record a visitor at a meeting. The form's token makes a double submit record one."""
    if invited_by is not None and invited_by.chapter_id != meeting.chapter_id:
        raise MeetingError("The visitor must be invited by a member of the chapter.")
    fields = {
        "meeting": meeting,
        "name": name.strip(),
        "company": company.strip(),
        "classification": classification,
        "classification_text": "" if classification else classification_text.strip(),
        "email": email.strip().lower(),
        "phone": phone.strip(),
        "invited_by": invited_by,
        "created_by": by,
    }
    if token is None:
        return Visitor.objects.create(**fields), True
    visitor, created = Visitor.objects.get_or_create(token=token, defaults=fields)
    if visitor.meeting_id != meeting.pk:
        raise MeetingError("This form was already used for another meeting: reload the page.")
    return visitor, created


def visitor_follow_up_set(*, visitor: Visitor, follow_up: str, notes: str | None = None) -> Visitor:
    if follow_up not in Visitor.FollowUp.values:
        raise MeetingError("Choose a follow-up state.")
    visitor.follow_up = follow_up
    fields = ["follow_up"]
    if notes is not None:
        visitor.notes = notes.strip()
        fields.append("notes")
    visitor.save(update_fields=fields)
    return visitor


def visitor_invite_to_apply(*, visitor: Visitor, by: User) -> tuple[object | None, str]:
    """Hand a visitor over to membership: record their application for the Membership
    Committee. Returns (application, message); no application when their email or
    classification is missing (the leader completes the application form instead)."""
    chapter = visitor.meeting.chapter
    if not visitor.email or visitor.classification is None:
        missing = "email address" if not visitor.email else "classification"
        return None, f"Complete {visitor.name}'s application: their {missing} is missing."
    first, _, last = visitor.name.strip().partition(" ")
    try:
        application, created = application_create(
            chapter=chapter,
            by=by,
            first_name=first,
            last_name=last or first,
            email=visitor.email,
            business_name=visitor.company or visitor.name,
            classification=visitor.classification,
            phone=visitor.phone,
            sponsor=visitor.invited_by,
            visitor=visitor,
        )
    except MembershipError as error:
        visitor_follow_up_set(visitor=visitor, follow_up=Visitor.FollowUp.INVITED_TO_APPLY)
        return None, f"{visitor.name} is marked as invited to apply. {error}"
    message = f"{visitor.name}'s application is recorded for the Membership Committee."
    holder = classification_holder(chapter=chapter, classification=visitor.classification)
    if holder is not None:
        message += (
            f" {visitor.classification} is held by {holder.full_name}: the committee will see "
            "the conflict before anyone can approve."
        )
    return application, message
