"""Operations on slips: logging them once, moving referrals along, editing, correcting.

Which meeting a slip counts for: the first open (draft, held) meeting of its author's chapter
that has not ended, so a slip passed after the close counts the following week, or from today
on where the chapter keeps slips open until the report is completed
(`meetings.services.meeting_for_slip`); a slip with a member of another chapter also counts for
that chapter's open meeting of the week. A cancelled or holiday week's slips move to the next
meeting held (`meetings.services.meeting_set_status`) and lock once that week is completed.

Edit rights: the author edits or deletes their own slip while it is not locked. A slip is
locked once the weekly report of *either* meeting it counts for is completed, because a
completed week's official totals must not change silently in either chapter. After that only
a leader of the author's chapter corrects it, with a reason, and the change is recorded
(`SlipCorrection`). Who is on the slip (receiver, person thanked, person met) never changes in
an edit: a slip to the wrong person is deleted and logged again.

Double submits: every new-slip form carries a token made when it was rendered; the slip's
unique token column lets the second insert find the first slip instead of making another.
"""

import datetime
import decimal
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Meeting, Visitor
from meetings.services import meeting_for_slip, meetings_ahead_ensure
from members.models import Member, User
from referrals.models import (
    CEU,
    GiverNotice,
    OneToOne,
    Referral,
    SlipCorrection,
    Testimonial,
    ThankYou,
    Tier,
)
from referrals.signals import giver_notice_created


class SlipError(Exception):
    """A rule refused the change; the message is for the member who asked."""


def _open_meeting(chapter: Chapter) -> Meeting:
    try:
        return meeting_for_slip(chapter)
    except Meeting.DoesNotExist:
        raise SlipError(
            f"{chapter} has no open meeting to count this slip for; ask a leader."
        ) from None


def _meetings(author: Member, other: Member | None) -> tuple[Meeting, Meeting]:
    """The author's open meeting and the other member's (the same one within a chapter)."""
    mine = _open_meeting(author.chapter)
    if other is None or other.chapter_id == author.chapter_id:
        return mine, mine
    return mine, _open_meeting(other.chapter)


def _create_once(model: type[Model], *, token: uuid.UUID | None, author_field: str,
                 author_id: int, **fields) -> tuple[Model, bool]:
    """Insert the slip unless this form's token already made it; returns (slip, created)."""

    def earlier():
        slip = model.objects.filter(token=token).first() if token else None
        if slip is not None and getattr(slip, f"{author_field}_id") != author_id:
            # Only a copied form could carry someone else's token: refuse, reveal nothing.
            raise SlipError("This form was already used. Open a new one and try again.")
        return slip

    if (slip := earlier()) is not None:
        return slip, False
    try:
        with transaction.atomic():
            return model.objects.create(token=token, **fields), True
    except IntegrityError:
        # The same form arrived twice at once: the other request's insert won the race.
        if (slip := earlier()) is not None:
            return slip, False
        raise SlipError("The slip could not be saved. Check it and try again.") from None


def _notify(**fields) -> None:
    """Owe the giver an email about this change, in the change's own transaction (the
    notifications app's outbox sends it once the change commits)."""
    try:
        with transaction.atomic():
            notice = GiverNotice.objects.create(**fields)
    except IntegrityError:
        return  # This change was announced already.
    giver_notice_created.send(sender=GiverNotice, notice=notice)


def _require_active(member: Member, role: str) -> None:
    if member.status != Member.Status.ACTIVE:
        raise SlipError(f"{member.full_name} is not an active member and cannot be {role}.")


# Logging slips ---------------------------------------------------------------------------------


def referral_log(
    *,
    giver: Member,
    receiver: Member,
    tier: str,
    temperature: int,
    prospect_name: str = "",
    prospect_phone: str = "",
    prospect_email: str = "",
    notes: str = "",
    token: uuid.UUID | None = None,
) -> tuple[Referral, bool]:
    """Log a referral from giver to receiver (possibly of another chapter), once per token."""
    if giver.pk == receiver.pk:
        raise SlipError("You cannot refer business to yourself.")
    _require_active(receiver, "referred")
    prospect_name, prospect_phone = prospect_name.strip(), prospect_phone.strip()
    prospect_email = prospect_email.strip()
    if tier == Tier.OUTSIDE and not (prospect_name and (prospect_phone or prospect_email)):
        raise SlipError(
            "An outside referral needs the prospect's name and a phone number or email."
        )
    with transaction.atomic():
        meeting, receiver_meeting = _meetings(giver, receiver)
        return _create_once(
            Referral,
            token=token,
            author_field="giver",
            author_id=giver.pk,
            giver=giver,
            receiver=receiver,
            tier=tier,
            temperature=temperature,
            prospect_name=prospect_name,
            prospect_phone=prospect_phone,
            prospect_email=prospect_email,
            notes=notes.strip(),
            meeting=meeting,
            receiver_meeting=receiver_meeting,
        )


def referral_status_change(
    *,
    referral: Referral,
    by: Member,
    status: str,
    reason: str = "",
    amount: decimal.Decimal | None = None,
    business_type: str = ThankYou.BusinessType.NEW,
) -> Referral:
    """The receiver moves a referral along its pipeline; closing it won records the TYFCB
    credited to the giver. Asking for the status it already has changes nothing."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update()
            .select_related("giver__chapter", "receiver__chapter")
            .get(pk=referral.pk)
        )
        if referral.receiver_id != by.pk:
            raise SlipError("Only the member who received the referral can update it.")
        if referral.status == status:
            return referral  # A double click or a resubmitted form.
        if not referral.can_move_to(status):
            raise SlipError(
                f"This referral is already {referral.get_status_display().lower()}; "
                "it can only move forward."
            )
        if status == Referral.Status.NOT_CLOSED and not reason.strip():
            raise SlipError("Say why the referral did not close.")
        if status == Referral.Status.CLOSED_WON and (amount is None or amount <= 0):
            raise SlipError(ZERO_TYFCB)
        referral.status = status
        referral.status_reason = reason.strip() if status == Referral.Status.NOT_CLOSED else ""
        referral.status_changed_at = timezone.now()
        referral.save(update_fields=["status", "status_reason", "status_changed_at"])
        if status == Referral.Status.CLOSED_WON:
            meeting, credited_meeting = _meetings(referral.receiver, referral.giver)
            ThankYou.objects.create(
                thanked_by=referral.receiver,
                credited_to=referral.giver,
                amount=amount,
                business_type=business_type,
                referral=referral,
                meeting=meeting,
                credited_meeting=credited_meeting,
            )
        # One email for the change; when it closed won it tells of the thanks too.
        _notify(
            kind=GiverNotice.Kind.STATUS, member=referral.giver, referral=referral, status=status
        )
    return referral


# A chapter with no TYFCB in the last year asks to confirm amounts above this.
NEW_CHAPTER_TYFCB_CONFIRM_ABOVE = decimal.Decimal("100000")
ZERO_TYFCB = "A TYFCB records closed business: enter an amount above 0."


def tyfcb_confirm_above(chapter: Chapter, now: datetime.datetime | None = None) -> decimal.Decimal:
    """The TYFCB amount above which the form asks the member to confirm: the chapter's own
    figure, else ten times its largest TYFCB of the last 12 months (a fixed figure when it has
    none), so one mistyped amount cannot dominate the chapter's PALMS and lights unnoticed."""
    if chapter.tyfcb_confirm_above:
        return chapter.tyfcb_confirm_above
    since = (now or timezone.now()) - datetime.timedelta(days=365)
    largest = (
        ThankYou.objects.filter(meeting__chapter=chapter, created_at__gte=since)
        .order_by("-amount")
        .values_list("amount", flat=True)
        .first()
    )
    return largest * 10 if largest else NEW_CHAPTER_TYFCB_CONFIRM_ABOVE


def thank_you_log(
    *,
    thanked_by: Member,
    credited_to: Member,
    amount: decimal.Decimal,
    business_type: str,
    referral: Referral | None = None,
    notes: str = "",
    token: uuid.UUID | None = None,
) -> tuple[ThankYou, bool]:
    """TYFCB: thank a member for closed business (on its own, or for a referral received)."""
    if referral is not None:
        if referral.receiver_id != thanked_by.pk:
            raise SlipError("You can only thank for a referral you received.")
        credited_to = referral.giver
    if credited_to.pk == thanked_by.pk:
        raise SlipError("You cannot thank yourself.")
    if amount is None or amount <= 0:
        raise SlipError(ZERO_TYFCB)
    with transaction.atomic():
        meeting, credited_meeting = _meetings(thanked_by, credited_to)
        thank_you, created = _create_once(
            ThankYou,
            token=token,
            author_field="thanked_by",
            author_id=thanked_by.pk,
            thanked_by=thanked_by,
            credited_to=credited_to,
            amount=amount,
            business_type=business_type,
            referral=referral,
            notes=notes.strip(),
            meeting=meeting,
            credited_meeting=credited_meeting,
        )
        if created:
            _notify(kind=GiverNotice.Kind.THANKS, member=credited_to, thank_you=thank_you)
    return thank_you, created


def one_to_one_log(
    *,
    member: Member,
    met_with: Member,
    met_on: datetime.date,
    location: str = "",
    notes: str = "",
    token: uuid.UUID | None = None,
) -> tuple[OneToOne, bool]:
    if met_with.pk == member.pk:
        raise SlipError("A one-to-one is with another member.")
    with transaction.atomic():
        meeting, met_with_meeting = _meetings(member, met_with)
        return _create_once(
            OneToOne,
            token=token,
            author_field="member",
            author_id=member.pk,
            member=member,
            met_with=met_with,
            met_on=met_on,
            location=location.strip(),
            notes=notes.strip(),
            meeting=meeting,
            met_with_meeting=met_with_meeting,
        )


def ceu_log(
    *,
    member: Member,
    credits: int,
    description: str,
    earned_on: datetime.date,
    token: uuid.UUID | None = None,
) -> tuple[CEU, bool]:
    with transaction.atomic():
        meeting, _ = _meetings(member, None)
        return _create_once(
            CEU,
            token=token,
            author_field="member",
            author_id=member.pk,
            member=member,
            credits=credits,
            description=description.strip(),
            earned_on=earned_on,
            meeting=meeting,
        )


def testimonial_log(
    *, giver: Member, about: Member, text: str, token: uuid.UUID | None = None
) -> tuple[Testimonial, bool]:
    """A testimonial is spoken at the chapter's own meeting, so it is about a chapter member."""
    if about.pk == giver.pk:
        raise SlipError("A testimonial is about another member.")
    if about.chapter_id != giver.chapter_id:
        raise SlipError("A testimonial is about a member of your own chapter.")
    with transaction.atomic():
        meeting, _ = _meetings(giver, None)
        return _create_once(
            Testimonial,
            token=token,
            author_field="giver",
            author_id=giver.pk,
            giver=giver,
            about=about,
            text=text.strip(),
            meeting=meeting,
        )


def visitor_meetings(chapter: Chapter, now: datetime.datetime | None = None):
    """Meetings a member may bring a visitor to: coming, held, report still open."""
    now = now or timezone.now()
    meetings_ahead_ensure(chapter=chapter, now=now)
    return (
        Meeting.objects.for_chapter(chapter)
        .upcoming(now)
        .counted()
        .filter(report_status=Meeting.ReportStatus.DRAFT)
        .select_related("chapter")
    )


def visitor_register(
    *,
    member: Member,
    meeting: Meeting,
    name: str,
    company: str = "",
    classification_text: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
    token: uuid.UUID | None = None,
) -> tuple[Visitor, bool]:
    """Register a visitor the member is bringing to a coming meeting of their chapter."""
    if not visitor_meetings(member.chapter).filter(pk=meeting.pk).exists():
        raise SlipError("Choose a coming meeting of your chapter that is not cancelled.")
    if not (email.strip() or phone.strip()):
        raise SlipError("Give the visitor's email or phone, so the Visitor Host can reach them.")
    with transaction.atomic():
        return _create_once(
            Visitor,
            token=token,
            author_field="invited_by",
            author_id=member.pk,
            meeting=meeting,
            name=name.strip(),
            company=company.strip(),
            classification_text=classification_text.strip(),
            email=email.strip().lower(),
            phone=phone.strip(),
            notes=notes.strip(),
            invited_by=member,
            created_by=member.user,
        )


# Editing, deleting, correcting ----------------------------------------------------------------


def slip_is_locked(slip: Model) -> bool:
    if isinstance(slip, Visitor):
        return slip.meeting.slips_locked
    return slip.is_locked


def _snapshot(slip: Model, fields: list[str]) -> dict:
    """The fields as JSON-safe values, for the correction record."""
    values = {}
    for name in fields:
        value = getattr(slip, name)
        if isinstance(value, datetime.date | decimal.Decimal | uuid.UUID):
            value = str(value)
        elif isinstance(value, Model):
            value = str(value)
        values[name] = value
    return values


def _apply(slip: Model, changes: dict) -> list[str]:
    changed = [name for name, value in changes.items() if getattr(slip, name) != value]
    for name in changed:
        setattr(slip, name, changes[name])
    return changed


def _check_rules(slip: Model) -> None:
    if isinstance(slip, Referral) and slip.tier == Tier.OUTSIDE and not (
        slip.prospect_name.strip() and (slip.prospect_phone.strip() or slip.prospect_email.strip())
    ):
        raise SlipError(
            "An outside referral needs the prospect's name and a phone number or email."
        )
    if isinstance(slip, ThankYou) and slip.amount <= 0:
        raise SlipError(ZERO_TYFCB)


def slip_update(*, slip: Model, by: Member, changes: dict) -> Model:
    """The author edits their own slip while its week is open."""
    if slip_is_locked(slip):
        raise SlipError(
            "This week's report is completed, so the slip is locked. Ask a leader to correct it."
        )
    with transaction.atomic():
        changed = _apply(slip, changes)
        _check_rules(slip)
        if changed:
            slip.save(update_fields=changed)
    return slip


def slip_delete(*, slip: Model, by: Member) -> None:
    """The author removes their own slip (a duplicate, a mistake) while its week is open."""
    if slip_is_locked(slip):
        raise SlipError(
            "This week's report is completed, so the slip is locked. Ask a leader to correct it."
        )
    slip.delete()


def slip_correct(
    *, slip: Model, slip_type: str, by: User, reason: str, changes: dict
) -> SlipCorrection:
    """A leader corrects a slip (typically of a completed week); the change is recorded."""
    if not reason.strip():
        raise SlipError("Say why the slip is corrected.")
    fields = list(changes)
    with transaction.atomic():
        before = _snapshot(slip, fields)
        changed = _apply(slip, changes)
        if not changed:
            raise SlipError("Nothing was changed.")
        _check_rules(slip)
        slip.save(update_fields=changed)
        return SlipCorrection.objects.create(
            slip_type=slip_type,
            slip_id=slip.pk,
            action=SlipCorrection.Action.EDITED,
            meeting=slip.meeting,
            changed_by=by,
            reason=reason.strip(),
            before={name: before[name] for name in changed},
            after=_snapshot(slip, changed),
        )


def slip_correction_delete(
    *, slip: Model, slip_type: str, by: User, reason: str, fields: list[str]
) -> SlipCorrection:
    """A leader removes a slip; what it said is kept in the correction record."""
    if not reason.strip():
        raise SlipError("Say why the slip is removed.")
    with transaction.atomic():
        correction = SlipCorrection.objects.create(
            slip_type=slip_type,
            slip_id=slip.pk,
            action=SlipCorrection.Action.DELETED,
            meeting=slip.meeting,
            changed_by=by,
            reason=reason.strip(),
            before=_snapshot(slip, fields),
            after={},
        )
        slip.delete()
    return correction
