"""The chapter's absence notice, by email: its builder for the outbox (members/notifications.py)."""

from meetings.models import AbsenceNotice
from members.models import Delivery, NotificationKind
from members.notifications import Letter, Skip, builds, site_url


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
