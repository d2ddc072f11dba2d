"""Logging a referral: the form, the receiver search, double submits, referrals across chapters."""

import uuid

import pytest
from django.urls import reverse

from members.models import Member
from referrals.models import TEMPERATURE_LABELS, Referral
from reports.palms import palms_rows
from tests import factories
from tests.referrals_world import open_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(chapter):
    return factories.member(
        chapter, first_name="Rita", last_name="Roofer", business_name="Rita's Roofs",
        classification_name="Roofing",
    )


@pytest.fixture
def week(chapter):
    return open_week(chapter)


def new_url(chapter):
    return reverse("referral_new", args=[chapter.slug])


def outside(person, **fields):
    data = {
        "receiver": person.pk,
        "tier": "outside",
        "prospect_name": "Pat Prospect",
        "prospect_phone": "+44 20 7946 0000",
        "prospect_email": "",
        "temperature": "4",
        "notes": "Needs a new roof before winter.",
        "token": str(uuid.uuid4()),
    }
    data.update(fields)
    return data


def test_the_form_offers_the_chapter_members_and_temperature_labels(
    client_for, chapter, member, receiver, other_member, week
):
    page = client_for(member).get(new_url(chapter))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Rita Roofer · Rita&#x27;s Roofs · Roofing" in text
    assert other_member.full_name not in text  # other chapters are searched, never listed
    assert member.full_name not in text.split('name="receiver"')[1].split("</select>")[0]
    for value, label in TEMPERATURE_LABELS.items():
        assert f"{value} · {label}".replace("'", "&#x27;") in text
    assert 'name="token"' in text


def test_a_member_logs_an_outside_referral_and_sees_a_confirmation(
    client_for, chapter, member, receiver, week
):
    response = client_for(member).post(new_url(chapter), outside(receiver))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("slip_saved", args=[chapter.slug, "referral", referral.pk])
    assert (referral.giver, referral.receiver, referral.meeting, referral.receiver_meeting) == (
        member, receiver, week, week,
    )
    assert referral.temperature == 4 and referral.temperature_label == TEMPERATURE_LABELS[4]
    page = client_for(member).get(response.url).content.decode()
    assert "Referral saved" in page
    assert "Log another referral" in page
    assert new_url(chapter) in page


def test_a_double_submitted_referral_is_stored_once(client_for, chapter, member, receiver, week):
    client = client_for(member)
    data = outside(receiver)
    first = client.post(new_url(chapter), data)
    second = client.post(new_url(chapter), data)
    assert Referral.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first.url == second.url  # the same confirmation


def test_a_new_form_is_a_new_referral(client_for, chapter, member, receiver, week):
    client = client_for(member)
    client.post(new_url(chapter), outside(receiver))
    client.post(new_url(chapter), outside(receiver))
    assert Referral.objects.count() == 2


def test_someone_elses_token_logs_nothing_and_reveals_nothing(
    client_for, chapter, member, president, receiver, week
):
    data = outside(receiver)
    client_for(president).post(new_url(chapter), data)
    page = client_for(member).post(new_url(chapter), data)
    assert page.status_code == 400
    assert "already used" in page.content.decode()
    assert Referral.objects.count() == 1


def test_an_outside_referral_needs_the_prospect_and_the_form_keeps_what_was_typed(
    client_for, chapter, member, receiver, week
):
    data = outside(receiver, prospect_name="", prospect_phone="", notes="Typed with care")
    page = client_for(member).post(new_url(chapter), data)
    text = page.content.decode()
    assert page.status_code == 400
    assert Referral.objects.count() == 0
    assert "Needed for an outside referral." in text
    assert "Give the prospect&#x27;s phone or email" in text
    assert "Typed with care" in text
    assert f'value="{data["token"]}"' in text  # the resubmission still dedupes
    assert 'value="4" required id="id_temperature_3" checked' in text
    assert 'value="outside" required id="id_tier_1" checked' in text


def test_an_inside_referral_needs_no_prospect(client_for, chapter, member, receiver, week):
    data = outside(receiver, tier="inside", prospect_name="", prospect_phone="")
    assert client_for(member).post(new_url(chapter), data).status_code == 302
    assert Referral.objects.get().tier == "inside"


@pytest.mark.parametrize(
    "changes",
    [
        {"temperature": "9"},
        {"temperature": "warm"},
        {"tier": "sideways"},
        {"receiver": "999999"},
        {"receiver": "not-a-number"},
        {"prospect_email": "not-an-email"},
        {"token": "not-a-uuid"},
        {"prospect_name": "x" * 500},
    ],
)
def test_bad_input_is_refused_politely(client_for, chapter, member, receiver, week, changes):
    response = client_for(member).post(new_url(chapter), outside(receiver, **changes))
    if changes == {"token": "not-a-uuid"}:
        assert response.status_code == 302  # a mangled token just gets a fresh one
    else:
        assert response.status_code == 400
        assert Referral.objects.count() == 0


def test_one_cannot_refer_to_oneself_or_to_an_inactive_member(
    client_for, chapter, member, receiver, week
):
    dropped = factories.member(chapter, status=Member.Status.DROPPED)
    for person in (member, dropped):
        assert client_for(member).post(new_url(chapter), outside(person)).status_code == 400
    assert Referral.objects.count() == 0


def test_the_receiver_can_be_chosen_from_a_link(client_for, chapter, member, receiver, week):
    page = client_for(member).get(new_url(chapter) + f"?receiver={receiver.pk}").content.decode()
    assert f'<option value="{receiver.pk}" selected>' in page


def test_the_live_search_finds_chapter_members_by_name_business_or_classification(
    client_for, chapter, member, receiver
):
    client = client_for(member)
    url = reverse("member_search", args=[chapter.slug])
    for query in ("rita", "Roofs", "roofing", "Rita Roo"):
        partial = client.get(url, {"q": query, "for": "referral"}, headers={"HX-Request": "true"})
        text = partial.content.decode()
        assert partial.status_code == 200
        assert f'data-pick="{receiver.pk}"' in text, query
        assert "<html" not in text
    nothing = client.get(url, {"q": "plumbing"}, headers={"HX-Request": "true"}).content.decode()
    assert "No active member matches" in nothing


def test_searching_other_chapters_shows_only_name_business_classification_and_chapter(
    client_for, chapter, member, other_chapter
):
    outsider = factories.member(
        other_chapter, first_name="Olga", last_name="Oak", business_name="Oak Carpentry",
        classification_name="Carpentry", phone="+44 1234 999999", ideal_referral="Secret wish",
    )
    url = reverse("member_search", args=[chapter.slug])
    text = client_for(member).get(
        url, {"q": "carpentry", "scope": "other", "for": "referral"}, headers={"HX-Request": "1"}
    ).content.decode()
    assert "Olga Oak" in text and "Oak Carpentry" in text and other_chapter.name in text
    assert "999999" not in text and "Secret wish" not in text and outsider.user.email not in text
    # Other chapters are found by business or classification, not by browsing names.
    by_name = client_for(member).get(
        url, {"q": "Olga", "scope": "other"}, headers={"HX-Request": "1"}
    ).content.decode()
    assert "Olga Oak" not in by_name
    short = client_for(member).get(url, {"q": "c", "scope": "other"}).content.decode()
    assert "at least two letters" in short


def test_without_javascript_other_chapters_are_searched_on_a_page_that_links_back(
    client_for, chapter, member, other_chapter
):
    outsider = factories.member(other_chapter, business_name="Oak Carpentry")
    page = client_for(member).get(
        reverse("member_search", args=[chapter.slug]),
        {"q": "oak", "scope": "other", "for": "referral"},
    )
    assert f'{new_url(chapter)}?receiver={outsider.pk}"' in page.content.decode()
    form = client_for(member).get(new_url(chapter) + f"?receiver={outsider.pk}").content.decode()
    assert f'<option value="{outsider.pk}" selected>' in form
    assert other_chapter.name in form


def test_a_referral_across_chapters_counts_in_both_chapters_and_both_members_see_it(
    client_for, chapter, member, other_chapter, week
):
    outsider = factories.member(other_chapter, business_name="Oak Carpentry")
    their_week = open_week(other_chapter)
    client_for(member).post(new_url(chapter), outside(outsider))
    referral = Referral.objects.get()
    assert (referral.meeting, referral.receiver_meeting) == (week, their_week)
    start, end = week.local_date, week.local_date
    mine = palms_rows(chapter=chapter, start=start, end=end, include_provisional=True,
                      member_ids=[member.pk])[0]
    theirs = palms_rows(chapter=other_chapter, start=their_week.local_date,
                        end=their_week.local_date, include_provisional=True,
                        member_ids=[outsider.pk])[0]
    assert (mine.RGO, theirs.RRO) == (1, 1)
    giver_view = client_for(member).get(
        reverse("referral_detail", args=[chapter.slug, referral.pk])
    )
    receiver_view = client_for(outsider).get(
        reverse("referral_detail", args=[other_chapter.slug, referral.pk])
    )
    assert giver_view.status_code == receiver_view.status_code == 200
    assert other_chapter.name in giver_view.content.decode()
    # The receiver sees the giver's name, business, classification and chapter, nothing else.
    text = receiver_view.content.decode()
    assert member.full_name in text and chapter.name in text
    assert reverse("member_profile", args=[chapter.slug, member.pk]) not in text
    inbox = client_for(outsider).get(reverse("referral_inbox", args=[other_chapter.slug]))
    assert "Pat Prospect" in inbox.content.decode()


def test_a_suspended_member_cannot_log_and_an_admin_is_not_a_member(
    client_for, chapter, receiver, admin_user, week
):
    suspended = factories.member(chapter, status=Member.Status.SUSPENDED)
    assert client_for(suspended).get(new_url(chapter)).status_code == 403
    assert client_for(admin_user).get(new_url(chapter)).status_code == 403


def test_searches_survive_hostile_text(client_for, chapter, member):
    client = client_for(member)
    for query in ("nul\x00byte", "%", "_", "x" * 5000, "<script>alert(1)</script>"):
        for url, params in (
            (reverse("member_search", args=[chapter.slug]), {"q": query, "scope": "other"}),
            (reverse("member_search", args=[chapter.slug]), {"q": query}),
            (reverse("roster", args=[chapter.slug]), {"q": query}),
        ):
            response = client.get(url, params)
            assert response.status_code == 200
            assert b"<script>alert(1)" not in response.content


def test_ids_in_links_that_are_not_plain_numbers_are_ignored(client_for, chapter, member, week):
    client = client_for(member)
    for value in ("²", "١", "99999999999999999999999", "-1", "1.5"):
        for url in (
            new_url(chapter) + f"?receiver={value}",
            reverse("thank_you_new", args=[chapter.slug]) + f"?referral={value}",
            reverse("one_to_one_new", args=[chapter.slug]) + f"?met_with={value}",
        ):
            assert client.get(url).status_code == 200, url
