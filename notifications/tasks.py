"""The outbox's Celery tasks (defined in notifications/outbox.py, named as they were in the
members app), and the tasks of emails sent before the outbox, kept under their names for the
messages queued before a deploy: each owes its email to the outbox, which sends it once."""

from celery import shared_task

from meetings.models import Meeting
from meetings.services import absence_notices_record
from members.models import Invitation, Member, RenewalReminder
from notifications import receivers
from notifications.outbox import (  # noqa: F401 - registered with Celery where they are defined
    notification_send,
    notifications_dispatch,
    notifications_send,
    tallies_dispatch_task,
)
from referrals.models import GiverNotice


@shared_task(name="members.tasks.invitation_send", time_limit=60, soft_time_limit=50)
def invitation_send(invitation_id: int) -> None:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is not None:
        receivers.invitation_email(sender=Invitation, invitation=invitation)


@shared_task(name="members.tasks.roster_welcome_send", time_limit=60, soft_time_limit=50)
def roster_welcome_send(member_id: int) -> None:
    member = Member.objects.filter(pk=member_id).first()
    if member is not None:
        receivers.welcome_email(sender=Member, member=member)


@shared_task(name="members.tasks.renewal_reminder_send", acks_late=True, time_limit=60,
             soft_time_limit=50)
def renewal_reminder_send(reminder_id: int) -> None:
    reminders = RenewalReminder.objects.filter(pk=reminder_id, sent_at__isnull=True)
    receivers.renewal_reminder_emails(sender=RenewalReminder, reminders=reminders)


@shared_task(name="meetings.tasks.absence_notice_send", time_limit=300, soft_time_limit=240)
def absence_notice_send(meeting_id: int) -> int:
    meeting = Meeting.objects.select_related("chapter").filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    absence_notices_record(meeting=meeting)
    return receivers.absence_notice_emails(meeting) if meeting.is_completed else 0


@shared_task(name="referrals.tasks.giver_notice_send", time_limit=60, soft_time_limit=50)
def giver_notice_send(notice_id: int) -> None:
    notice = GiverNotice.objects.select_related("member").filter(pk=notice_id).first()
    if notice is not None:
        receivers.giver_notice_email(sender=GiverNotice, notice=notice)
