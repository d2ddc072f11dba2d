"""Operations on memberships: invitations and joining a chapter."""

import datetime

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone

from chapters.models import Chapter, Classification
from members.audit import audit_record, snapshot
from members.models import Application, AuditEntry, Invitation, Member, User
from members.signals import invitation_created

INVITATION_DAYS = 14


class MembershipError(Exception):
    """A membership rule refused the change; the message is for the person who asked."""


def classification_holder(*, chapter: Chapter, classification: Classification) -> Member | None:
    return (
        Member.objects.current()
        .filter(chapter=chapter, classification=classification)
        .select_related("user")
        .first()
    )


def refuse_a_current_member(*, chapter: Chapter, email: str) -> None:
    """Nobody is invited or applies to a chapter they are a member of already."""
    if Member.objects.filter(
        chapter=chapter, user__email__iexact=email, status__in=Member.Status.current_values()
    ).exists():
        raise MembershipError(f"{email} is already a member of {chapter}.")


def invitation_create(
    *,
    chapter: Chapter,
    email: str,
    first_name: str,
    last_name: str,
    classification: Classification,
    business_name: str,
    invited_by: User,
    valid_days: int = INVITATION_DAYS,
) -> Invitation:
    """Invite someone to join the chapter; the email goes out after the transaction commits.

    An approved application keeps its classification for its applicant (members/membership.py),
    so nobody else is invited into it meanwhile.
    """
    email = email.strip().lower()
    holder = classification_holder(chapter=chapter, classification=classification)
    if holder is not None:
        raise MembershipError(
            f"{classification} is already taken in {chapter} by {holder.full_name}."
        )
    reserved = (
        Application.objects.filter(
            chapter=chapter, classification=classification, status=Application.Status.APPROVED
        )
        .exclude(email__iexact=email)
        .first()
    )
    if reserved is not None:
        raise MembershipError(
            f"{classification} is kept in {chapter} for {reserved.full_name}, whose "
            "application was approved."
        )
    refuse_a_current_member(chapter=chapter, email=email)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                chapter=chapter,
                email=email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                classification=classification,
                business_name=business_name.strip(),
                invited_by=invited_by,
                expires_at=timezone.now() + datetime.timedelta(days=valid_days),
            )
            invitation_created.send(sender=Invitation, invitation=invitation)
    except IntegrityError:
        raise MembershipError(f"{email} already has an open invitation to {chapter}.") from None
    return invitation


def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def application_joined(*, invitation: Invitation, member: Member) -> None:
    """An approved applicant accepted their invitation (called by `invitation_accept`)."""
    application = (
        Application.objects.select_for_update()
        .filter(invitation=invitation, status=Application.Status.APPROVED)
        .first()
    )
    if application is not None:
        application.status = Application.Status.JOINED
        application.member = member
        application.save(update_fields=["status", "member"])
        if application.sponsor_id and member.sponsor_id is None:
            member.sponsor_id = application.sponsor_id
            member.save(update_fields=["sponsor"])
    audit_record(
        chapter=member.chapter,
        member=member,
        application=application,
        actor=member.user,
        action=AuditEntry.Action.JOINED,
        summary=f"Joined as {member.classification}",
        after=snapshot(member, ["status", "classification", "joined_on", "renewal_due_on"]),
    )


def invitation_accept(*, invitation: Invitation, user: User | None, password: str = "") -> Member:
    """Turn an invitation into an active membership (and an account, for a new person).

    The classification rule is checked again here: the database constraint has the last word.
    """
    with transaction.atomic():
        # The chapter row first, as every change that fills a classification does.
        Chapter.objects.select_for_update().filter(pk=invitation.chapter_id).first()
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_usable:
            raise MembershipError("This invitation has expired or was already used.")
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise MembershipError("An account with this email exists: sign in to accept.")
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                first_name=invitation.first_name,
                last_name=invitation.last_name,
            )
        elif user.email.lower() != invitation.email.lower():
            raise MembershipError(f"This invitation is for {invitation.email}.")
        # The link reached this address, so the address is verified.
        EmailAddress.objects.update_or_create(
            user=user,
            email=invitation.email,
            defaults={"verified": True, "primary": not user.emailaddress_set.exists()},
        )
        today = invitation.chapter.today()
        try:
            with transaction.atomic():
                member = Member.objects.create(
                    user=user,
                    chapter=invitation.chapter,
                    classification=invitation.classification,
                    business_name=invitation.business_name,
                    status=Member.Status.ACTIVE,
                    joined_on=today,
                    renewal_due_on=today.replace(year=today.year + 1)
                    if not (today.month == 2 and today.day == 29)
                    else today + datetime.timedelta(days=365),
                )
        except IntegrityError:
            raise MembershipError(
                f"{invitation.classification} has been taken in {invitation.chapter} since you "
                "were invited. Please contact the chapter's leadership team."
            ) from None
        invitation.accepted_at = timezone.now()
        invitation.member = member
        invitation.save(update_fields=["accepted_at", "member"])
        application_joined(invitation=invitation, member=member)
    return member
