from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from members.models import Invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    invitation = (
        Invitation.objects.select_related("chapter", "invited_by", "classification")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_usable:
        return False
    context = {
        "invitation": invitation,
        "url": settings.SITE_URL + reverse("invitation_accept", args=[invitation.token]),
    }
    message = EmailMultiAlternatives(
        subject=f"You're invited to join {invitation.chapter} on Chapterhouse",
        body=render_to_string("members/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("members/email/invitation.html", context), "text/html"
    )
    message.send()
    return True
