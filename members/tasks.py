from celery import shared_task

from members import emails


@shared_task(time_limit=60, soft_time_limit=50)
def invitation_send(invitation_id: int) -> None:
    emails.invitation_email_send(invitation_id=invitation_id)
