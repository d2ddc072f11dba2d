from celery import shared_task

from meetings import services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def meetings_keep_schedule() -> int:
    """Keep every chapter's next eight weeks of meetings in place (idempotent)."""
    return services.meetings_schedule_all()

