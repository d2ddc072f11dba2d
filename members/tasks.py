from celery import shared_task
from django.conf import settings

from members import notifications
from members.models import Invitation, Member, NotificationKind, RenewalReminder

# Tasks of emails now owed to the outbox in their action's own transaction (invitations,
# welcome emails, renewal reminders): kept, under their names, for the messages queued before
# that; each owes its email to the outbox, which sends it once however often this runs.


@shared_task(time_limit=60, soft_time_limit=50)
def invitation_send(invitation_id: int) -> None:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is not None:
        notifications.enqueue(kind=NotificationKind.INVITATION, ref=invitation.pk,
                              chapter_id=invitation.chapter_id, to_email=invitation.email)


# The notification tasks are safe to run twice (the ledger decides), so they are acknowledged
# only once done: a worker killed mid-task leaves the message for another one. Their time
# limits stay far inside Redis's visibility timeout, so a running task is never handed out
# again; a message of a killed worker comes back only after that timeout, and by then the
# dispatcher's sweep has already sent its email, so it finds nothing to do.


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def notifications_dispatch() -> dict:
    """Beat's tick: hand out due reminders and tallies, and sweep up lost sends."""
    return vars(notifications.dispatch())


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def tallies_dispatch(meeting_id: int) -> int:
    """Hand out one meeting's tallies now (its weekly report was just completed)."""
    return notifications.tallies_dispatch_for_meeting(meeting_id)


# A send task's limits: its claims are taken back at twice the hard one (claim_timeout).
SEND_LIMITS = {
    "time_limit": settings.NOTIFICATIONS_SEND_TIME_LIMIT,
    "soft_time_limit": max(settings.NOTIFICATIONS_SEND_TIME_LIMIT - 10,
                           settings.NOTIFICATIONS_SEND_TIME_LIMIT * 3 // 4),
}


@shared_task(bind=True, acks_late=True, max_retries=None, **SEND_LIMITS)
def notification_send(self, delivery_id: int) -> str:
    """Send one ledger row's email if it is still ours to send."""
    try:
        return notifications.delivery_send(delivery_id=delivery_id)
    except notifications.Deferred as deferred:
        # The row says when; this retry is only the prompt way back (the sweep is the sure one).
        raise self.retry(countdown=deferred.countdown, exc=deferred) from None


@shared_task(acks_late=True, **SEND_LIMITS)
def notifications_send(delivery_ids: list[int]) -> int:
    """Send a chunk of ledger rows over one connection; what the time budget did not reach
    goes back on the queue. Each row is claimed on its own, so running twice sends nothing
    twice. Returns how many rows were handed on."""
    rest = notifications.deliveries_send(
        delivery_ids=delivery_ids, budget=settings.NOTIFICATIONS_SEND_TIME_LIMIT / 4
    )
    if rest:
        notifications_send.delay(rest)
    return len(rest)


# Membership management (members/membership.py, members/roster_import.py).


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def membership_dispatch() -> dict:
    """Beat's hourly tick: lapse approvals not taken up, begin and end leaves, expire
    memberships past renewal and hand out renewal reminders. Safe to run twice."""
    from members import membership

    lapsed = membership.applications_lapse()
    begun, ended = membership.leaves_sweep()
    expired = membership.memberships_expire()
    reminders = membership.renewal_reminders_dispatch()
    return {"lapsed": lapsed, "leaves_begun": begun, "leaves_ended": ended,
            "expired": expired, "reminders": reminders}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def renewal_reminder_send(reminder_id: int) -> None:
    reminder = RenewalReminder.objects.select_related("member").filter(pk=reminder_id).first()
    if reminder is not None and reminder.sent_at is None:
        notifications.enqueue(kind=NotificationKind.RENEWAL, ref=reminder.pk,
                              chapter_id=reminder.member.chapter_id,
                              member_id=reminder.member_id)


@shared_task(time_limit=900, soft_time_limit=840)
def roster_import_run(batch_id: int) -> bool:
    """Import a confirmed roster file (rows are idempotent; a second run finds it claimed)."""
    from members import roster_import

    return roster_import.roster_import_execute(batch_id=batch_id)


@shared_task(time_limit=60, soft_time_limit=50)
def roster_welcome_send(member_id: int) -> None:
    member = Member.objects.filter(pk=member_id).first()
    if member is not None:
        notifications.enqueue(kind=NotificationKind.WELCOME, ref=member.pk,
                              chapter_id=member.chapter_id, member_id=member.pk)
