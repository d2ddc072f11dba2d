from celery import shared_task

# Membership management (members/membership.py, members/roster_import.py). The emails' tasks
# are the notifications app's (notifications/tasks.py).


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


@shared_task(time_limit=900, soft_time_limit=840)
def roster_import_run(batch_id: int) -> bool:
    """Import a confirmed roster file (rows are idempotent; a second run finds it claimed)."""
    from members import roster_import

    return roster_import.roster_import_execute(batch_id=batch_id)
