"""Membership management: applications, the membership lifecycle, leadership roles and renewal
reminders.

Every change that can put someone into a classification locks the chapter row first and checks
the classification rule again; the database constraints (one member per classification, one
approval per classification) have the last word. Every change writes the audit trail.
"""

import datetime
import logging
import uuid
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from chapters.models import Chapter, Classification
from members.audit import audit_record, differences, snapshot
from members.invitations import (
    MembershipError,
    classification_holder,
    invitation_create,
    refuse_a_current_member,
)
from members.models import (
    Application,
    AuditEntry,
    Invitation,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    MembershipTransfer,
    RenewalReminder,
    Role,
    User,
)
from members.signals import renewal_reminders_due

logger = logging.getLogger(__name__)

# Sent inside the transaction of the change, for the layers above to follow (a visitor who
# applied, a visitor's details erased): with application; with user and email (the address
# the person had before it was erased).
application_received = Signal()
person_anonymised = Signal()

Action = AuditEntry.Action
Status = Member.Status

RENEWAL_REMINDER_DAYS = (60, 30, 7)
# Roles one member holds at a time; the committee, hosts and coordinators can be several.
SINGLE_HOLDER_ROLES = frozenset(
    {Role.PRESIDENT, Role.VICE_PRESIDENT, Role.SECRETARY_TREASURER}
)
ANONYMISED_DOMAIN = "anonymised.invalid"


class NothingToDo(MembershipError):
    """The change was already made (a double click, a second worker): nothing happened."""


def _refuse_own(member: Member, by: User | None) -> None:
    """Nobody changes their own membership or roles, except to resign (drop themselves or end
    their own term): a leader cannot lift their own suspension or give themselves a role."""
    if by is not None and member.user_id == by.pk:
        raise MembershipError(
            "Your own membership and roles are changed by another leader or an admin, not by "
            "you; you can only resign (drop your own membership or end your own term)."
        )


# --- Helpers ------------------------------------------------------------------------------


def add_year(day: datetime.date) -> datetime.date:
    """The same date a year later (28 February for 29 February)."""
    if day.year >= datetime.MAXYEAR:
        return day
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _lock_chapter(chapter_id: int) -> Chapter:
    """Serialise every change that fills a classification in this chapter."""
    return Chapter.objects.select_for_update().get(pk=chapter_id)


def _locked(member: Member) -> Member:
    return (
        Member.objects.select_for_update(of=("self",))
        .select_related("user", "chapter", "classification")
        .get(pk=member.pk)
    )


def _zones_today(now: datetime.datetime) -> list[tuple[str, datetime.date]]:
    """Each time zone chapters use, with its local date (sweeps work zone by zone)."""
    zones = Chapter.objects.order_by().values_list("time_zone", flat=True).distinct()
    return [(zone, now.astimezone(ZoneInfo(zone)).date()) for zone in zones]


def _reservation(chapter: Chapter, classification: Classification, *, email: str = ""):
    """An approved application keeping the classification for someone else, if any."""
    reserved = Application.objects.filter(
        chapter=chapter, classification=classification, status=Application.Status.APPROVED
    )
    if email:
        reserved = reserved.exclude(email__iexact=email)
    return reserved.select_related("invitation").first()


def _refuse_if_taken(
    chapter: Chapter, classification: Classification, *, who: str, member: Member | None = None,
    email: str = "",
) -> None:
    """The classification rule, in words the person who asked can act on."""
    holder = classification_holder(chapter=chapter, classification=classification)
    if holder is not None and (member is None or holder.pk != member.pk):
        raise MembershipError(
            f"{classification} is already taken in {chapter} by {holder.full_name}, so {who} "
            "cannot hold it. Choose another classification or wait until it is free."
        )
    reserved = _reservation(chapter, classification, email=email)
    if reserved is not None:
        until = (
            f" until {chapter.local(reserved.invitation.expires_at):%d %b %Y}"
            if reserved.invitation
            else ""
        )
        raise MembershipError(
            f"{classification} is kept in {chapter} for {reserved.full_name}, whose application "
            f"was approved{until}, so {who} cannot hold it."
        )


def _close_leave(member: Member, now: datetime.datetime) -> None:
    LeaveOfAbsence.objects.filter(member=member, ended_at__isnull=True).update(ended_at=now)


def _end_roles(member: Member, *, by: User | None, today: datetime.date, why: str) -> None:
    """Close the member's current and future role terms (they leave the chapter's team)."""
    terms = LeadershipRole.objects.filter(member=member).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    for term in terms:
        _role_term_close(term, by=by, today=today, why=why)


def _role_term_close(term: LeadershipRole, *, by: User | None, today: datetime.date, why: str):
    before = snapshot(term, ["role", "starts_on", "ends_on"])
    if term.starts_on >= today:
        term.delete()
        after = {}
    else:
        term.ends_on = today - datetime.timedelta(days=1)
        term.save(update_fields=["ends_on"])
        after = snapshot(term, ["role", "starts_on", "ends_on"])
    audit_record(
        chapter=term.member.chapter,
        member=term.member,
        actor=by,
        action=Action.ROLE_ENDED,
        summary=f"{Role(term.role).label} term ended{': ' + why if why else ''}",
        before=before,
        after=after,
    )


def _status_change(
    member: Member,
    *,
    status: str,
    by: User | None,
    action: str,
    summary: str,
    extra: dict | None = None,
    renewal_due_on: datetime.date | None = None,
) -> Member:
    before = snapshot(member, ["status", "renewal_due_on"])
    member.status = status
    if renewal_due_on is not None:
        member.renewal_due_on = renewal_due_on
    # Scoring and attendance count a membership's weeks up to the day it ended.
    if status in (Status.DROPPED, Status.EXPIRED):
        member.left_on = member.left_on or member.chapter.today()
    elif status in Status.holding_values():
        member.left_on = None
    member.save(update_fields=["status", "renewal_due_on", "left_on"])
    after = snapshot(member, ["status", "renewal_due_on"])
    before, after = differences(before, after)
    audit_record(
        chapter=member.chapter,
        member=member,
        actor=by,
        action=action,
        summary=summary,
        before=before,
        after=after | (extra or {}),
    )
    return member


# --- Applications -------------------------------------------------------------------------


def application_create(
    *,
    chapter: Chapter,
    by: User | None,
    first_name: str,
    last_name: str,
    email: str,
    business_name: str,
    classification: Classification,
    phone: str = "",
    note: str = "",
    sponsor: Member | None = None,
    visitor=None,
    token: uuid.UUID | None = None,
) -> tuple[Application, bool]:
    """Record an application. A taken classification does not stop it being recorded: the
    conflict is shown to the committee, who decline it or change the classification.

    A visitor handed over from a meeting passes `visitor` (and their sponsor): the visitor's
    follow-up becomes "Applied". Returns (application, created); `token` makes a double
    submit record one.
    """
    email = email.strip().lower()
    if token is not None:
        existing = Application.objects.filter(token=token).first()
        if existing is not None:
            if existing.chapter_id != chapter.pk:
                raise MembershipError("This form was already used: reload the page.")
            return existing, False
    if sponsor is not None and sponsor.chapter_id != chapter.pk:
        raise MembershipError("The sponsor must be a member of the chapter.")
    if visitor is not None and visitor.meeting.chapter_id != chapter.pk:
        raise MembershipError("The visitor came to another chapter.")
    refuse_a_current_member(chapter=chapter, email=email)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                chapter=chapter,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                email=email,
                phone=phone.strip(),
                business_name=business_name.strip(),
                classification=classification,
                note=note.strip(),
                sponsor=sponsor,
                visitor=visitor,
                created_by=by,
                token=token,
            )
            application_received.send(sender=Application, application=application)
            audit_record(
                chapter=chapter,
                application=application,
                actor=by,
                action=Action.APPLICATION_RECEIVED,
                summary=f"Application received for {classification}",
                after={"classification": classification, "status": application.status},
            )
    except IntegrityError:
        if token is not None and (existing := Application.objects.filter(token=token).first()):
            return existing, False
        raise MembershipError(
            f"{email} already has an open application to {chapter}."
        ) from None
    return application, True


def application_change_classification(
    *, application: Application, classification: Classification, by: User
) -> Application:
    """The applicant picks another classification (theirs was taken)."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status != Application.Status.PENDING:
            raise MembershipError("Only a waiting application can change its classification.")
        if application.classification_id == classification.pk:
            raise NothingToDo(f"The application is already for {classification}.")
        before = {"classification": str(application.classification)}
        application.classification = classification
        application.save(update_fields=["classification"])
        audit_record(
            chapter=application.chapter,
            application=application,
            actor=by,
            action=Action.APPLICATION_CHANGED,
            summary=f"Classification changed to {classification}",
            before=before,
            after={"classification": classification},
        )
    return application


def application_approve(*, application: Application, by: User, reason: str = "") -> Application:
    """The Membership Committee approves: the classification is kept for the applicant and an
    invitation goes out, valid for the chapter's approval window.

    The chapter row is locked while the classification is checked, so two approvals racing
    for one classification are decided one after the other; the constraint
    `one_approval_per_classification` is the last word.
    """
    with transaction.atomic():
        chapter = _lock_chapter(application.chapter_id)
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("classification")
            .get(pk=application.pk)
        )
        if application.status == Application.Status.APPROVED:
            raise NothingToDo(f"{application.full_name}'s application is already approved.")
        if application.status != Application.Status.PENDING:
            raise MembershipError(
                f"This application was already decided: {application.get_status_display()}."
            )
        _refuse_if_taken(
            chapter, application.classification, who=application.full_name,
            email=application.email,
        )
        application.status = Application.Status.APPROVED
        application.decided_by = by
        application.decided_at = timezone.now()
        application.decision_reason = reason.strip()
        try:
            with transaction.atomic():
                application.save(
                    update_fields=["status", "decided_by", "decided_at", "decision_reason"]
                )
        except IntegrityError:
            raise MembershipError(
                f"{application.classification} was approved for another applicant in {chapter} "
                f"a moment ago, so {application.full_name} cannot be approved in it."
            ) from None
        invitation = invitation_create(
            chapter=chapter,
            email=application.email,
            first_name=application.first_name,
            last_name=application.last_name,
            classification=application.classification,
            business_name=application.business_name,
            invited_by=by,
            valid_days=chapter.approval_window_days,
        )
        application.invitation = invitation
        application.save(update_fields=["invitation"])
        audit_record(
            chapter=chapter,
            application=application,
            actor=by,
            action=Action.APPLICATION_APPROVED,
            summary=f"Approved for {application.classification}; invitation valid until "
            f"{chapter.local(invitation.expires_at):%d %b %Y}",
            before={"status": Application.Status.PENDING},
            after={"status": application.status, "reason": application.decision_reason},
        )
    return application


def application_decline(*, application: Application, by: User, reason: str) -> Application:
    """The Membership Committee declines, saying why. An approval not yet taken up can be
    declined too: its invitation is withdrawn."""
    reason = reason.strip()
    if not reason:
        raise MembershipError("Say why the application is declined.")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.status == Application.Status.DECLINED:
            raise NothingToDo(f"{application.full_name}'s application is already declined.")
        if application.status not in (Application.Status.PENDING, Application.Status.APPROVED):
            raise MembershipError(
                f"This application was already decided: {application.get_status_display()}."
            )
        before = {"status": application.status}
        if application.invitation_id:
            Invitation.objects.filter(
                pk=application.invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
            ).update(revoked_at=timezone.now())
        application.status = Application.Status.DECLINED
        application.decided_by = by
        application.decided_at = timezone.now()
        application.decision_reason = reason
        application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            chapter=application.chapter,
            application=application,
            actor=by,
            action=Action.APPLICATION_DECLINED,
            summary=f"Declined: {reason}",
            before=before,
            after={"status": application.status, "reason": reason},
        )
    return application


def applications_lapse(*, now: datetime.datetime | None = None) -> int:
    """Approvals not taken up within the window lapse, freeing the classification.
    Safe to run any number of times (the conditional update decides)."""
    now = now or timezone.now()
    stale = Application.objects.filter(status=Application.Status.APPROVED).filter(
        Q(invitation__isnull=True)
        | Q(invitation__accepted_at__isnull=True)
        & (Q(invitation__expires_at__lte=now) | Q(invitation__revoked_at__isnull=False))
    )
    lapsed = 0
    for application in stale.select_related("chapter", "classification"):
        with transaction.atomic():
            if not Application.objects.filter(
                pk=application.pk, status=Application.Status.APPROVED
            ).update(status=Application.Status.LAPSED):
                continue
            lapsed += 1
            audit_record(
                chapter=application.chapter,
                application=application,
                actor=None,
                action=Action.APPLICATION_LAPSED,
                summary=f"Approval for {application.classification} was not taken up in time",
                before={"status": Application.Status.APPROVED},
                after={"status": Application.Status.LAPSED},
            )
    return lapsed


# --- The membership lifecycle ---------------------------------------------------------------


def membership_renew(
    *, member: Member, by: User, expected_due_on: datetime.date | None = None
) -> Member:
    """Another year: from the current due date (the anniversary), or from today if none.

    `expected_due_on` is the due date the leader saw; a second click finds it moved on and
    changes nothing.
    """
    _refuse_own(member, by)
    with transaction.atomic():
        member = _locked(member)
        if member.status not in Status.current_values():
            raise MembershipError(
                f"{member.full_name}'s membership is {member.get_status_display().lower()}: "
                "reinstate it instead."
            )
        if expected_due_on is not None and member.renewal_due_on != expected_due_on:
            raise NothingToDo(
                f"{member.full_name} is already renewed until {member.renewal_due_on:%d %b %Y}."
            )
        today = member.chapter.today()
        renewed = add_year(member.renewal_due_on or today)
        if renewed <= today:
            renewed = add_year(today)
        before = {"renewal_due_on": member.renewal_due_on}
        member.renewal_due_on = renewed
        member.save(update_fields=["renewal_due_on"])
        audit_record(
            chapter=member.chapter,
            member=member,
            actor=by,
            action=Action.RENEWED,
            summary=f"Renewed until {renewed:%d %b %Y}",
            before=before,
            after={"renewal_due_on": renewed},
        )
    return member


def memberships_expire(*, now: datetime.datetime | None = None) -> int:
    """Memberships past their renewal date lapse to expired (the classification is freed)."""
    now = now or timezone.now()
    expired = 0
    for zone, today in _zones_today(now):
        due = Member.objects.filter(
            chapter__time_zone=zone,
            status__in=Status.current_values(),
            renewal_due_on__lt=today,
        ).select_related("chapter", "user", "classification")
        for member in due:
            with transaction.atomic():
                if not Member.objects.filter(pk=member.pk, status=member.status).update(
                    status=Status.EXPIRED, left_on=today
                ):
                    continue
                expired += 1
                _close_leave(member, now)
                _end_roles(member, by=None, today=today, why="membership expired")
                audit_record(
                    chapter=member.chapter,
                    member=member,
                    actor=None,
                    action=Action.EXPIRED,
                    summary=f"Not renewed by {member.renewal_due_on:%d %b %Y}",
                    before={"status": member.status},
                    after={"status": Status.EXPIRED},
                )
    return expired


def leave_start(
    *,
    member: Member,
    by: User,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str = "",
) -> LeaveOfAbsence:
    """A (medical) leave of absence: the member keeps the classification. A leave starting
    later is arranged now and begins on its date (the daily sweep)."""
    _refuse_own(member, by)
    if ends_on <= starts_on:
        raise MembershipError("The leave must end after it starts.")
    with transaction.atomic():
        member = _locked(member)
        today = member.chapter.today()
        if ends_on <= today:
            raise MembershipError("The leave must end after today.")
        open_leave = LeaveOfAbsence.objects.filter(member=member).open().first()
        if open_leave is not None:
            raise NothingToDo(
                f"{member.full_name} already has a leave from {open_leave.starts_on:%d %b %Y} "
                f"to {open_leave.ends_on:%d %b %Y}."
            )
        if member.status != Status.ACTIVE:
            raise MembershipError(
                f"Only an active member can take leave; {member.full_name} is "
                f"{member.get_status_display().lower()}."
            )
        leave = LeaveOfAbsence.objects.create(
            member=member, starts_on=starts_on, ends_on=ends_on, reason=reason.strip(),
            created_by=by,
        )
        dates = {"starts_on": starts_on, "ends_on": ends_on}
        if starts_on <= today:
            _leave_begin(leave, member, by=by, now=timezone.now())
        else:
            audit_record(
                chapter=member.chapter,
                member=member,
                actor=by,
                action=Action.LEAVE_SCHEDULED,
                summary=f"Leave arranged from {starts_on:%d %b %Y} to {ends_on:%d %b %Y}",
                after=dates,
            )
    return leave


def _leave_begin(leave: LeaveOfAbsence, member: Member, *, by, now) -> None:
    leave.began_at = now
    leave.save(update_fields=["began_at"])
    _status_change(
        member,
        status=Status.ON_LEAVE,
        by=by,
        action=Action.LEAVE_STARTED,
        summary=f"On leave until {leave.ends_on:%d %b %Y}",
        extra={"starts_on": leave.starts_on, "ends_on": leave.ends_on},
    )


def leave_end(*, member: Member, by: User | None) -> Member:
    """Back from leave now (or cancel a leave that has not begun)."""
    _refuse_own(member, by)
    now = timezone.now()
    with transaction.atomic():
        member = _locked(member)
        leave = LeaveOfAbsence.objects.filter(member=member).open().first()
        if leave is None and member.status != Status.ON_LEAVE:
            raise NothingToDo(f"{member.full_name} is not on leave.")
        if leave is not None:
            leave.ended_at = now
            leave.save(update_fields=["ended_at"])
        if member.status == Status.ON_LEAVE:
            _status_change(
                member, status=Status.ACTIVE, by=by, action=Action.LEAVE_ENDED,
                summary="Back from leave",
            )
        else:
            audit_record(
                chapter=member.chapter,
                member=member,
                actor=by,
                action=Action.LEAVE_ENDED,
                summary="Arranged leave cancelled before it began",
                before={"starts_on": leave.starts_on, "ends_on": leave.ends_on},
            )
    return member


def leaves_sweep(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Begin leaves whose start date came and end those whose end date came.
    Safe to run any number of times. Returns (begun, ended)."""
    now = now or timezone.now()
    begun = ended = 0
    for zone, today in _zones_today(now):
        leaves = LeaveOfAbsence.objects.open().filter(member__chapter__time_zone=zone)
        for leave in leaves.filter(began_at__isnull=True, starts_on__lte=today):
            with transaction.atomic():
                member = _locked(leave.member)
                claimed = LeaveOfAbsence.objects.filter(
                    pk=leave.pk, began_at__isnull=True, ended_at__isnull=True
                ).update(began_at=now)
                if not claimed:
                    continue
                if member.status != Status.ACTIVE:
                    # Suspended or dropped meanwhile: the leave no longer applies.
                    LeaveOfAbsence.objects.filter(pk=leave.pk).update(ended_at=now)
                    continue
                leave.began_at = now
                _status_change(
                    member, status=Status.ON_LEAVE, by=None, action=Action.LEAVE_STARTED,
                    summary=f"On leave until {leave.ends_on:%d %b %Y}",
                    extra={"starts_on": leave.starts_on, "ends_on": leave.ends_on},
                )
                begun += 1
        for leave in leaves.filter(began_at__isnull=False, ends_on__lte=today):
            with transaction.atomic():
                if not LeaveOfAbsence.objects.filter(pk=leave.pk, ended_at__isnull=True).update(
                    ended_at=now
                ):
                    continue
                member = _locked(leave.member)
                if member.status == Status.ON_LEAVE:
                    _status_change(
                        member, status=Status.ACTIVE, by=None, action=Action.LEAVE_ENDED,
                        summary=f"Back from leave on {leave.ends_on:%d %b %Y}",
                    )
                ended += 1
    return begun, ended


def membership_suspend(*, member: Member, by: User, reason: str) -> Member:
    """Suspended: still signs in and sees the chapter, but the classification is free for
    someone else and the member's roles end (a suspended leader leads nothing)."""
    _refuse_own(member, by)
    reason = reason.strip()
    if not reason:
        raise MembershipError("Say why the membership is suspended.")
    with transaction.atomic():
        member = _locked(member)
        if member.status == Status.SUSPENDED:
            raise NothingToDo(f"{member.full_name} is already suspended.")
        if member.status not in Status.holding_values():
            raise MembershipError(
                f"Only an active member or one on leave can be suspended; {member.full_name} "
                f"is {member.get_status_display().lower()}."
            )
        _close_leave(member, timezone.now())
        _end_roles(member, by=by, today=member.chapter.today(), why="suspended")
        return _status_change(
            member, status=Status.SUSPENDED, by=by, action=Action.SUSPENDED,
            summary=f"Suspended: {reason}", extra={"reason": reason},
        )


def membership_drop(*, member: Member, by: User, reason: str) -> Member:
    """Dropped from the chapter: the classification is free and the member's roles end. The
    row stays (slips point at it), so the chapter's numbers do not change."""
    reason = reason.strip()
    if not reason:
        raise MembershipError("Say why the member is dropped.")
    with transaction.atomic():
        member = _locked(member)
        if member.status == Status.DROPPED:
            raise NothingToDo(f"{member.full_name} is already dropped.")
        _close_leave(member, timezone.now())
        _end_roles(member, by=by, today=member.chapter.today(), why="dropped")
        return _status_change(
            member, status=Status.DROPPED, by=by, action=Action.DROPPED,
            summary=f"Dropped: {reason}", extra={"reason": reason},
        )


def membership_reinstate(*, member: Member, by: User) -> Member:
    """Back to active from suspended, dropped or expired, if the classification is free.
    Roles ended by the suspension or drop stay ended: a leader assigns them again."""
    _refuse_own(member, by)
    with transaction.atomic():
        _lock_chapter(member.chapter_id)
        member = _locked(member)
        if member.status in Status.holding_values():
            raise NothingToDo(f"{member.full_name} is already {member.get_status_display()}.")
        if member.status not in (Status.SUSPENDED, Status.DROPPED, Status.EXPIRED):
            raise MembershipError(f"{member.full_name} cannot be reinstated from this status.")
        transfer = MembershipTransfer.objects.filter(from_member=member).select_related(
            "to_member__chapter"
        ).first()
        if transfer is not None:
            raise MembershipError(
                f"{member.full_name} moved to {transfer.to_member.chapter}; transfer them back "
                "instead."
            )
        _refuse_if_taken(
            member.chapter, member.classification, who=member.full_name, member=member,
            email=member.user.email,
        )
        today = member.chapter.today()
        renewal_due_on = None
        if member.renewal_due_on is None or member.renewal_due_on < today:
            renewal_due_on = add_year(today)
        try:
            with transaction.atomic():
                return _status_change(
                    member, status=Status.ACTIVE, by=by, action=Action.REINSTATED,
                    summary="Reinstated", renewal_due_on=renewal_due_on,
                )
        except IntegrityError:
            raise MembershipError(
                f"{member.full_name} cannot be reinstated: {member.classification} was taken "
                f"in {member.chapter}, or they already have another open membership there."
            ) from None


def membership_transfer(
    *,
    member: Member,
    to_chapter: Chapter,
    by: User,
    classification: Classification | None = None,
) -> Member:
    """Move a member to another chapter: the old membership is closed with a "transferred"
    note and a new one opens there (the classification must be free in it). Both chapters keep
    their history; the old row keeps its slips."""
    _refuse_own(member, by)
    if to_chapter.pk == member.chapter_id:
        raise MembershipError("Choose another chapter.")
    with transaction.atomic():
        # Lock both chapters in one order, so two transfers the other way cannot deadlock.
        for chapter_id in sorted([member.chapter_id, to_chapter.pk]):
            _lock_chapter(chapter_id)
        member = _locked(member)
        to_chapter = Chapter.objects.get(pk=to_chapter.pk)
        classification = classification or member.classification
        if member.status not in Status.current_values():
            raise MembershipError(
                f"Only a current member can transfer; {member.full_name} is "
                f"{member.get_status_display().lower()}."
            )
        _refuse_if_taken(
            to_chapter, classification, who=member.full_name, email=member.user.email
        )
        if Member.objects.filter(
            chapter=to_chapter, user=member.user,
            status__in=[Status.APPLICANT, *Status.current_values()],
        ).exists():
            raise MembershipError(f"{member.full_name} is already a member of {to_chapter}.")
        today = to_chapter.today()
        now = timezone.now()
        from_chapter = member.chapter
        _close_leave(member, now)
        _end_roles(member, by=by, today=from_chapter.today(), why="transferred")
        _status_change(
            member, status=Status.DROPPED, by=by, action=Action.TRANSFERRED_OUT,
            summary=f"Transferred to {to_chapter}", extra={"to_chapter": to_chapter},
        )
        try:
            with transaction.atomic():
                moved = Member.objects.create(
                    user=member.user,
                    chapter=to_chapter,
                    classification=classification,
                    business_name=member.business_name,
                    phone=member.phone,
                    website=member.website,
                    ideal_referral=member.ideal_referral,
                    target_market=member.target_market,
                    status=Status.ACTIVE,
                    joined_on=today,
                    renewal_due_on=member.renewal_due_on or add_year(today),
                )
        except IntegrityError:
            raise MembershipError(
                f"{classification} was taken in {to_chapter} a moment ago, so "
                f"{member.full_name} cannot move there in it."
            ) from None
        MembershipTransfer.objects.create(
            from_member=member, to_member=moved, transferred_by=by, transferred_at=now
        )
        audit_record(
            chapter=to_chapter,
            member=moved,
            actor=by,
            action=Action.TRANSFERRED_IN,
            summary=f"Transferred from {from_chapter} as {classification}",
            after={
                "from_chapter": from_chapter,
                "status": moved.status,
                "classification": classification,
                "renewal_due_on": moved.renewal_due_on,
            },
        )
    return moved


def anonymised_email(kind: str, pk: int) -> str:
    return f"anonymised-{kind}-{pk}@{ANONYMISED_DOMAIN}"


def is_anonymised(user: User) -> bool:
    return user.email.endswith("@" + ANONYMISED_DOMAIN)


def member_anonymise(*, member: Member, by: User) -> Member:
    """Erase a former member's personal data and make the account unusable, keeping every
    membership row (and so every slip and the chapter's numbers) in place."""
    _refuse_own(member, by)
    with transaction.atomic():
        member = _locked(member)
        user = User.objects.select_for_update().get(pk=member.user_id)
        if is_anonymised(user):
            raise NothingToDo("This former member is already anonymised.")
        if member.status not in (Status.DROPPED, Status.EXPIRED):
            raise MembershipError(
                f"Only a dropped (or expired) member can be anonymised; {member.full_name} is "
                f"{member.get_status_display().lower()}. Drop them first."
            )
        still_open = (
            Member.objects.filter(user=user)
            .exclude(status__in=[Status.DROPPED, Status.EXPIRED])
            .select_related("chapter")
            .first()
        )
        if still_open is not None:
            raise MembershipError(
                f"{member.full_name} is still a member of {still_open.chapter}: anonymising "
                "would erase them there too."
            )
        old_email = user.email
        user.first_name = "Former"
        user.last_name = f"member {user.pk}"
        user.email = anonymised_email("user", user.pk)
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["first_name", "last_name", "email", "is_active", "password"])
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        memberships = Member.objects.filter(user=user)
        memberships.update(
            business_name="Former member", phone="", website="", ideal_referral="",
            target_market="", calendar_token=None,
        )
        for application in Application.objects.filter(
            Q(email__iexact=old_email) | Q(member__in=memberships)
        ):
            application.first_name, application.last_name = "Former", "applicant"
            application.email = anonymised_email("application", application.pk)
            application.phone = application.note = ""
            application.business_name = "Former applicant"
            application.save(
                update_fields=["first_name", "last_name", "email", "phone", "note",
                               "business_name"]
            )
        for invitation in Invitation.objects.filter(
            Q(email__iexact=old_email) | Q(member__in=memberships)
        ):
            invitation.first_name, invitation.last_name = "Former", "member"
            invitation.email = anonymised_email("invitation", invitation.pk)
            invitation.business_name = "Former member"
            if invitation.accepted_at is None and invitation.revoked_at is None:
                invitation.revoked_at = timezone.now()
            invitation.save(
                update_fields=["first_name", "last_name", "email", "business_name", "revoked_at"]
            )
        person_anonymised.send(sender=User, user=user, email=old_email)
        for membership in memberships.select_related("chapter"):
            audit_record(
                chapter=membership.chapter,
                member=membership,
                actor=by,
                action=Action.ANONYMISED,
                summary="Personal data erased; membership rows and numbers kept",
            )
    member.refresh_from_db()
    return member


# --- Leadership roles -----------------------------------------------------------------------


def _overlapping(terms, starts_on: datetime.date, ends_on: datetime.date | None):
    """Terms that share at least one day with [starts_on, ends_on] (open ends run forever)."""
    terms = terms.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        terms = terms.filter(starts_on__lte=ends_on)
    return terms


def role_assign(
    *,
    member: Member,
    role: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None,
    by: User,
) -> LeadershipRole:
    """Give a member a role for a term. President, Vice President and Secretary/Treasurer are
    held by one member at a time."""
    _refuse_own(member, by)
    if role not in Role.values:
        raise MembershipError("Choose a role.")
    if ends_on is not None and ends_on < starts_on:
        raise MembershipError("The term must end on or after its first day.")
    label = Role(role).label
    with transaction.atomic():
        _lock_chapter(member.chapter_id)
        member = _locked(member)
        if member.status not in Status.holding_values():
            raise MembershipError(
                f"Only an active member can hold a role; {member.full_name} is "
                f"{member.get_status_display().lower()}."
            )
        same = _overlapping(
            LeadershipRole.objects.filter(member=member, role=role), starts_on, ends_on
        ).first()
        if same is not None:
            if same.starts_on == starts_on and same.ends_on == ends_on:
                raise NothingToDo(f"{member.full_name} already holds {label} for this term.")
            raise MembershipError(
                f"{member.full_name} already holds {label} from {same.starts_on:%d %b %Y}"
                f"{f' to {same.ends_on:%d %b %Y}' if same.ends_on else ''}: end that term "
                "first."
            )
        if role in SINGLE_HOLDER_ROLES:
            other = (
                _overlapping(
                    LeadershipRole.objects.filter(member__chapter=member.chapter, role=role),
                    starts_on,
                    ends_on,
                )
                .select_related("member__user")
                .first()
            )
            if other is not None:
                raise MembershipError(
                    f"{other.member.full_name} is {label} "
                    f"{f'until {other.ends_on:%d %b %Y}' if other.ends_on else 'with no end date'}"
                    ": end that term first, or start this one after it."
                )
        term = LeadershipRole.objects.create(
            member=member, role=role, starts_on=starts_on, ends_on=ends_on
        )
        audit_record(
            chapter=member.chapter,
            member=member,
            actor=by,
            action=Action.ROLE_ASSIGNED,
            summary=f"{label} from {starts_on:%d %b %Y}"
            f"{f' to {ends_on:%d %b %Y}' if ends_on else ''}",
            after=snapshot(term, ["role", "starts_on", "ends_on"]),
        )
    return term


def role_end(*, term: LeadershipRole, by: User) -> None:
    """End a term today (yesterday was its last day); a term not yet begun is cancelled. The
    holder may end their own term: that is resigning from the role."""
    with transaction.atomic():
        term = (
            LeadershipRole.objects.select_for_update(of=("self",))
            .select_related("member__chapter", "member__user")
            .filter(pk=term.pk)
            .first()
        )
        if term is None:
            raise NothingToDo("This term was already cancelled.")
        today = term.member.chapter.today()
        if term.ends_on is not None and term.ends_on < today:
            raise NothingToDo(f"This {term.get_role_display()} term has already ended.")
        _role_term_close(term, by=by, today=today, why="")


# --- Renewal reminders ----------------------------------------------------------------------


def reminder_threshold(days_left: int) -> int | None:
    """The reminder due when this many days are left: the nearest of 60, 30 and 7 not passed."""
    due = [days for days in RENEWAL_REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


def renewal_reminders_dispatch(*, now: datetime.datetime | None = None) -> int:
    """Record the reminders now due and announce them (the notifications app owes each one
    email in its outbox). Returns how many emails were owed anew.

    A member first seen with 20 days left gets the 30-day reminder, then the 7-day one: each
    (member, threshold, due date) has one row, and each row one email, so each goes out once.
    """
    now = now or timezone.now()
    horizon = max(RENEWAL_REMINDER_DAYS)
    owed = 0
    for zone, today in _zones_today(now):
        with transaction.atomic():
            due = Member.objects.filter(
                chapter__time_zone=zone,
                status__in=Status.current_values(),
                renewal_due_on__gte=today,
                renewal_due_on__lte=today + datetime.timedelta(days=horizon),
            ).values_list("pk", "renewal_due_on")
            rows = [
                RenewalReminder(
                    member_id=member_id,
                    days_before=reminder_threshold((due_on - today).days),
                    due_on=due_on,
                )
                for member_id, due_on in due
            ]
            RenewalReminder.objects.bulk_create(rows, ignore_conflicts=True)
            reminders = RenewalReminder.objects.filter(
                sent_at__isnull=True,  # sent before the outbox sent them
                member__chapter__time_zone=zone,
                member__renewal_due_on=F("due_on"),
                member__status__in=Status.current_values(),
                due_on__gte=today,
            )
            responses = renewal_reminders_due.send(sender=RenewalReminder, reminders=reminders)
            owed += sum(response or 0 for _, response in responses)
    return owed
