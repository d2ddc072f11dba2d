"""What each kind of email other than a meeting's says, made from its outbox row: absence
notices, referral news (giver notices), invitations, welcome emails of imported members and
renewal reminders. Registered with the outbox (notifications/outbox.py) by kind."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.urls import reverse

from meetings.models import AbsenceNotice
from members.models import Invitation, Member, RenewalReminder
from notifications.models import Delivery, NotificationKind
from notifications.outbox import Letter, Skip, builds, site_url, when_sent
from referrals.models import GiverNotice, Referral


@builds(NotificationKind.ABSENCE)
def absence_notice_letter(delivery: Delivery) -> Letter:
    notice = (AbsenceNotice.objects.select_related("member__user", "meeting__chapter")
              .filter(pk=delivery.ref).first())
    if notice is None:
        raise Skip("The absence notice was removed.")
    chapter = notice.meeting.chapter
    return Letter(
        subject=f"{chapter}: your attendance",
        template="meetings/email/absence_notice",
        context={"notice": notice, "meeting": notice.meeting,
                 "url": site_url("chapter_home", chapter.slug)},
        to=notice.member.user.email,
        chapter=chapter,
    )


@builds(NotificationKind.REFERRAL_NEWS)
def giver_notice_letter(delivery: Delivery) -> Letter:
    notice = GiverNotice.objects.select_related(
        "member__user",
        "member__chapter",
        "referral__receiver__user",
        "referral__receiver__chapter",
        "referral__receiver__classification",
        "thank_you__thanked_by__user",
        "thank_you__thanked_by__chapter",
        "thank_you__meeting__chapter",
        "thank_you__referral",
    ).filter(pk=delivery.ref).first()
    if notice is None:
        raise Skip("What the email announced was removed.")
    build = _status_email if notice.kind == GiverNotice.Kind.STATUS else _thanks_email
    return build(notice)


def _message(*, notice: GiverNotice, subject: str, template: str, context: dict) -> Letter:
    return Letter(subject=subject, template=f"referrals/email/{template}", context=context,
                  to=notice.member.user.email, chapter=notice.member.chapter)


def _status_email(notice: GiverNotice):
    referral = notice.referral
    thank_you = None
    if notice.status == Referral.Status.CLOSED_WON:
        thank_you = (
            referral.thank_yous.select_related("meeting__chapter").order_by("created_at").first()
        )
    label = Referral.Status(notice.status).label
    prospect = referral.prospect_name or "your own business"
    return _message(
        notice=notice,
        subject=f"Your referral to {referral.receiver.full_name}: {label}",
        template="referral_status",
        context={
            "referral": referral,
            "status": notice.status,
            "status_label": label,
            "prospect": prospect,
            "thank_you": thank_you,
            "currency": thank_you.meeting.chapter.currency if thank_you else "",
            "url": site_url("referral_detail", notice.member.chapter.slug, referral.pk),
        },
    )


def _thanks_email(notice: GiverNotice):
    thank_you = notice.thank_you
    names = thank_you.names_thanker
    thanker = thank_you.thanked_by
    subject = (
        f"{thanker.full_name} thanked you for closed business"
        if names
        else "You were thanked for closed business"
    )
    return _message(
        notice=notice,
        subject=subject,
        template="thank_you",
        context={
            "thank_you": thank_you,
            "names_thanker": names,
            "thanker": thanker if names else None,
            "currency": thank_you.meeting.chapter.currency,
            "url": site_url("thank_you_list", notice.member.chapter.slug),
        },
    )


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
                 "days_left": (reminder.due_on - member.chapter.today()).days,
                 "url": site_url("chapter_home", member.chapter.slug)},
        to=member.user.email,
        chapter=member.chapter,
    )


# --- Recorded on what an email announces once it was sent --------------------------------------


@when_sent(NotificationKind.ABSENCE)
def _absence_notice_sent(ref: int, at) -> None:
    AbsenceNotice.objects.filter(pk=ref, sent_at__isnull=True).update(sent_at=at)


@when_sent(NotificationKind.REFERRAL_NEWS)
def _giver_notice_sent(ref: int, at) -> None:
    GiverNotice.objects.filter(pk=ref, sent_at__isnull=True).update(sent_at=at)


@when_sent(NotificationKind.RENEWAL)
def _renewal_reminder_sent(ref: int, at) -> None:
    RenewalReminder.objects.filter(pk=ref, sent_at__isnull=True).update(sent_at=at)
