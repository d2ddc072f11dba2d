"""Isolation and cost of the referrals pages: a member of another chapter gets 404 on every page
and object of this chapter, and no page's query count grows with the number of slips."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Role
from referrals import services
from referrals.models import SlipCorrection, ThankYou
from referrals.slips import KINDS
from tests import factories
from tests.referrals_world import many_slips, one_of_each, open_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(chapter):
    return factories.member(chapter, first_name="Cora", last_name="Colleague")


@pytest.fixture
def outsider(other_chapter):
    """A leader of another chapter: even a leader elsewhere sees nothing here."""
    open_week(other_chapter)
    return factories.member(
        other_chapter, roles=(Role.PRESIDENT,), email="outside-president@example.test"
    )


@pytest.fixture
def slips(chapter, member, colleague):
    open_week(chapter)
    made = one_of_each(member, colleague)
    services.referral_status_change(
        referral=made["referral"], by=colleague, status="contacted"
    )
    return made


def chapter_pages(slug: str) -> list[str]:
    """Every page of the referrals area for a chapter, without object ids."""
    return [
        reverse(name, args=[slug])
        for name in (
            "chapter_home", "slip_hub", "referral_new", "thank_you_new", "one_to_one_new",
            "ceu_new", "testimonial_new", "visitor_new", "slip_corrections", "referral_inbox",
            "referral_given", "thank_you_list", "one_to_one_list", "member_search", "roster",
            "profile_edit",
        )
    ]


def methods(url: str) -> list[str]:
    """The methods a URL answers (others get 405 before anything is looked up)."""
    if url.endswith(("/delete/", "/status/")):
        return ["post"]
    forms = ("/new/", "/edit/", "/correct/", "/profile/")
    if "/new/?" in url or url.endswith(forms):
        return ["get", "post"]
    return ["get"]


def object_pages(slug: str, slips: dict, member) -> list[str]:
    """Every page of one object of the chapter."""
    urls = []
    for kind, slip in slips.items():
        for name in ("slip_saved", "slip_edit", "slip_delete", "slip_correct"):
            urls.append(reverse(name, args=[slug, kind, slip.pk]))
    referral_id = slips["referral"].pk
    urls += [
        reverse("referral_detail", args=[slug, referral_id]),
        reverse("referral_status", args=[slug, referral_id]),
        reverse("thank_you_new", args=[slug]) + f"?referral={referral_id}",
        reverse("member_profile", args=[slug, member.pk]),
    ]
    return urls


def test_every_page_and_object_of_the_chapter_is_404_to_a_member_of_another_chapter(
    client_for, chapter, other_chapter, member, outsider, slips
):
    client = client_for(outsider)
    here = chapter_pages(chapter.slug) + object_pages(chapter.slug, slips, member)
    # The same objects asked for through the outsider's own chapter.
    through_mine = object_pages(other_chapter.slug, slips, member)
    problems = []
    post = {"status": "closed_won", "amount": "1", "action": "delete", "reason": "x"}
    for url in here + through_mine:
        for method in methods(url):
            response = getattr(client, method)(url, post if method == "post" else None)
            if response.status_code != 404:
                problems.append(f"{method.upper()} {url}: {response.status_code}")
            assert chapter.name.encode() not in response.content
    assert problems == []
    # Nothing was changed by any of it.
    slips["referral"].refresh_from_db()
    assert slips["referral"].status == "contacted"
    for kind, slip in slips.items():
        assert KINDS[kind].model.objects.filter(pk=slip.pk).exists()


def test_the_outsiders_own_pages_still_work(client_for, other_chapter, outsider):
    client = client_for(outsider)
    for url in chapter_pages(other_chapter.slug):
        assert client.get(url).status_code == 200, url


def test_other_chapters_members_are_not_in_the_roster_or_the_member_select(
    client_for, chapter, member, other_member
):
    open_week(chapter)
    for name in ("roster", "referral_new"):
        url = reverse(name, args=[chapter.slug])
        assert other_member.full_name not in client_for(member).get(url).content.decode()
    assert client_for(member).get(
        reverse("member_profile", args=[chapter.slug, other_member.pk])
    ).status_code == 404


def test_a_referral_cannot_be_addressed_to_a_member_of_another_chapter_through_testimonials(
    client_for, chapter, member, other_member
):
    open_week(chapter)
    page = client_for(member).get(
        reverse("testimonial_new", args=[chapter.slug]) + f"?about={other_member.pk}"
    )
    assert other_member.full_name not in page.content.decode()


# Query counts: 5 slips of every kind, then 500. ------------------------------------------------


def queries(client, url, **kwargs) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def corrections(slip, week, leader, count):
    SlipCorrection.objects.bulk_create(
        SlipCorrection(slip_type="referral", slip_id=slip.pk, meeting=week,
                       changed_by=leader.user, reason=f"Fix {n}", before={"notes": ""},
                       after={"notes": f"{n}"})
        for n in range(count)
    )


def pages_to_count(chapter, member, president, slips, week):
    """(viewer, url, request options) for every list page, the dashboard and the forms."""
    slug = chapter.slug
    referral_id = slips["referral"].pk
    htmx = {"headers": {"HX-Request": "true"}}
    return [
        (member, reverse("chapter_home", args=[slug]), {}),
        (member, reverse("chapter_home", args=[slug]), htmx),
        (president, reverse("chapter_home", args=[slug]), {}),
        (member, reverse("slip_hub", args=[slug]), {}),
        (member, reverse("referral_inbox", args=[slug]), {}),
        (member, reverse("referral_inbox", args=[slug]) + "?show=all", {}),
        (member, reverse("referral_given", args=[slug]), {}),
        (member, reverse("referral_given", args=[slug]) + "?page=2", {}),
        (member, reverse("referral_detail", args=[slug, referral_id]), {}),
        (member, reverse("thank_you_list", args=[slug]), {}),
        (member, reverse("one_to_one_list", args=[slug]), {}),
        (member, reverse("slip_saved", args=[slug, "referral", referral_id]), {}),
        (member, reverse("slip_edit", args=[slug, "referral", referral_id]), {}),
        (member, reverse("referral_new", args=[slug]), {}),
        (member, reverse("thank_you_new", args=[slug]), {}),
        (member, reverse("one_to_one_new", args=[slug]), {}),
        (member, reverse("visitor_new", args=[slug]), {}),
        (member, reverse("member_search", args=[slug]) + "?q=o&for=referral", htmx),
        (member, reverse("member_search", args=[slug]) + "?q=business&scope=other", {}),
        (member, reverse("roster", args=[slug]), {}),
        (member, reverse("roster", args=[slug]) + "?q=business", htmx),
        (member, reverse("member_profile", args=[slug, member.pk]), {}),
        (member, reverse("profile_edit", args=[slug]), {}),
        (president, reverse("slip_hub", args=[slug]), {}),
        (president, reverse("slip_corrections", args=[slug]), {}),
        (president, reverse("slip_corrections", args=[slug]) + f"?meeting={week.pk}", {}),
        (president, reverse("slip_correct", args=[slug, "referral", referral_id]), {}),
    ]


def test_no_page_costs_more_queries_with_500_slips_than_with_5(
    client_for, chapter, member, president, colleague, other_chapter
):
    week = open_week(chapter)
    open_week(other_chapter)
    outsider = factories.member(other_chapter)
    slips = one_of_each(member, colleague)
    many_slips(member, colleague, 5)
    many_slips(member, outsider, 5)
    many_slips(president, colleague, 5)
    corrections(slips["referral"], week, president, 5)
    pages = pages_to_count(chapter, member, president, slips, week)

    def count_all():
        return [queries(client_for(person), url, **options) for person, url, options in pages]

    small = count_all()
    many_slips(member, colleague, 495)
    many_slips(member, outsider, 495)
    many_slips(president, colleague, 495)
    for _ in range(20):
        factories.member(chapter)
        factories.member(other_chapter)
    # The referral on the detail page is thanked many times over, and corrected often.
    ThankYou.objects.bulk_create(
        ThankYou(thanked_by=colleague, credited_to=member, amount=1, referral=slips["referral"],
                 meeting=week, credited_meeting=week, token=uuid.uuid4())
        for _ in range(50)
    )
    corrections(slips["referral"], week, president, 60)
    large = count_all()
    grew = [
        (url, a, b) for (_, url, _), a, b in zip(pages, small, large, strict=True) if a != b
    ]
    assert grew == []


def test_huge_ids_in_urls_are_404_not_errors(client_for, chapter, member, president, slips):
    huge = 10**25
    for person, url in (
        (member, reverse("referral_detail", args=[chapter.slug, huge])),
        (member, reverse("slip_edit", args=[chapter.slug, "ceu", huge])),
        (member, reverse("slip_saved", args=[chapter.slug, "visitor", huge])),
        (member, reverse("member_profile", args=[chapter.slug, huge])),
        (president, reverse("slip_correct", args=[chapter.slug, "referral", huge])),
    ):
        assert client_for(person).get(url).status_code == 404, url
