"""The membership emails' builders for the outbox (members/notifications.py): invitations,
welcome emails of imported members and renewal reminders."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.urls import reverse

from members.membership import chapter_today
from members.models import Delivery, Invitation, Member, NotificationKind, RenewalReminder
from members.notifications import Letter, Skip, builds, site_url


@builds(NotificationKind.INVITATION)
def invitation_letter(delivery: Delivery) -> Letter:
    invitation = (
        Invitation.objects.select_related("chapter", "invited_by", "classification")
        .filter(pk=delivery.ref)
        .first()
    )
    if invitation is None or not invitation.is_usable:
        raise Skip("The invitation was accepted, revoked or expired since.")
    return Letter(
        subject=f"You're invited to join {invitation.chapter} on Chapterhouse",
        template="members/email/invitation",
        context={"invitation": invitation,
                 "url": site_url("invitation_accept", invitation.token)},
        to=invitation.email,
        chapter=invitation.chapter,
    )


@builds(NotificationKind.WELCOME)
def welcome_letter(delivery: Delivery) -> Letter:
    """Tell an imported member they were added; a new account gets a link to set a password."""
    member = (
        Member.objects.select_related("user", "chapter", "classification")
        .filter(pk=delivery.ref, status__in=Member.Status.current_values())
        .first()
    )
    if member is None or not member.user.is_active:
        raise Skip("No longer on the roster.")
    user = member.user
    context = {"set_password_url": "", "login_url": site_url("account_login")}
    if not user.has_usable_password():
        key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
        path = reverse(
            "account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"}
        ).replace("UID-KEY", key)
        context["set_password_url"] = settings.SITE_URL + path
        context["reset_url"] = site_url("account_reset_password")
    return Letter(
        subject=f"You're on the {member.chapter} roster on Chapterhouse",
        template="membership/email/welcome",
        context=context,
        to=user.email,
        chapter=member.chapter,
    )


@builds(NotificationKind.RENEWAL)
def renewal_reminder_letter(delivery: Delivery) -> Letter:
    reminder = RenewalReminder.objects.select_related(
        "member__user", "member__chapter", "member__classification"
    ).filter(pk=delivery.ref).first()
    if reminder is None:
        raise Skip("The reminder no longer applies.")
    member = reminder.member
    if (
        member.renewal_due_on != reminder.due_on
        or member.status not in Member.Status.current_values()
        or not member.user.is_active
    ):
        raise Skip("Renewed or gone since: the reminder no longer applies.")
    return Letter(
        subject=f"Your {member.chapter} membership renews on {reminder.due_on:%d %B %Y}",
        template="membership/email/renewal_reminder",
        context={"reminder": reminder,
                 "days_left": (reminder.due_on - chapter_today(member.chapter)).days,
                 "url": site_url("chapter_home", member.chapter.slug)},
        to=member.user.email,
        chapter=member.chapter,
    )
