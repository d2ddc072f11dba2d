"""One or two feature presentations a meeting: the chapter's setting, the leaders' agenda with
a presenter for each slot, the rotation across both slots, and every page, feed and list that
names the presenters."""

import datetime

import icalendar
import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chapters.demo import demo_region_seed
from chapters.forms_admin import SETTINGS_FIELDS, ChapterSettingsForm
from meetings import services
from meetings.models import Meeting
from members.models import Role
from notifications import calendar
from tests import factories

pytestmark = pytest.mark.django_db

TWICE = "already gives the first feature presentation"


@pytest.fixture
def two_a_meeting(chapter):
    chapter.feature_presentations = 2
    chapter.save(update_fields=["feature_presentations"])
    return chapter


@pytest.fixture
def meeting(chapter):
    return factories.meeting(chapter)


@pytest.fixture
def ann(chapter):
    return factories.member(chapter, first_name="Ann", last_name="Able",
                            business_name="Able Accounts")


@pytest.fixture
def bob(chapter):
    return factories.member(chapter, first_name="Bob", last_name="Baker",
                            business_name="Baker Builders")


def agenda_url(meeting) -> str:
    return reverse("meeting_agenda", args=[meeting.chapter.slug, meeting.pk])


def detail_url(meeting) -> str:
    return reverse("meeting_detail", args=[meeting.chapter.slug, meeting.pk])


def selected(page: str, member) -> bool:
    return f'<option value="{member.pk}" selected>' in page


# --- The chapter's setting ----------------------------------------------------------------


def settings_post(chapter, **changes) -> dict:
    """What the settings page posts back unchanged, with `changes` on top."""
    form = ChapterSettingsForm(instance=chapter)
    data = {}
    for name in SETTINGS_FIELDS:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    return data | changes


def test_a_chapter_has_one_feature_presentation_unless_its_leaders_choose_two(
    client_for, president, chapter, meeting
):
    assert chapter.feature_presentations == 1
    client = client_for(president)
    assert 'name="second_feature_presenter"' not in client.get(agenda_url(meeting)).text
    url = reverse("chapter_settings", args=[chapter.slug])
    assert 'name="feature_presentations"' in client.get(url).text
    response = client.post(url, settings_post(chapter, feature_presentations=2))
    assert response.status_code == 302
    chapter.refresh_from_db()
    assert chapter.feature_presentations == 2
    assert 'name="second_feature_presenter"' in client.get(agenda_url(meeting)).text


def test_a_third_feature_presentation_is_refused_on_the_settings_page(
    client_for, president, chapter
):
    url = reverse("chapter_settings", args=[chapter.slug])
    response = client_for(president).post(
        url, settings_post(chapter, feature_presentations=3, venue="The Boathouse")
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert 'value="The Boathouse"' in response.text
    chapter.refresh_from_db()
    assert chapter.feature_presentations == 1


def test_the_database_refuses_a_third_feature_presentation(chapter):
    chapter.feature_presentations = 3
    with pytest.raises(IntegrityError), transaction.atomic():
        chapter.save(update_fields=["feature_presentations"])


# --- Leaders choose the presenters ----------------------------------------------------------


def test_leader_sets_two_presenters_and_members_see_both(
    client_for, president, member, two_a_meeting, meeting, ann, bob
):
    response = client_for(president).post(agenda_url(meeting), {
        "feature_presenter": ann.pk, "second_feature_presenter": bob.pk,
        "education_moment": "Asking for referrals",
    })
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.feature_presenters == [ann, bob]
    page = client_for(member).get(detail_url(meeting)).text
    assert "Feature presentation: <strong>Ann Able</strong>, Able Accounts" in page
    assert "Feature presentation: <strong>Bob Baker</strong>, Baker Builders" in page


def test_an_unconfirmed_second_presentation_shows_as_to_be_confirmed(
    client_for, member, two_a_meeting, meeting, ann
):
    meeting.feature_presenter = ann
    meeting.save()
    page = client_for(member).get(detail_url(meeting)).text
    assert "Feature presentation: <strong>Ann Able</strong>" in page
    assert 'Feature presentation <span class="muted">(to be confirmed)</span>' in page


def test_the_same_member_twice_shows_the_error_and_keeps_the_input(
    client_for, president, two_a_meeting, meeting, ann
):
    response = client_for(president).post(agenda_url(meeting), {
        "feature_presenter": ann.pk, "second_feature_presenter": ann.pk,
        "education_moment": "Follow up within a day",
    })
    assert response.status_code == 400
    page = response.text
    assert f"Ann Able {TWICE}" in page
    assert page.count(f'<option value="{ann.pk}" selected>') == 2
    assert 'value="Follow up within a day"' in page
    meeting.refresh_from_db()
    assert (meeting.feature_presenter, meeting.second_feature_presenter) == (None, None)
    assert meeting.education_moment == ""


def test_a_second_presenter_from_another_chapter_is_refused(
    client_for, president, two_a_meeting, meeting, ann, other_member
):
    response = client_for(president).post(agenda_url(meeting), {
        "feature_presenter": ann.pk, "second_feature_presenter": other_member.pk,
    })
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert selected(response.text, ann)
    meeting.refresh_from_db()
    assert meeting.second_feature_presenter is None


def test_member_of_other_chapter_gets_404(client_for, other_member, two_a_meeting, meeting, ann):
    client = client_for(other_member)
    assert client.get(agenda_url(meeting)).status_code == 404
    response = client.post(agenda_url(meeting), {"second_feature_presenter": ann.pk})
    assert response.status_code == 404
    meeting.refresh_from_db()
    assert meeting.second_feature_presenter is None


def test_member_cannot_choose_presenters(client_for, member, two_a_meeting, meeting, ann, bob):
    response = client_for(member).post(agenda_url(meeting), {
        "feature_presenter": ann.pk, "second_feature_presenter": bob.pk,
    })
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.feature_presenters == []


def test_education_coordinator_sees_no_presenter_select_and_changes_no_presenter(
    client_for, chapter, two_a_meeting, meeting, ann, bob
):
    coordinator = factories.member(chapter, roles=(Role.EDUCATION_COORDINATOR,))
    meeting.feature_presenter = ann
    meeting.save()
    client = client_for(coordinator)
    page = client.get(agenda_url(meeting)).text
    assert 'name="feature_presenter"' not in page
    assert 'name="second_feature_presenter"' not in page
    client.post(agenda_url(meeting), {"feature_presenter": bob.pk,
                                      "second_feature_presenter": bob.pk,
                                      "education_moment": "Referral etiquette"})
    meeting.refresh_from_db()
    assert meeting.feature_presenters == [ann]
    assert meeting.education_moment == "Referral etiquette"


def test_one_presentation_chapter_ignores_a_posted_second_presenter(
    client_for, president, chapter, meeting, ann, bob
):
    response = client_for(president).post(agenda_url(meeting), {
        "feature_presenter": ann.pk, "second_feature_presenter": bob.pk,
    })
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.feature_presenters == [ann]


def test_going_back_to_one_presentation_leaves_a_booked_second_presenter_alone(
    client_for, president, member, two_a_meeting, meeting, ann, bob
):
    services.meeting_agenda_set(meeting=meeting, feature_presenter=ann,
                                second_feature_presenter=bob)
    two_a_meeting.feature_presentations = 1
    two_a_meeting.save()
    client = client_for(president)
    page = client.get(agenda_url(meeting)).text
    assert 'name="second_feature_presenter"' not in page
    assert selected(page, ann)
    client.post(agenda_url(meeting), {"feature_presenter": ann.pk,
                                      "education_moment": "Networking habits"})
    meeting.refresh_from_db()
    assert meeting.feature_presenters == [ann, bob]
    assert "Bob Baker" in client_for(member).get(detail_url(meeting)).text


# --- The service and the database are the last word ---------------------------------------


def test_the_service_refuses_the_same_member_in_both_slots(two_a_meeting, meeting, ann, bob):
    services.meeting_agenda_set(meeting=meeting, feature_presenter=ann)
    with pytest.raises(services.MeetingError, match="Ann Able cannot give both"):
        services.meeting_agenda_set(meeting=meeting, second_feature_presenter=ann)
    with pytest.raises(services.MeetingError, match="choose two different members"):
        services.meeting_agenda_set(meeting=meeting, feature_presenter=bob,
                                    second_feature_presenter=bob)
    meeting.refresh_from_db()
    assert meeting.feature_presenters == [ann]


def test_the_service_checks_the_slot_left_unchanged_as_stored(two_a_meeting, meeting, ann):
    """Another leader's save since this page was read counts."""
    stale = Meeting.objects.get(pk=meeting.pk)
    services.meeting_agenda_set(meeting=meeting, feature_presenter=ann)
    with pytest.raises(services.MeetingError, match="cannot give both"):
        services.meeting_agenda_set(meeting=stale, second_feature_presenter=ann)


def test_the_service_refuses_a_second_presenter_from_another_chapter(
    two_a_meeting, meeting, other_member
):
    with pytest.raises(services.MeetingError, match="member of the chapter"):
        services.meeting_agenda_set(meeting=meeting, second_feature_presenter=other_member)


def test_a_chapter_with_one_presentation_never_gets_a_second_presenter(chapter, meeting, ann):
    with pytest.raises(services.MeetingError, match="one feature presentation a meeting"):
        services.meeting_agenda_set(meeting=meeting, second_feature_presenter=ann)
    meeting.refresh_from_db()
    assert meeting.second_feature_presenter is None
    # Clearing it is always allowed.
    services.meeting_agenda_set(meeting=meeting, second_feature_presenter=None)


def test_the_database_refuses_the_same_member_in_both_slots(meeting, ann):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(
            feature_presenter=ann, second_feature_presenter=ann
        )


# --- The rotation ---------------------------------------------------------------------------


def test_rotation_counts_a_presentation_in_either_slot(president, two_a_meeting, ann, bob):
    chapter = two_a_meeting
    president.status = "dropped"  # only active members are in the rotation
    president.save()
    never = factories.member(chapter)
    today = timezone.localdate()
    factories.meeting(chapter, today - datetime.timedelta(weeks=1), feature_presenter=ann)
    factories.meeting(chapter, today - datetime.timedelta(weeks=3), feature_presenter=never,
                      second_feature_presenter=bob)
    # Bob's second-slot presentation is his latest.
    factories.meeting(chapter, today - datetime.timedelta(weeks=2), feature_presenter=ann,
                      second_feature_presenter=bob)
    meeting = factories.meeting(chapter, today)
    rotation = services.feature_presenter_rotation(meeting=meeting)
    assert [(m, m.last_presented) for m in rotation] == [
        (never, today - datetime.timedelta(weeks=3)),
        (bob, today - datetime.timedelta(weeks=2)),
        (ann, today - datetime.timedelta(weeks=1)),
    ]


def test_rotation_lets_members_booked_in_either_slot_wait(president, two_a_meeting, ann, bob):
    chapter = two_a_meeting
    carl = factories.member(chapter)
    today = timezone.localdate()
    meeting = factories.meeting(chapter, today)
    factories.meeting(chapter, today + datetime.timedelta(weeks=1), feature_presenter=president,
                      second_feature_presenter=ann)
    factories.meeting(chapter, today + datetime.timedelta(weeks=2), second_feature_presenter=bob)
    assert services.feature_presenter_rotation(meeting=meeting) == [carl]
    # Booked at this very meeting: still offered here, so the agenda can show them.
    services.meeting_agenda_set(meeting=meeting, feature_presenter=carl)
    assert services.feature_presenter_rotation(meeting=meeting) == [carl]


def test_the_agenda_proposes_the_next_two_in_rotation(
    client_for, president, two_a_meeting, meeting, ann, bob
):
    rotation = services.feature_presenter_rotation(meeting=meeting)
    first, second = services.feature_presenter_suggestions(meeting=meeting)
    assert [first, second] == rotation[:2]
    page = client_for(president).get(agenda_url(meeting)).text
    assert f"Suggested: <strong>{first.full_name}</strong>" in page
    assert f"; then <strong>{second.full_name}</strong>" in page
    assert page.count(" selected>") == 2
    assert selected(page, first) and selected(page, second)


def test_the_agenda_fills_the_open_slot_with_someone_not_in_the_other(
    client_for, president, two_a_meeting, meeting, ann, bob
):
    first_in_rotation = services.feature_presenter_rotation(meeting=meeting)[0]
    services.meeting_agenda_set(meeting=meeting, second_feature_presenter=first_in_rotation)
    proposed = services.feature_presenters_proposed(
        meeting=meeting, rotation=services.feature_presenter_rotation(meeting=meeting)
    )
    assert proposed["second_feature_presenter"] == first_in_rotation.pk
    assert proposed["feature_presenter"] not in (None, first_in_rotation.pk)
    page = client_for(president).get(agenda_url(meeting)).text
    assert page.count(f'<option value="{first_in_rotation.pk}" selected>') == 1


def test_a_one_presentation_chapter_is_proposed_one_presenter(chapter, meeting, ann, bob):
    rotation = services.feature_presenter_rotation(meeting=meeting)
    assert len(services.feature_presenter_suggestions(meeting=meeting, rotation=rotation)) == 1
    assert list(services.feature_presenters_proposed(meeting=meeting, rotation=rotation)) == [
        "feature_presenter"
    ]


# --- Everywhere the presenters show -----------------------------------------------------------


@pytest.fixture
def booked(two_a_meeting, meeting, ann, bob):
    services.meeting_agenda_set(meeting=meeting, feature_presenter=ann,
                                second_feature_presenter=bob)
    return meeting


def test_the_dashboard_shows_both_presenters(client_for, member, booked):
    page = client_for(member).get(reverse("chapter_home", args=[booked.chapter.slug])).text
    assert "Feature presentations: Ann Able and Bob Baker" in page


def test_the_dashboard_says_presentation_for_one_presenter(client_for, member, meeting, ann):
    services.meeting_agenda_set(meeting=meeting, feature_presenter=ann)
    page = client_for(member).get(reverse("chapter_home", args=[meeting.chapter.slug])).text
    assert "Feature presentation: Ann Able" in page


def test_the_meeting_list_shows_both_presenters(client_for, member, booked):
    page = client_for(member).get(reverse("meeting_list", args=[booked.chapter.slug])).text
    assert "Feature: Ann Able and Bob Baker" in page


def test_the_calendar_feed_and_the_reminders_event_name_both_presenters(
    client_for, member, booked
):
    client_for(member).post(reverse("calendar_feed_create", args=[booked.chapter.slug]))
    member.refresh_from_db()
    response = Client().get(reverse("calendar_feed", args=[member.calendar_token]))
    assert response.status_code == 200
    (event,) = icalendar.Calendar.from_ical(response.content).events
    assert "Feature presentations: Ann Able and Bob Baker" in str(event["description"])
    attachment = calendar.meeting_ics(Meeting.objects.get(pk=booked.pk), stamp=timezone.now())
    (event,) = icalendar.Calendar.from_ical(attachment).events
    assert "Feature presentations: Ann Able and Bob Baker" in str(event["description"])


def test_the_back_office_lists_both_presenters(client_for, admin_user, booked):
    page = client_for(admin_user).get(reverse("admin:meetings_meeting_changelist")).text
    assert "Ann Able and Bob Baker" in page


def test_the_demo_has_a_chapter_with_two_presentations_a_meeting(db):
    first, second = demo_region_seed(chapters=2, members=6, weeks=3).chapters
    assert (first.feature_presentations, second.feature_presentations) == (2, 1)
    held = Meeting.objects.for_chapter(first).filter(status=Meeting.Status.HELD)
    assert held.exists()
    assert not held.filter(second_feature_presenter=None).exists()
    assert len(services.next_meeting(first).feature_presenters) == 2
    assert len(services.next_meeting(second).feature_presenters) == 1
    assert not Meeting.objects.for_chapter(second).exclude(second_feature_presenter=None).exists()


# --- Query counts -----------------------------------------------------------------------------


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_cost_no_more_queries_with_two_presenters(
    president, member, two_a_meeting, meeting, ann, bob
):
    slug = two_a_meeting.slug
    pages = [
        (signed_in(member), reverse("chapter_home", args=[slug])),
        (signed_in(member), detail_url(meeting)),
        (signed_in(member), reverse("meeting_list", args=[slug])),
        (signed_in(president), agenda_url(meeting)),
    ]
    before = [queries(client, url) for client, url in pages]
    services.meeting_agenda_set(meeting=meeting, feature_presenter=ann,
                                second_feature_presenter=bob)
    after = [queries(client, url) for client, url in pages]
    assert after == before
