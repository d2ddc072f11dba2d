"""Visitors at the meeting (quick entry, taken classification, visits against the limit,
follow-up, invite to apply) and the agenda (feature-presenter rotation, education moment)."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Meeting, Visitor
from members.models import Application, Invitation, Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(chapter):
    return factories.meeting(chapter, timezone.localdate())


@pytest.fixture
def visitor_host(chapter):
    return factories.member(chapter, roles=(Role.VISITOR_HOST,), email="host@example.test")


def entry(**fields):
    data = {"token": str(uuid.uuid4()), "name": "Vera Visitor", "company": "Vera's Bakes",
            "email": "vera@example.test", "phone": "07700 900123"}
    data.update(fields)
    return data


def test_visitor_host_records_a_visitor_quickly(client_for, visitor_host, member, meeting):
    url = reverse("meeting_visitors", args=[meeting.chapter.slug, meeting.pk])
    response = client_for(visitor_host).post(url, entry(invited_by=member.pk))
    assert response.status_code == 302
    visitor = Visitor.objects.get()
    assert (visitor.meeting, visitor.invited_by, visitor.created_by) == (
        meeting, member, visitor_host.user)
    page = client_for(visitor_host).get(url).content.decode()
    assert "Vera Visitor" in page and "Visit 1 of 2" in page


def test_a_double_submit_records_one_visitor(client_for, visitor_host, meeting):
    url = reverse("meeting_visitors", args=[meeting.chapter.slug, meeting.pk])
    data = entry()
    client = client_for(visitor_host)
    client.post(url, data)
    client.post(url, data)
    assert Visitor.objects.count() == 1


def test_a_taken_classification_shows_a_warning(client_for, visitor_host, member, meeting):
    chapter = meeting.chapter
    client = client_for(visitor_host)
    check = client.get(reverse("visitor_classification_check", args=[chapter.slug]),
                       {"classification": member.classification_id})
    assert "already taken" in check.content.decode()
    assert member.full_name in check.content.decode()
    free = factories.classification("Free Classification")
    check = client.get(reverse("visitor_classification_check", args=[chapter.slug]),
                       {"classification": free.pk})
    assert "already taken" not in check.content.decode()
    url = reverse("meeting_visitors", args=[chapter.slug, meeting.pk])
    response = client.post(url, entry(classification=member.classification_id), follow=True)
    text = response.content.decode()
    assert "already taken in the chapter by" in text
    assert f"Classification taken by {member.full_name}" in text


def test_a_typed_known_classification_is_recognised(client_for, visitor_host, member, meeting):
    url = reverse("meeting_visitors", args=[meeting.chapter.slug, meeting.pk])
    client_for(visitor_host).post(url, entry(classification_text=member.classification.name))
    assert Visitor.objects.get().classification == member.classification


def test_visits_count_against_the_chapters_limit(client_for, visitor_host, chapter):
    earlier = [factories.meeting(chapter, timezone.localdate() - datetime.timedelta(weeks=n))
               for n in (1, 2)]
    for meeting in earlier:
        Visitor.objects.create(meeting=meeting, name="Vera Visitor", email="VERA@example.test")
    today = factories.meeting(chapter, timezone.localdate())
    url = reverse("meeting_visitors", args=[chapter.slug, today.pk])
    response = client_for(visitor_host).post(url, entry(), follow=True)
    text = response.content.decode()
    assert "has visited 3 times; the chapter allows 2" in text
    assert "Visit 3 of 2" in text and "over the limit" in text


def test_bad_visitor_entry_keeps_what_was_typed(client_for, visitor_host, meeting):
    url = reverse("meeting_visitors", args=[meeting.chapter.slug, meeting.pk])
    response = client_for(visitor_host).post(url, entry(name="", email="not-an-email",
                                                        company="Kept Ltd"))
    assert response.status_code == 400
    text = response.content.decode()
    assert "This field is required" in text and "Enter a valid email" in text
    assert 'value="Kept Ltd"' in text
    assert not Visitor.objects.exists()


def test_visitor_token_of_another_meeting_is_refused(client_for, visitor_host, meeting, chapter):
    other = factories.meeting(chapter, meeting.local_date + datetime.timedelta(days=7))
    data = entry()
    client = client_for(visitor_host)
    client.post(reverse("meeting_visitors", args=[chapter.slug, meeting.pk]), data)
    response = client.post(reverse("meeting_visitors", args=[chapter.slug, other.pk]), data)
    assert response.status_code == 400
    assert Visitor.objects.get().meeting == meeting


def test_visitor_host_updates_follow_up_in_place(client_for, visitor_host, meeting):
    visitor = Visitor.objects.create(meeting=meeting, name="Vera Visitor")
    response = client_for(visitor_host).post(
        reverse("visitor_follow_up", args=[meeting.chapter.slug, visitor.pk]),
        {"follow_up": "contacted", "notes": "Called Tuesday"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="visitor-{visitor.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    visitor.refresh_from_db()
    assert (visitor.follow_up, visitor.notes) == ("contacted", "Called Tuesday")
    response = client_for(visitor_host).post(
        reverse("visitor_follow_up", args=[meeting.chapter.slug, visitor.pk]),
        {"follow_up": "bogus"},
    )
    assert response.status_code == 302
    visitor.refresh_from_db()
    assert visitor.follow_up == "contacted"


def test_visitor_list_filters_by_follow_up(client_for, visitor_host, meeting):
    Visitor.objects.create(meeting=meeting, name="Nina New")
    Visitor.objects.create(meeting=meeting, name="Cody Contacted", follow_up="contacted")
    page = client_for(visitor_host).get(
        reverse("visitor_list", args=[meeting.chapter.slug]), {"follow_up": "contacted"}
    )
    text = page.content.decode()
    assert "Cody Contacted" in text and "Nina New" not in text


def test_visitor_list_query_count_does_not_grow(client_for, visitor_host, chapter, member):
    client = client_for(visitor_host)
    url = reverse("visitor_list", args=[chapter.slug])
    meeting = factories.meeting(chapter, timezone.localdate())
    Visitor.objects.create(meeting=meeting, name="First", invited_by=member)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(20):
        Visitor.objects.create(meeting=meeting, name=f"Visitor {n}", email=f"v{n}@example.test",
                               invited_by=member, classification=member.classification)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


def test_meeting_visitors_query_count_does_not_grow(client_for, visitor_host, meeting, member):
    client = client_for(visitor_host)
    url = reverse("meeting_visitors", args=[meeting.chapter.slug, meeting.pk])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for n in range(15):
        Visitor.objects.create(meeting=meeting, name=f"Visitor {n}", invited_by=member,
                               classification=member.classification)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


# --- Invite to apply ------------------------------------------------------------------------


def invite(client, visitor):
    return client.post(
        reverse("visitor_invite", args=[visitor.meeting.chapter.slug, visitor.pk]), follow=True
    )


def test_invite_to_apply_records_an_application_for_the_committee(
    client_for, president, member, meeting
):
    free = factories.classification("Wedding Photography")
    visitor = Visitor.objects.create(meeting=meeting, name="Vera Van Visitor",
                                     email="vera@example.test", classification=free,
                                     company="Vera Photo", invited_by=member)
    response = invite(client_for(president), visitor)
    assert "application is recorded for the Membership Committee" in response.content.decode()
    application = Application.objects.get()
    assert (application.first_name, application.last_name) == ("Vera", "Van Visitor")
    assert (application.classification, application.business_name) == (free, "Vera Photo")
    assert (application.sponsor, application.visitor) == (member, visitor)
    assert not Invitation.objects.exists()  # approving it sends the invitation
    visitor.refresh_from_db()
    assert visitor.follow_up == Visitor.FollowUp.APPLIED


def test_invite_to_apply_into_a_taken_classification_warns_of_the_conflict(
    client_for, president, member, meeting
):
    visitor = Visitor.objects.create(meeting=meeting, name="Vera Visitor",
                                     email="vera@example.test",
                                     classification=member.classification)
    text = invite(client_for(president), visitor).content.decode()
    assert f"is held by {member.full_name}" in text
    assert Application.objects.get().classification == member.classification


@pytest.mark.parametrize("problem", ["no email", "no classification"])
def test_invite_to_apply_without_details_opens_the_application_form(
    client_for, president, meeting, problem
):
    visitor = Visitor.objects.create(
        meeting=meeting, name="Vera Visitor",
        email="" if problem == "no email" else "vera@example.test",
        classification=None if problem == "no classification" else factories.classification(),
    )
    response = client_for(president).post(
        reverse("visitor_invite", args=[meeting.chapter.slug, visitor.pk])
    )
    assert response.status_code == 302
    assert response.url == (
        reverse("application_create", args=[meeting.chapter.slug]) + f"?visitor={visitor.pk}"
    )
    assert not Application.objects.exists()


def test_visitor_host_cannot_invite_to_apply(client_for, visitor_host, meeting):
    visitor = Visitor.objects.create(meeting=meeting, name="Vera Visitor")
    response = client_for(visitor_host).post(
        reverse("visitor_invite", args=[meeting.chapter.slug, visitor.pk])
    )
    assert response.status_code == 403


# --- The agenda -------------------------------------------------------------------------------


def test_rotation_suggests_who_presented_longest_ago(chapter, president):
    today = timezone.localdate()
    recent, longest_ago, never = (factories.member(chapter) for _ in range(3))
    president.status = "dropped"  # only active members are in the rotation
    president.save()
    factories.meeting(chapter, today - datetime.timedelta(weeks=1), feature_presenter=recent)
    factories.meeting(chapter, today - datetime.timedelta(weeks=5), feature_presenter=longest_ago)
    # A cancelled week's presenter did not present.
    factories.meeting(chapter, today - datetime.timedelta(weeks=2), feature_presenter=never,
                      status=Meeting.Status.CANCELLED)
    meeting = factories.meeting(chapter, today)
    rotation = services.feature_presenter_rotation(meeting=meeting)
    assert [m.pk for m in rotation] == [never.pk, longest_ago.pk, recent.pk]
    # Once booked for a later week, they wait their turn.
    factories.meeting(chapter, today + datetime.timedelta(weeks=1), feature_presenter=never)
    assert services.feature_presenter_suggestion(meeting=meeting) == longest_ago


def test_leader_confirms_the_suggested_presenter_and_members_see_the_agenda(
    client_for, president, member, meeting
):
    chapter = meeting.chapter
    url = reverse("meeting_agenda", args=[chapter.slug, meeting.pk])
    page = client_for(president).get(url).content.decode()
    suggestion = services.feature_presenter_suggestion(meeting=meeting)
    assert f"Suggested: <strong>{suggestion.full_name}</strong>" in page
    assert f'<option value="{suggestion.pk}" selected>' in page
    client_for(president).post(url, {"feature_presenter": member.pk,
                                     "education_moment": "Asking for referrals"})
    meeting.refresh_from_db()
    assert (meeting.feature_presenter, meeting.education_moment) == (
        member, "Asking for referrals")
    detail = client_for(member).get(reverse("meeting_detail", args=[chapter.slug, meeting.pk]))
    text = detail.content.decode()
    assert member.full_name in text and "Asking for referrals" in text


def test_education_coordinator_sets_the_education_moment_only(client_for, chapter, member,
                                                              meeting):
    coordinator = factories.member(chapter, roles=(Role.EDUCATION_COORDINATOR,))
    meeting.feature_presenter = member
    meeting.save()
    url = reverse("meeting_agenda", args=[chapter.slug, meeting.pk])
    assert 'name="feature_presenter"' not in client_for(coordinator).get(url).content.decode()
    client_for(coordinator).post(url, {"feature_presenter": coordinator.pk,
                                       "education_moment": "The 60-second pitch"})
    meeting.refresh_from_db()
    assert meeting.feature_presenter == member
    assert meeting.education_moment == "The 60-second pitch"


def test_a_presenter_from_another_chapter_is_refused(client_for, president, other_member,
                                                     meeting):
    url = reverse("meeting_agenda", args=[meeting.chapter.slug, meeting.pk])
    response = client_for(president).post(url, {"feature_presenter": other_member.pk})
    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.feature_presenter is None
