from celery import shared_task
from django.conf import settings

from members import emails, notifications


@shared_task(time_limit=60, soft_time_limit=50)
def invitation_send(invitation_id: int) -> None:
    emails.invitation_email_send(invitation_id=invitation_id)


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
    for reminder_id in reminders:
        renewal_reminder_send.delay_on_commit(reminder_id)
    return {"lapsed": lapsed, "leaves_begun": begun, "leaves_ended": ended,
            "expired": expired, "reminders": len(reminders)}


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def renewal_reminder_send(reminder_id: int) -> bool:
    """Send one renewal reminder if it is still unsent (claimed first: at most once)."""
    from members import membership

    return membership.renewal_reminder_send(reminder_id=reminder_id)


@shared_task(time_limit=900, soft_time_limit=840)
def roster_import_run(batch_id: int) -> bool:
    """Import a confirmed roster file (rows are idempotent; a second run finds it claimed)."""
    from members import roster_import

    return roster_import.roster_import_execute(batch_id=batch_id)


@shared_task(time_limit=60, soft_time_limit=50)
def roster_welcome_send(member_id: int) -> bool:
    """Tell an imported member they are on the roster (a new account: how to set a password)."""
    from members import roster_import

    return roster_import.welcome_email_send(member_id=member_id)
