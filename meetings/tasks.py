from celery import shared_task

from meetings import services
from meetings.models import Meeting


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def meetings_keep_schedule() -> int:
    """Keep every chapter's next eight weeks of meetings in place (idempotent)."""
    return services.meetings_schedule_all()


@shared_task(time_limit=300, soft_time_limit=240)
def absence_notice_send(meeting_id: int) -> int:
    """Owe a completed week's absence notices (a message queued before they were owed in the
    report's own transaction); the outbox sends each once, however often this runs."""
    meeting = Meeting.objects.select_related("chapter").filter(pk=meeting_id).first()
    return services.absence_notices_owe(meeting=meeting) if meeting else 0
