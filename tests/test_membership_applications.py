"""Applications: recorded, the classification conflict shown before approval, approved (which
sends the invitation) or declined with a reason, and lapsed when not taken up in time."""

import datetime
import threading
import uuid

import pytest
from django.core import mail
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from members import invitations, membership
from members.models import Application, AuditEntry, Invitation, Member, Role
from tests import factories


@pytest.fixture
def committee(chapter):
    return factories.member(chapter, roles=(Role.MEMBERSHIP_COMMITTEE,),
                            email="committee@example.test")


@pytest.fixture
def visitor_host(chapter):
    return factories.member(chapter, roles=(Role.VISITOR_HOST,), email="host@example.test")


def application(chapter, classification_name="Wedding Photography", email=None, **fields):
    created, _ = membership.application_create(
        chapter=chapter,
        by=None,
        first_name=fields.pop("first_name", "Wanda"),
        last_name=fields.pop("last_name", "Wedding"),
        email=email or f"{uuid.uuid4().hex[:8]}@example.test",
        business_name=fields.pop("business_name", "Wanda Pictures"),
        classification=factories.classification(classification_name),
        **fields,
    )
    return created


def test_visitor_host_records_an_application_and_a_double_submit_records_one(
    client_for, chapter, visitor_host, member
):
    client = client_for(visitor_host)
    data = {
        "first_name": "Wanda", "last_name": "Wedding", "email": "Wanda@Example.test",
        "phone": "+44 7700 900123", "business_name": "Wanda Pictures",
        "classification": factories.classification("Wedding Photography").pk,
        "sponsor": member.pk, "note": "Came twice", "token": str(uuid.uuid4()),
    }
    url = reverse("application_create", args=[chapter.slug])
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    created = Application.objects.get()
    assert created.email == "wanda@example.test"
    assert created.sponsor == member
    assert created.status == Application.Status.PENDING
    assert AuditEntry.objects.filter(
        application=created, action=AuditEntry.Action.APPLICATION_RECEIVED
    ).count() == 1


def test_an_empty_application_form_shows_errors_and_keeps_input(client_for, chapter, president):
    client = client_for(president)
    response = client.post(
        reverse("application_create", args=[chapter.slug]),
        {"first_name": "Wanda", "phone": "call me", "token": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="Wanda"' in content
    assert "Enter a phone number" in content
    assert "This field is required" in content


def test_conflict_is_shown_before_anyone_can_approve(client_for, chapter, committee):
    holder = factories.member(chapter, classification_name="Wedding Photography",
                              first_name="Holly", last_name="Holder")
    taken = application(chapter)
    response = client_for(committee).get(
        reverse("application_detail", args=[chapter.slug, taken.pk])
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert f"Wedding Photography is held by {holder.full_name}" in content
    assert reverse("application_approve", args=[chapter.slug, taken.pk]) not in content
    listing = client_for(committee).get(reverse("application_list", args=[chapter.slug]))
    assert "Classification taken by Holly Holder" in listing.content.decode()


def test_approving_into_a_taken_classification_is_refused_with_a_clear_message(
    client_for, chapter, committee
):
    factories.member(chapter, classification_name="Wedding Photography",
                     first_name="Holly", last_name="Holder")
    taken = application(chapter)
    response = client_for(committee).post(
        reverse("application_approve", args=[chapter.slug, taken.pk]), {"approve-reason": ""}
    )
    assert response.status_code == 400
    assert (
        "Wedding Photography is already taken in Riverside Business Builders by Holly Holder"
        in response.content.decode()
    )
    taken.refresh_from_db()
    assert taken.status == Application.Status.PENDING
    assert not Invitation.objects.exists()


def test_approval_sends_the_invitation_valid_for_the_chapters_window(
    client_for, chapter, committee, django_capture_on_commit_callbacks
):
    chapter.approval_window_days = 5
    chapter.save()
    waiting = application(chapter, email="wanda@example.test")
    url = reverse("application_approve", args=[chapter.slug, waiting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(committee).post(url, {"approve-reason": "Great fit"})
        again = client_for(committee).post(url, {"approve-reason": "Great fit"})
    assert response.status_code == again.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.APPROVED
    assert waiting.decided_by == committee.user
    invitation = waiting.invitation
    window = invitation.expires_at - timezone.now()
    assert datetime.timedelta(days=4, hours=23) < window <= datetime.timedelta(days=5)
    assert [message.to for message in mail.outbox] == [["wanda@example.test"]]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPLICATION_APPROVED).count() == 1


def test_an_approval_keeps_the_classification_from_a_second_applicant(chapter, committee):
    first = application(chapter)
    second = application(chapter)
    membership.application_approve(application=first, by=committee.user)
    with pytest.raises(invitations.MembershipError, match="kept in Riverside Business Builders"):
        membership.application_approve(application=second, by=committee.user)
    with pytest.raises(invitations.MembershipError, match="kept in"):
        invitations.invitation_create(
            chapter=chapter, email="someone@example.test", first_name="S", last_name="O",
            classification=first.classification, business_name="S", invited_by=committee.user,
        )


def test_the_database_refuses_two_approvals_for_one_classification(chapter):
    first = application(chapter)
    second = application(chapter)
    now = timezone.now()
    Application.objects.filter(pk=first.pk).update(status="approved", decided_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=second.pk).update(status="approved", decided_at=now)


def test_decline_needs_a_reason_and_withdraws_an_approvals_invitation(
    client_for, chapter, committee
):
    waiting = application(chapter)
    url = reverse("application_decline", args=[chapter.slug, waiting.pk])
    empty = client_for(committee).post(url, {"decline-reason": ""})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()
    membership.application_approve(application=waiting, by=committee.user)
    response = client_for(committee).post(url, {"decline-reason": "Missed the interview"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.DECLINED
    assert waiting.decision_reason == "Missed the interview"
    assert waiting.invitation.revoked_at is not None


def test_committee_can_change_a_taken_classification_then_approve(chapter, committee):
    factories.member(chapter, classification_name="Wedding Photography")
    waiting = application(chapter)
    other = factories.classification("Portrait Photography")
    membership.application_change_classification(
        application=waiting, classification=other, by=committee.user
    )
    approved = membership.application_approve(application=waiting, by=committee.user)
    assert approved.invitation.classification == other


def test_accepting_the_invitation_joins_and_keeps_the_sponsor(chapter, committee, member):
    waiting = application(chapter, email="wanda@example.test", sponsor=member)
    approved = membership.application_approve(application=waiting, by=committee.user)
    joined = invitations.invitation_accept(
        invitation=approved.invitation, user=None, password="A-long-pass-phrase-1"
    )
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.JOINED
    assert waiting.member == joined
    assert joined.sponsor == member
    assert AuditEntry.objects.filter(member=joined, action=AuditEntry.Action.JOINED).exists()


def test_an_approval_not_taken_up_lapses_once(chapter, committee):
    waiting = application(chapter)
    approved = membership.application_approve(application=waiting, by=committee.user)
    assert membership.applications_lapse() == 0
    later = approved.invitation.expires_at + datetime.timedelta(minutes=1)
    assert membership.applications_lapse(now=later) == 1
    assert membership.applications_lapse(now=later) == 0
    waiting.refresh_from_db()
    assert waiting.status == Application.Status.LAPSED
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPLICATION_LAPSED).count() == 1
    # The classification is free again for the next applicant.
    membership.application_approve(application=application(chapter), by=committee.user)


def test_the_beat_task_lapses_approvals(chapter, committee):
    from members.tasks import membership_dispatch

    waiting = application(chapter)
    approved = membership.application_approve(application=waiting, by=committee.user)
    Invitation.objects.filter(pk=approved.invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert membership_dispatch.delay().get()["lapsed"] == 1
    assert membership_dispatch.delay().get()["lapsed"] == 0


def test_an_applicant_already_a_member_is_refused(chapter, member):
    with pytest.raises(invitations.MembershipError, match="already a member"):
        application(chapter, email=member.user.email)


def test_application_list_query_count_does_not_grow(client_for, chapter, committee):
    from django.test.utils import CaptureQueriesContext

    client = client_for(committee)
    url = reverse("application_list", args=[chapter.slug])
    application(chapter, sponsor=committee)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(15):
        application(chapter, classification_name=f"Trade {number}", sponsor=committee)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)


def _race(approve_first, approve_second):
    results, barrier = [], threading.Barrier(2)

    def run(approve):
        try:
            barrier.wait()
            approve()
            results.append("approved")
        except invitations.MembershipError as error:
            results.append(str(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(f,)) for f in (approve_first, approve_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_one_classification_approve_one(
    django_capture_on_commit_callbacks,
):
    if connection.vendor != "postgresql":
        pytest.skip("Racing approvals need PostgreSQL's row locks (set DATABASE_URL).")
    chapter = factories.chapter("Racing Chapter")
    committee = factories.member(chapter, roles=(Role.MEMBERSHIP_COMMITTEE,))
    first = application(chapter, first_name="Wanda")
    second = application(chapter, first_name="Will")
    results = _race(
        lambda: membership.application_approve(application=first, by=committee.user),
        lambda: membership.application_approve(application=second, by=committee.user),
    )
    assert results.count("approved") == 1
    refusal = next(result for result in results if result != "approved")
    assert "Wedding Photography is kept in Racing Chapter for" in refusal
    assert "cannot hold it" in refusal
    assert Application.objects.filter(status=Application.Status.APPROVED).count() == 1
    assert Invitation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_approval_racing_a_reinstatement_leaves_one_holder():
    if connection.vendor != "postgresql":
        pytest.skip("Racing changes need PostgreSQL's row locks (set DATABASE_URL).")
    chapter = factories.chapter("Racing Chapter")
    committee = factories.member(chapter, roles=(Role.MEMBERSHIP_COMMITTEE,))
    suspended = factories.member(chapter, classification_name="Wedding Photography",
                                 status=Member.Status.SUSPENDED)
    waiting = application(chapter)
    results = _race(
        lambda: membership.application_approve(application=waiting, by=committee.user),
        lambda: membership.membership_reinstate(member=suspended, by=committee.user),
    )
    assert results.count("approved") == 1
    holders = Member.objects.current().filter(
        chapter=chapter, classification__name="Wedding Photography"
    )
    approvals = Application.objects.filter(status=Application.Status.APPROVED)
    assert holders.count() + approvals.count() == 1


def test_a_visitor_is_handed_over_to_an_application(client_for, chapter, visitor_host, member):
    from meetings.models import Visitor

    meeting = factories.meeting(chapter)
    visitor = Visitor.objects.create(
        meeting=meeting, name="Vera Visitor", company="Vera Vets", email="vera@example.test",
        phone="+44 7700 900777", classification=factories.classification("Veterinary"),
        invited_by=member,
    )
    client = client_for(visitor_host)
    url = reverse("application_create", args=[chapter.slug])
    form = client.get(url + f"?visitor={visitor.pk}").content.decode()
    assert 'value="Vera"' in form and 'value="vera@example.test"' in form
    response = client.post(url, {
        "first_name": "Vera", "last_name": "Visitor", "email": "vera@example.test",
        "business_name": "Vera Vets", "classification": visitor.classification_id,
        "sponsor": member.pk, "visitor": visitor.pk, "token": str(uuid.uuid4()),
    })
    assert response.status_code == 302
    created = Application.objects.get()
    assert created.visitor == visitor and created.sponsor == member
    visitor.refresh_from_db()
    assert visitor.follow_up == Visitor.FollowUp.APPLIED


def test_a_visitor_of_another_chapter_cannot_be_handed_over(
    client_for, chapter, other_chapter, president
):
    from meetings.models import Visitor

    foreign = Visitor.objects.create(meeting=factories.meeting(other_chapter), name="F F")
    url = reverse("application_create", args=[chapter.slug])
    assert client_for(president).get(url + f"?visitor={foreign.pk}").status_code == 404
    response = client_for(president).post(url, {
        "first_name": "F", "last_name": "F", "email": "f@example.test", "business_name": "F",
        "classification": factories.classification("Foreign").pk, "visitor": foreign.pk,
        "token": str(uuid.uuid4()),
    })
    assert response.status_code == 400
    assert not Application.objects.exists()
