"""The emails the lower apps' events owe, written to the outbox in the event's own transaction
(the apps below announce with signals; they do not import this app)."""

from django.dispatch import receiver

from meetings.models import AbsenceNotice
from meetings.signals import report_completed
from members.membership import person_anonymised
from members.signals import invitation_created, member_imported, renewal_reminders_due
from notifications import outbox
from notifications.models import Delivery, NotificationKind
from referrals.signals import giver_notice_created


@receiver(report_completed)
def report_completed_emails(sender, meeting, send_absence_notices: bool, **kwargs) -> None:
    """The week's tallies and summary (or corrections of provisional ones) and, if the leader
    asked, the absence notices recorded with the completion."""
    outbox.tallies_dispatch_for_meeting(meeting.pk)
    if send_absence_notices:
        absence_notice_emails(meeting)


def absence_notice_emails(meeting) -> int:
    """One outbox email per absence notice of the week (owing it twice owes nothing more)."""
    notices = AbsenceNotice.objects.filter(meeting=meeting).values_list("pk", "member_id")
    return outbox.enqueue_many(
        kind=NotificationKind.ABSENCE,
        rows=[{"ref": pk, "chapter_id": meeting.chapter_id, "member_id": member_id}
              for pk, member_id in notices],
    )


@receiver(giver_notice_created)
def giver_notice_email(sender, notice, **kwargs) -> None:
    outbox.enqueue(kind=NotificationKind.REFERRAL_NEWS, ref=notice.pk,
                   chapter_id=notice.member.chapter_id, member_id=notice.member_id)


@receiver(invitation_created)
def invitation_email(sender, invitation, **kwargs) -> None:
    outbox.enqueue(kind=NotificationKind.INVITATION, ref=invitation.pk,
                   chapter_id=invitation.chapter_id, to_email=invitation.email)


@receiver(member_imported)
def welcome_email(sender, member, **kwargs) -> None:
    outbox.enqueue(kind=NotificationKind.WELCOME, ref=member.pk, chapter_id=member.chapter_id,
                   member_id=member.pk)


@receiver(renewal_reminders_due)
def renewal_reminder_emails(sender, reminders, **kwargs) -> int:
    rows = reminders.values_list("pk", "member_id", "member__chapter_id")
    return outbox.enqueue_many(
        kind=NotificationKind.RENEWAL,
        rows=[{"ref": pk, "member_id": member_id, "chapter_id": chapter_id}
              for pk, member_id, chapter_id in rows],
    )


@receiver(person_anonymised)
def deliveries_forget_address(sender, *, user, **kwargs) -> None:
    """The email log keeps that an email went out, not to which address."""
    Delivery.objects.filter(member__user=user).update(to_email="")
