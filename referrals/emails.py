"""Emails to givers: their referral moved along, or they were thanked for closed business."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from referrals.models import GiverNotice, Referral


def _claim(notice_id: int) -> bool:
    """Take the notice for sending; False when another run already took it."""
    return bool(
        GiverNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
    )


def giver_notice_send(*, notice_id: int) -> bool:
    """Send one giver notice; safe to run twice (the second run finds it claimed)."""
    if not _claim(notice_id):
        return False
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
    ).get(pk=notice_id)
    try:
        build = _status_email if notice.kind == GiverNotice.Kind.STATUS else _thanks_email
        build(notice).send()
    except Exception:
        # Release the claim so a retry can send it.
        GiverNotice.objects.filter(pk=notice_id).update(sent_at=None)
        raise
    return True


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _message(*, notice: GiverNotice, subject: str, template: str, context: dict):
    context = {"member": notice.member, "chapter": notice.member.chapter, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"referrals/email/{template}.txt", context),
        to=[notice.member.user.email],
    )
    message.attach_alternative(
        render_to_string(f"referrals/email/{template}.html", context), "text/html"
    )
    return message


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
            "url": _url("referral_detail", notice.member.chapter.slug, referral.pk),
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
            "url": _url("thank_you_list", notice.member.chapter.slug),
        },
    )
