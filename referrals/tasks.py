from celery import shared_task

from referrals import emails


@shared_task(time_limit=60, soft_time_limit=50)
def giver_notice_send(notice_id: int) -> None:
    """Email a giver what became of their referral, or that they were thanked (at most once)."""
    emails.giver_notice_send(notice_id=notice_id)
