"""The chapter's absence notice, by email."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from meetings.models import AbsenceNotice


def absence_notice_email_send(*, notice: AbsenceNotice) -> None:
    chapter = notice.meeting.chapter
    context = {
        "notice": notice,
        "member": notice.member,
        "chapter": chapter,
        "meeting": notice.meeting,
        "url": settings.SITE_URL + reverse("chapter_home", args=[chapter.slug]),
    }
    EmailMessage(
        subject=f"{chapter}: your attendance",
        body=render_to_string("meetings/email/absence_notice.txt", context),
        to=[notice.member.user.email],
    ).send()
