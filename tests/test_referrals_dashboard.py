"""The member's dashboard (next meeting, referrals waiting, own PALMS numbers live, recent
activity) and the chapter roster with profiles."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from referrals import services
from reports import dashboard
from tests import factories
from tests.referrals_world import complete, open_week, referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(chapter):
    return factories.member(
        chapter, first_name="Cora", last_name="Colleague", business_name="Cora Roofs",
        classification_name="Roofing", ideal_referral="Homeowners with old slate roofs",
        target_market="Victorian terraces", phone="+44 161 555 0101",
        website="https://cora.example",
    )


def home(chapter):
    return reverse("chapter_home", args=[chapter.slug])


def test_the_dashboard_shows_the_next_meeting_with_venue_presenter_and_time_zone(
    client_for, chapter, member, colleague
):
    chapter.time_zone = "America/New_York"
    chapter.meeting_time = datetime.time(7, 30)
    chapter.venue = "The Mill"
    chapter.save()
    meeting = open_week(chapter)
    meeting.feature_presenter = colleague
    meeting.save()
    text = client_for(member).get(home(chapter)).content.decode()
    assert "07:30" in text and "America/New_York" in text
    assert "The Mill" in text
    assert "Feature presentation: Cora Colleague" in text


def test_the_dashboard_lists_referrals_waiting_for_my_action(
    client_for, chapter, member, colleague
):
    open_week(chapter)
    waiting = referral(colleague, member, prospect_name="Wendy Waiting")
    done = referral(colleague, member, prospect_name="Dora Done")
    services.referral_status_change(referral=done, by=member, status="not_closed", reason="No")
    text = client_for(member).get(home(chapter)).content.decode()
    assert "Wendy Waiting" in text
    assert reverse("referral_detail", args=[chapter.slug, waiting.pk]) in text
    assert 'Waiting for you <span class="badge badge-warn">1</span>' in text


def test_my_numbers_count_slips_the_moment_they_are_logged_marked_provisional(
    client_for, chapter, member, colleague
):
    week = open_week(chapter)
    referral(member, colleague)
    referral(member, colleague, tier="inside", prospect_name="", prospect_phone="")
    referral(colleague, member)
    services.thank_you_log(
        thanked_by=colleague, credited_to=member, amount=Decimal("1500"), business_type="new",
        token=uuid.uuid4(),
    )
    today = week.local_date - datetime.timedelta(days=1)
    windows = dashboard.my_numbers(member, today)
    assert [w.label for w in windows] == ["This week", "Last 30 days", "Last 6 months"]
    for window in windows:
        assert (window.row.RGO, window.row.RGI, window.row.RRO) == (1, 1, 1)
        assert window.row.TYFCB == Decimal("1500.00")
        assert window.provisional
    text = client_for(member).get(home(chapter)).content.decode()
    assert "provisional" in text
    assert "1,500" in text and "closed business credited (GBP)" in text
    # The numbers refresh as an HTMX partial.
    partial = client_for(member).get(home(chapter), headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="my-numbers"')


def test_numbers_of_a_completed_week_are_no_longer_provisional(chapter, member, colleague):
    week = open_week(chapter)
    referral(member, colleague)
    complete(week)
    open_week_after = factories.meeting(chapter, week.local_date + datetime.timedelta(days=7))
    this_week, last_30, _ = dashboard.my_numbers(member, week.local_date + datetime.timedelta(1))
    assert this_week.end == open_week_after.local_date
    assert this_week.provisional and this_week.row.RGO == 0
    assert last_30.row.RGO == 1


def test_recent_activity_shows_what_happened_to_me(client_for, chapter, member, colleague):
    open_week(chapter)
    referral(member, colleague, prospect_name="Gina Given")
    referral(colleague, member, prospect_name="Rob Received")
    text = client_for(member).get(home(chapter)).content.decode()
    assert "You referred Gina Given to Cora Colleague" in text
    assert "Cora Colleague referred Rob Received to you" in text


def test_the_dashboard_links_to_logging_a_referral(client_for, chapter, member):
    text = client_for(member).get(home(chapter)).content.decode()
    assert reverse("referral_new", args=[chapter.slug]) in text
    assert reverse("slip_hub", args=[chapter.slug]) in text


def test_an_admin_sees_the_chapter_without_personal_numbers(client_for, chapter, admin_user):
    page = client_for(admin_user).get(home(chapter))
    assert page.status_code == 200
    assert "My numbers" not in page.content.decode()


# Roster and profiles ---------------------------------------------------------------------------


def test_the_roster_shows_business_classification_contact_and_ideal_referral(
    client_for, chapter, member, colleague
):
    text = client_for(member).get(reverse("roster", args=[chapter.slug])).content.decode()
    for expected in ("Cora Colleague", "Cora Roofs", "Roofing", "+44 161 555 0101",
                     colleague.user.email, "https://cora.example",
                     "Homeowners with old slate roofs"):
        assert expected in text


def test_the_roster_search_matches_name_business_classification_and_wishes(
    client_for, chapter, member, colleague
):
    url = reverse("roster", args=[chapter.slug])
    client = client_for(member)
    for query in ("cora", "Roofs", "roofing", "slate", "victorian"):
        text = client.get(url, {"q": query}).content.decode()
        assert "Cora Colleague" in text, query
    text = client.get(url, {"q": "plumber"}).content.decode()
    assert "Cora Colleague" not in text and "No member matches" in text
    partial = client.get(url, {"q": "cora"}, headers={"HX-Request": "true"}).content.decode()
    assert "Cora Colleague" in partial and "<html" not in partial


def test_a_profile_shows_what_the_member_wants_referred_with_a_way_to_refer(
    client_for, chapter, member, colleague
):
    text = client_for(member).get(
        reverse("member_profile", args=[chapter.slug, colleague.pk])
    ).content.decode()
    assert "Victorian terraces" in text and "Homeowners with old slate roofs" in text
    assert reverse("referral_new", args=[chapter.slug]) + f"?receiver={colleague.pk}" in text


def test_a_member_edits_their_own_profile(client_for, chapter, member):
    url = reverse("profile_edit", args=[chapter.slug])
    data = {"business_name": "Moss & Co", "phone": "0161 000", "website": "moss.example",
            "ideal_referral": "Growing firms", "target_market": "Manchester SMEs"}
    assert client_for(member).post(url, data).status_code == 302
    member.refresh_from_db()
    assert (member.business_name, member.website, member.ideal_referral) == (
        "Moss & Co", "https://moss.example", "Growing firms",
    )


def test_a_profile_form_with_errors_keeps_what_was_typed(client_for, chapter, member):
    page = client_for(member).post(
        reverse("profile_edit", args=[chapter.slug]),
        {"business_name": "", "website": "not a url", "ideal_referral": "Kept text"},
    )
    text = page.content.decode()
    assert page.status_code == 400
    assert "Kept text" in text and "This field is required." in text


def test_former_members_are_not_on_the_roster(client_for, chapter, member):
    dropped = factories.member(chapter, status="dropped", first_name="Drew", last_name="Dropped")
    assert "Drew Dropped" not in client_for(member).get(
        reverse("roster", args=[chapter.slug])
    ).content.decode()
    assert client_for(member).get(
        reverse("member_profile", args=[chapter.slug, dropped.pk])
    ).status_code == 404


def test_the_dashboard_keeps_to_its_query_budget(
    client_for, chapter, member, colleague, django_assert_max_num_queries
):
    """Six months of numbers in three windows come from one pass, not one per window."""
    open_week(chapter)
    referral(member, colleague)
    referral(colleague, member)
    client = client_for(member)
    with django_assert_max_num_queries(25):
        response = client.get(home(chapter))
    assert response.status_code == 200
