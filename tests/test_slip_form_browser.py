"""The slip form on a phone (375 x 812): an inside referral in at most 5 taps from the chapter
home, the next one in 3 (receiver and tier remembered); an outside one with the prospect's
contact details without scrolling past more than two screens; a counter under the notes."""

import re

import pytest
from playwright.sync_api import expect

from referrals.models import Referral
from tests import factories
from tests.conftest import browser_login
from tests.referrals_world import open_week

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREEN = 812


@pytest.fixture
def people(chapter, member):
    open_week(chapter)
    for number in range(12):
        factories.member(chapter, first_name=f"Colleague{number:02d}")
    receiver = factories.member(
        chapter, first_name="Rita", last_name="Roofer", business_name="Rita's Roofs",
        classification_name="Roofing",
    )
    return member, receiver


def saved(page):
    expect(page.get_by_role("heading", name=re.compile("Referral saved"))).to_be_visible()


def test_an_inside_referral_takes_at_most_five_taps_from_the_chapter_home(
    browser_page, chapter, people
):
    page = browser_page
    giver, receiver = people
    browser_login(page, giver.user.email)
    page.goto(f"/chapters/{chapter.slug}/")
    taps = 0

    def tap(locator):
        nonlocal taps
        locator.click()
        taps += 1

    tap(page.get_by_role("link", name="Log a referral").first)
    search = page.get_by_role("searchbox", name="Receiver")
    tap(search)
    search.press_sequentially("rit")
    tap(page.get_by_role("button", name=re.compile("Rita Roofer")))
    # The list becomes the choice: the box shows it and the results are gone.
    expect(search).to_have_value(re.compile("^Rita Roofer"))
    expect(page.locator(".picker-results")).to_be_empty()
    expect(page.get_by_role("radio", name=re.compile("^Inside"))).to_be_checked()
    # Inside, the giver is the customer: no prospect to describe.
    expect(page.get_by_label("Prospect's name")).to_be_hidden()
    tap(page.get_by_role("radio", name=re.compile("^3 ·")))
    tap(page.get_by_role("button", name="Save referral"))
    saved(page)
    assert taps <= 5
    first = Referral.objects.get()
    assert (first.receiver, first.tier, first.temperature) == (receiver, "inside", 3)

    # The next one starts from the last receiver and tier: three taps.
    taps = 0
    page.goto(f"/chapters/{chapter.slug}/")
    tap(page.get_by_role("link", name="Log a referral").first)
    expect(page.get_by_role("searchbox", name="Receiver")).to_have_value(re.compile("^Rita"))
    tap(page.get_by_role("radio", name=re.compile("^2 ·")))
    tap(page.get_by_role("button", name="Save referral"))
    saved(page)
    assert taps == 3
    assert Referral.objects.filter(receiver=receiver, tier="inside").count() == 2


def test_an_outside_referral_with_contact_details_fits_in_three_screens(
    browser_page, chapter, people
):
    page = browser_page
    giver, receiver = people
    browser_login(page, giver.user.email)
    page.goto(f"/chapters/{chapter.slug}/")
    deepest = 0

    def scrolled():
        nonlocal deepest
        deepest = max(deepest, page.evaluate("window.scrollY"))

    page.get_by_role("link", name="Log a referral").first.click()
    page.get_by_role("searchbox", name="Receiver").fill("roof")
    page.get_by_role("button", name=re.compile("Rita Roofer")).click()
    scrolled()
    page.get_by_role("radio", name=re.compile("^Outside")).check()
    expect(page.get_by_label("Prospect's name")).to_be_visible()
    page.get_by_label("Prospect's name").fill("Pat Prospect")
    page.get_by_label("Prospect's phone").fill("+44 20 7946 0000")
    page.get_by_label("Prospect's email").fill("pat@example.test")
    scrolled()
    page.get_by_role("radio", name=re.compile("^4 · Warm")).check()
    page.get_by_text("More details (optional)").click()
    notes = page.get_by_label("Notes")
    notes.fill("Wants a quote this week.")
    expect(page.locator("#id_notes-count")).to_have_text("24 of 2,000 characters")
    scrolled()
    page.get_by_role("button", name="Save referral").click()
    scrolled()
    saved(page)
    assert deepest <= 2 * SCREEN
    referral = Referral.objects.get()
    assert (referral.tier, referral.prospect_email, referral.notes) == (
        "outside", "pat@example.test", "Wants a quote this week.")
    assert referral.receiver == receiver
