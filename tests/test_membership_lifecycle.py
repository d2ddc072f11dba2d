"""The membership lifecycle: renew, expire, leave of absence, suspend, drop, reinstate,
transfer, renewal reminders and roles; each change checks the classification rule and is
written to the audit trail."""

import datetime

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from members import invitations, membership
from members.models import (
    AuditEntry,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    MembershipTransfer,
    RenewalReminder,
    Role,
)
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationKind
from tests import factories

Status = Member.Status


def today():
    return timezone.localdate()


def days(number):
    return datetime.timedelta(days=number)


# --- Renewal ----------------------------------------------------------------------------------


def test_renew_adds_a_year_from_the_due_date_and_a_double_click_renews_once(
    client_for, chapter, president, member
):
    due = member.renewal_due_on
    url = reverse("membership_renew", args=[chapter.slug, member.pk])
    client = client_for(president)
    first = client.post(url, {"expected_due_on": due.isoformat()})
    second = client.post(url, {"expected_due_on": due.isoformat()})
    assert first.status_code == second.status_code == 302
    member.refresh_from_db()
    assert member.renewal_due_on == membership.add_year(due)
    entries = AuditEntry.objects.filter(member=member, action=AuditEntry.Action.RENEWED)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor == president.user
    assert entry.before == {"renewal_due_on": due.isoformat()}
    assert entry.after == {"renewal_due_on": member.renewal_due_on.isoformat()}


def test_an_expired_member_must_be_reinstated_not_renewed(chapter, president):
    expired = factories.member(chapter, status=Status.EXPIRED)
    with pytest.raises(invitations.MembershipError, match="reinstate"):
        membership.membership_renew(member=expired, by=president.user)


def test_memberships_past_renewal_expire_once_and_lose_their_roles(chapter, president):
    lapsing = factories.member(chapter, roles=(Role.VISITOR_HOST,))
    Member.objects.filter(pk=lapsing.pk).update(renewal_due_on=today() - days(1))
    assert membership.memberships_expire() == 1
    assert membership.memberships_expire() == 0
    lapsing.refresh_from_db()
    assert lapsing.status == Status.EXPIRED
    assert not LeadershipRole.objects.current(chapter.today()).filter(member=lapsing).exists()
    entry = AuditEntry.objects.get(member=lapsing, action=AuditEntry.Action.EXPIRED)
    assert entry.actor is None
    assert entry.after == {"status": "expired"}


# --- Renewal reminders ------------------------------------------------------------------------


def _dispatch(now=None):
    """Beat's tick, its outbox rows sent once it commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        membership.renewal_reminders_dispatch(now=now)


def _renewal_emails():
    return Delivery.objects.filter(kind=NotificationKind.RENEWAL)


@pytest.mark.parametrize(("days_left", "threshold"), [(60, 60), (45, 60), (30, 30), (8, 30),
                                                      (7, 7), (0, 7)])
def test_the_nearest_reminder_threshold(days_left, threshold):
    assert membership.reminder_threshold(days_left) == threshold


def test_renewal_reminders_go_out_60_30_and_7_days_before_each_once(chapter, member):
    due = today() + days(61)
    Member.objects.filter(pk=member.pk).update(renewal_due_on=due)
    now = timezone.now()
    _dispatch(now)
    assert mail.outbox == []
    for day in (60, 59, 30, 29, 7, 3, 0):
        moment = now + days(61 - day)
        _dispatch(moment)
        _dispatch(moment)  # a double beat tick
    sent = RenewalReminder.objects.filter(
        member=member, pk__in=_renewal_emails().filter(state=Delivery.State.SENT).values("ref"))
    assert sorted(sent.values_list("days_before", flat=True)) == [7, 30, 60]
    assert len(mail.outbox) == 3
    assert all(message.to == [member.user.email] for message in mail.outbox)
    assert "renews on" in mail.outbox[0].subject


def test_a_renewed_member_gets_no_stale_reminder(chapter, president, member):
    due = today() + days(20)
    Member.objects.filter(pk=member.pk).update(renewal_due_on=due)
    assert membership.renewal_reminders_dispatch() == 1  # owed, not sent yet
    membership.membership_renew(member=member, by=president.user)
    (email,) = _renewal_emails()
    assert notifications.delivery_send(delivery_id=email.pk) == Delivery.State.SKIPPED
    assert mail.outbox == []


def test_a_claimed_reminder_is_not_sent_twice(chapter, member):
    Member.objects.filter(pk=member.pk).update(renewal_due_on=today() + days(7))
    assert membership.renewal_reminders_dispatch() == 1
    assert membership.renewal_reminders_dispatch() == 0  # a double beat tick
    (email,) = _renewal_emails()
    assert notifications.delivery_send(delivery_id=email.pk) == Delivery.State.SENT
    assert notifications.delivery_send(delivery_id=email.pk) == ""
    assert len(mail.outbox) == 1


def test_the_beat_schedule_runs_the_membership_dispatcher():
    from config.celery import app

    entry = app.conf.beat_schedule["membership-dispatch"]
    assert entry["task"] == "members.tasks.membership_dispatch"


# --- Leave of absence -------------------------------------------------------------------------


def test_leave_starting_today_keeps_the_classification_and_ends_on_its_date(
    client_for, chapter, president, member
):
    url = reverse("membership_leave", args=[chapter.slug, member.pk])
    response = client_for(president).post(url, {
        "starts_on": today().isoformat(), "ends_on": (today() + days(14)).isoformat(),
        "reason": "Medical",
    })
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Status.ON_LEAVE
    assert member.holds_classification
    again = client_for(president).post(url, {
        "starts_on": today().isoformat(), "ends_on": (today() + days(14)).isoformat(),
    })
    assert again.status_code == 302
    assert LeaveOfAbsence.objects.filter(member=member).count() == 1
    assert membership.leaves_sweep() == (0, 0)
    later = timezone.now() + days(14)
    assert membership.leaves_sweep(now=later) == (0, 1)
    assert membership.leaves_sweep(now=later) == (0, 0)
    member.refresh_from_db()
    assert member.status == Status.ACTIVE
    actions = list(AuditEntry.objects.filter(member=member).values_list("action", flat=True))
    assert actions == [AuditEntry.Action.LEAVE_ENDED, AuditEntry.Action.LEAVE_STARTED]


def test_leave_arranged_for_later_begins_on_its_first_day(chapter, president, member):
    leave = membership.leave_start(
        member=member, by=president.user, starts_on=today() + days(3), ends_on=today() + days(10)
    )
    member.refresh_from_db()
    assert member.status == Status.ACTIVE
    assert membership.leaves_sweep(now=timezone.now() + days(3)) == (1, 0)
    member.refresh_from_db()
    assert member.status == Status.ON_LEAVE
    leave.refresh_from_db()
    assert leave.state == "current"


def test_back_from_leave_by_hand(client_for, chapter, president, member):
    membership.leave_start(member=member, by=president.user, starts_on=today(),
                           ends_on=today() + days(30))
    response = client_for(president).post(
        reverse("membership_leave_end", args=[chapter.slug, member.pk])
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == Status.ACTIVE
    assert LeaveOfAbsence.objects.get(member=member).ended_at is not None


def test_a_leave_ending_before_it_starts_is_refused_next_to_the_field(
    client_for, chapter, president, member
):
    response = client_for(president).post(
        reverse("membership_leave", args=[chapter.slug, member.pk]),
        {"starts_on": today().isoformat(), "ends_on": (today() - days(1)).isoformat(),
         "reason": "Knee"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "The leave must end after it starts." in content
    assert 'value="Knee"' in content


# --- Suspend, drop, reinstate -----------------------------------------------------------------


def test_suspend_frees_the_classification_and_reinstate_checks_it(chapter, president):
    suspended = factories.member(chapter, classification_name="Plumbing")
    membership.membership_suspend(member=suspended, by=president.user, reason="Dues")
    suspended.refresh_from_db()
    assert suspended.status == Status.SUSPENDED
    newcomer = factories.member(chapter, classification_name="Plumbing",
                                first_name="Nina", last_name="New")
    with pytest.raises(invitations.MembershipError,
                       match="Plumbing is already taken in Riverside Business Builders by "
                             "Nina New"):
        membership.membership_reinstate(member=suspended, by=president.user)
    membership.membership_drop(member=newcomer, by=president.user, reason="Left")
    membership.membership_reinstate(member=suspended, by=president.user)
    suspended.refresh_from_db()
    assert suspended.status == Status.ACTIVE


def test_drop_needs_a_reason_ends_roles_and_keeps_the_row(client_for, chapter, president):
    leaving = factories.member(chapter, roles=(Role.VISITOR_HOST,))
    url = reverse("membership_drop", args=[chapter.slug, leaving.pk])
    empty = client_for(president).post(url, {"drop-reason": ""})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()
    response = client_for(president).post(url, {"drop-reason": "Moved away"})
    assert response.status_code == 302
    leaving.refresh_from_db()
    assert leaving.status == Status.DROPPED
    assert not LeadershipRole.objects.current(chapter.today()).filter(member=leaving).exists()
    entry = AuditEntry.objects.get(member=leaving, action=AuditEntry.Action.DROPPED)
    assert entry.before == {"status": "active"}
    assert entry.after == {"status": "dropped", "reason": "Moved away"}


def test_reinstating_an_expired_member_gives_a_new_renewal_date(chapter, president):
    expired = factories.member(chapter, status=Status.EXPIRED)
    Member.objects.filter(pk=expired.pk).update(renewal_due_on=today() - days(40))
    membership.membership_reinstate(member=expired, by=president.user)
    expired.refresh_from_db()
    assert expired.status == Status.ACTIVE
    assert expired.renewal_due_on == membership.add_year(today())


# --- Transfer ---------------------------------------------------------------------------------


def test_transfer_closes_the_old_membership_and_opens_one_there(
    client_for, chapter, other_chapter, admin_user
):
    moving = factories.member(chapter, classification_name="Florist", roles=(Role.VISITOR_HOST,))
    response = client_for(admin_user).post(
        reverse("membership_transfer", args=[chapter.slug, moving.pk]),
        {"to_chapter": other_chapter.pk},
    )
    assert response.status_code == 302
    moving.refresh_from_db()
    assert moving.status == Status.DROPPED
    moved = Member.objects.get(chapter=other_chapter, user=moving.user)
    assert moved.status == Status.ACTIVE
    assert moved.classification == moving.classification
    assert MembershipTransfer.objects.get(from_member=moving).to_member == moved
    assert AuditEntry.objects.filter(
        chapter=chapter, member=moving, action=AuditEntry.Action.TRANSFERRED_OUT
    ).exists()
    assert AuditEntry.objects.filter(
        chapter=other_chapter, member=moved, action=AuditEntry.Action.TRANSFERRED_IN
    ).exists()
    with pytest.raises(invitations.MembershipError, match="transfer them back"):
        membership.membership_reinstate(member=moving, by=admin_user)


def test_transfer_into_a_taken_classification_is_refused(chapter, other_chapter, admin_user):
    moving = factories.member(chapter, classification_name="Florist")
    factories.member(other_chapter, classification_name="Florist", first_name="Fay",
                     last_name="Flowers")
    with pytest.raises(invitations.MembershipError, match="Florist is already taken in Hilltop"):
        membership.membership_transfer(member=moving, to_chapter=other_chapter, by=admin_user)
    moving.refresh_from_db()
    assert moving.status == Status.ACTIVE


# --- Roles ------------------------------------------------------------------------------------


def test_assigning_a_role_shows_it_and_grants_its_permissions(
    client_for, chapter, president, member
):
    client = client_for(member)
    assert client.get(reverse("application_list", args=[chapter.slug])).status_code == 403
    response = client_for(president).post(reverse("role_list", args=[chapter.slug]), {
        "member": member.pk, "role": Role.MEMBERSHIP_COMMITTEE,
        "starts_on": today().isoformat(), "ends_on": (today() + days(180)).isoformat(),
    })
    assert response.status_code == 302
    assert client_for(member).get(
        reverse("application_list", args=[chapter.slug])
    ).status_code == 200
    assert AuditEntry.objects.filter(member=member, action=AuditEntry.Action.ROLE_ASSIGNED)


def test_one_president_at_a_time(client_for, chapter, president, member):
    response = client_for(president).post(reverse("role_list", args=[chapter.slug]), {
        "member": member.pk, "role": Role.PRESIDENT, "starts_on": today().isoformat(),
    })
    assert response.status_code == 400
    assert f"{president.full_name} is President" in response.content.decode()


def test_ending_a_term_takes_the_permissions_away(client_for, chapter, president, vice_president):
    term = LeadershipRole.objects.get(member=vice_president)
    response = client_for(president).post(reverse("role_end", args=[chapter.slug, term.pk]))
    assert response.status_code == 302
    assert client_for(vice_president).get(
        reverse("membership_list", args=[chapter.slug])
    ).status_code == 403
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ROLE_ENDED).count() == 1


def test_role_list_query_count_does_not_grow(client_for, chapter, president):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(president)
    url = reverse("role_list", args=[chapter.slug])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        factories.member(chapter, roles=(Role.MEMBERSHIP_COMMITTEE, Role.MENTOR_COORDINATOR))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_membership_list_query_count_does_not_grow(client_for, chapter, president):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(president)
    url = reverse("membership_list", args=[chapter.slug])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        factories.member(chapter, roles=(Role.MENTOR_COORDINATOR,))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url + "?show=all")
    assert response.status_code == 200
    assert len(many) == len(few)


def test_member_detail_query_count_does_not_grow(client_for, chapter, president, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(president)
    url = reverse("membership_detail", args=[chapter.slug, member.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        membership.membership_renew(member=member, by=president.user)
    membership.role_assign(member=member, role=Role.MENTOR_COORDINATOR, starts_on=today(),
                           ends_on=None, by=president.user)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
