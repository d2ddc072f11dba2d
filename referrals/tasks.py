from celery import shared_task

from members import notifications
from members.models import NotificationKind
from referrals.models import GiverNotice


@shared_task(time_limit=60, soft_time_limit=50)
def giver_notice_send(notice_id: int) -> None:
    """Owe a giver notice to the outbox (a message queued before notices were owed in the
    change's own transaction); the outbox sends it once, however often this runs."""
    notice = GiverNotice.objects.select_related("member").filter(pk=notice_id).first()
    if notice is not None:
        notifications.enqueue(kind=NotificationKind.REFERRAL_NEWS, ref=notice.pk,
                              chapter_id=notice.member.chapter_id, member_id=notice.member_id)
