"""Emails to givers: their referral moved along, or they were thanked for closed business. The
outbox (members/notifications.py) sends them; this is their builder."""

from members.models import Delivery, NotificationKind
from members.notifications import Letter, Skip, builds, site_url
from referrals.models import GiverNotice, Referral


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
