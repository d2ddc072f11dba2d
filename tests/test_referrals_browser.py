"""In Chromium at a phone's width (375 px): a member logs a referral, the receiver closes it with
an amount, the giver sees it closed and thanked; a double-submitted slip is stored once; the
dashboard's numbers refresh when its tab is shown again."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from referrals.models import Referral, ThankYou
from tests import factories
from tests.conftest import browser_login
from tests.referrals_world import open_week, referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def patient_expectations():
    """Parallel runs share the machine with other browsers: give pages time to answer."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def people(chapter, member):
    open_week(chapter)
    receiver = factories.member(
        chapter, first_name="Rita", last_name="Roofer", business_name="Rita's Roofs",
        classification_name="Roofing", email="rita@example.test",
    )
    return member, receiver


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page, member):
    # Generous: these tests share the machine with other browsers when run in parallel.
    page.set_default_timeout(30_000)
    browser_login(page, member.user.email)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def fill_referral(page, chapter):
    page.goto(f"/chapters/{chapter.slug}/")
    page.get_by_role("link", name="Log a referral").first.click()
    # The live search: part of the classification is enough.
    page.get_by_role("searchbox", name="Receiver").fill("roof")
    page.get_by_role("button", name=re.compile("Rita Roofer")).click()
    expect(page.locator("[data-picker-status]")).to_contain_text("Rita Roofer")
    page.get_by_role("radio", name=re.compile("^Outside")).check()
    page.get_by_label("Prospect's name").fill("Pat Prospect")
    page.get_by_label("Prospect's phone").fill("+44 20 7946 0000")
    page.get_by_role("radio", name=re.compile("^4 · Warm")).check()
    page.get_by_text("More details (optional)").click()
    page.get_by_label("Notes").fill("Wants a quote this week.")


def test_a_member_logs_a_referral_on_a_phone(browser_page, chapter, people):
    page = browser_page
    giver, receiver = people
    log_in(page, giver)
    assert fits_the_phone(page)
    fill_referral(page, chapter)
    assert fits_the_phone(page)
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_role("heading", name=re.compile("Referral saved"))).to_be_visible()
    expect(page.get_by_text("To Rita Roofer (Rita's Roofs)")).to_be_visible()
    referral = Referral.objects.get()
    assert (referral.giver, referral.receiver, referral.tier, referral.temperature) == (
        giver, receiver, "outside", 4,
    )
    page.get_by_role("link", name="Log another referral").click()
    expect(page.get_by_role("heading", name="Log a referral")).to_be_visible()


def test_a_double_submitted_slip_is_stored_once(browser_page, chapter, people):
    page = browser_page
    giver, _ = people
    log_in(page, giver)
    fill_referral(page, chapter)
    page.get_by_role("button", name="Save referral").dblclick()
    expect(page.get_by_role("heading", name=re.compile("Referral saved"))).to_be_visible()
    assert Referral.objects.count() == 1
    # The same form sent again and again, as a flaky connection or a reload would resend it.
    # (Truly simultaneous requests are tested against PostgreSQL in test_referrals_concurrency.)
    fill_referral(page, chapter)
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector("form.slip-form");
            const answers = [];
            for (let i = 0; i < 3; i++) {
                const answer = await fetch(location.href,
                    {method: "POST", body: new FormData(form), redirect: "manual"});
                answers.push(answer.type === "opaqueredirect" ? 302 : answer.status);
            }
            return answers;
        }"""
    )
    assert statuses == [302, 302, 302]
    assert Referral.objects.count() == 2


def test_the_receiver_closes_it_with_an_amount_and_the_giver_sees_it_closed_and_thanked(
    browser_page, chapter, people
):
    page = browser_page
    giver, receiver = people
    referral(giver, receiver, prospect_name="Pat Prospect")

    log_in(page, receiver)
    page.get_by_role("link", name="Pat Prospect").click()
    page.get_by_role("radio", name="Closed: won").check()
    amount = page.get_by_label("Amount of closed business")
    expect(amount).to_be_visible()
    expect(page.get_by_label("Why it did not close")).to_be_hidden()
    amount.fill("2500")
    assert fits_the_phone(page)
    page.get_by_role("button", name="Update status").click()
    expect(page.get_by_text(re.compile("Marked closed: won"))).to_be_visible()
    thank_you = ThankYou.objects.get()
    assert thank_you.credited_to == giver and thank_you.amount == 2500
    # The giver was emailed once the change committed.
    assert [m.to for m in mail.outbox] == [[giver.user.email]]
    assert "Closed: won" in mail.outbox[0].subject

    page.context.clear_cookies()
    log_in(page, giver)
    page.goto(f"/chapters/{chapter.slug}/referrals/given/")
    card = page.locator(".referral-card").first
    expect(card).to_contain_text("Closed: won")
    expect(card).to_contain_text("Thanked: GBP 2,500.00")
    assert fits_the_phone(page)
    page.goto(f"/chapters/{chapter.slug}/")
    expect(page.locator("#my-numbers")).to_contain_text("2,500")
    # The numbers fit the phone without sideways scrolling.
    assert page.evaluate(
        "(() => { const w = document.querySelector('.numbers-wrap');"
        " return w.scrollWidth <= w.clientWidth; })()"
    )


def test_the_numbers_refresh_when_the_tab_is_shown_again(browser_page, chapter, people):
    page = browser_page
    giver, receiver = people
    log_in(page, receiver)
    page.goto(f"/chapters/{chapter.slug}/")
    received = page.locator("#my-numbers tr", has=page.locator("abbr", has_text="RRO"))
    expect(received.locator("td").first).to_have_text("0")
    referral(giver, receiver)  # logged meanwhile, in another tab or by another member
    # Back to the tab: the numbers are asked for again, without a reload or a poll.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(received.locator("td").first).to_have_text("1")


def test_forms_are_usable_by_keyboard(browser_page, chapter, people):
    page = browser_page
    giver, _ = people
    log_in(page, giver)
    page.goto(f"/chapters/{chapter.slug}/slips/referral/new/")
    page.get_by_role("searchbox", name="Receiver").focus()
    page.keyboard.type("rita")
    option = page.get_by_role("button", name=re.compile("Rita Roofer"))
    expect(option).to_be_visible()
    # Enter in the search box does not submit the half-filled slip.
    page.keyboard.press("Enter")
    assert Referral.objects.count() == 0
    option.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-picker-status]")).to_contain_text("Rita Roofer")
    # The search box now holds the choice, and keeps the focus.
    search = page.get_by_role("searchbox", name="Receiver")
    expect(search).to_be_focused()
    expect(search).to_have_value(re.compile("^Rita Roofer"))
    expect(page.locator("select[name=receiver]")).to_have_value(str(people[1].pk))


def test_a_member_refers_to_a_member_of_another_chapter_found_by_classification(
    browser_page, chapter, people, other_chapter
):
    page = browser_page
    giver, _ = people
    open_week(other_chapter)
    carpenter = factories.member(
        other_chapter, first_name="Olga", last_name="Oak", business_name="Oak Carpentry",
        classification_name="Carpentry", phone="+44 1234 999999",
    )
    log_in(page, giver)
    page.goto(f"/chapters/{chapter.slug}/slips/referral/new/")
    page.get_by_role("radio", name="Other chapters").check()
    page.get_by_role("searchbox", name="Receiver").fill("carpen")
    option = page.get_by_role("button", name=re.compile("Olga Oak"))
    expect(option).to_contain_text(other_chapter.name)
    expect(page.locator(".picker-results")).not_to_contain_text("999999")
    option.click()
    page.get_by_role("radio", name=re.compile("^Inside")).check()
    page.get_by_role("radio", name=re.compile("^5 · Hot")).check()
    page.get_by_role("button", name="Save referral").click()
    expect(page.get_by_role("heading", name=re.compile("Referral saved"))).to_be_visible()
    referral = Referral.objects.get()
    assert referral.receiver == carpenter
    assert referral.receiver_meeting.chapter == other_chapter
