"""axe-core on every page of the referrals area, at a phone's width and a desktop's: no WCAG 2.1
A/AA or best-practice violations, forms with errors included."""

import pytest
from django.urls import reverse

from referrals import services
from tests import factories
from tests.conftest import browser_login
from tests.referrals_world import one_of_each, open_week
from tests.test_accessibility import AXE, VIEWPORTS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_referrals_pages_have_no_axe_violations(
    chromium, live_server, chapter, member, president, other_chapter, viewport
):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/a11y")
    week = open_week(chapter)
    open_week(other_chapter)
    factories.member(other_chapter, business_name="Oak Carpentry")
    colleague = factories.member(chapter, ideal_referral="Landlords", phone="0161 000 000")
    slips = one_of_each(member, colleague)
    received = one_of_each(colleague, member)["referral"]
    services.referral_status_change(referral=slips["referral"], by=colleague, status="contacted")
    slug = chapter.slug
    member_pages = [
        reverse("chapter_home", args=[slug]),
        reverse("slip_hub", args=[slug]),
        reverse("referral_new", args=[slug]),
        reverse("thank_you_new", args=[slug]),
        reverse("one_to_one_new", args=[slug]),
        reverse("ceu_new", args=[slug]),
        reverse("testimonial_new", args=[slug]),
        reverse("visitor_new", args=[slug]),
        reverse("slip_saved", args=[slug, "referral", slips["referral"].pk]),
        reverse("slip_edit", args=[slug, "referral", slips["referral"].pk]),
        reverse("referral_inbox", args=[slug]),
        reverse("referral_given", args=[slug]),
        reverse("referral_detail", args=[slug, slips["referral"].pk]),
        reverse("referral_detail", args=[slug, received.pk]),
        reverse("thank_you_list", args=[slug]),
        reverse("one_to_one_list", args=[slug]),
        reverse("member_search", args=[slug]) + "?q=oak&scope=other&for=referral",
        reverse("roster", args=[slug]),
        reverse("member_profile", args=[slug, colleague.pk]),
        reverse("profile_edit", args=[slug]),
    ]
    leader_pages = [
        reverse("slip_corrections", args=[slug]) + f"?meeting={week.pk}",
        reverse("slip_correct", args=[slug, "thank-you", slips["thank-you"].pk]),
    ]
    context = chromium.new_context(
        viewport=VIEWPORTS[viewport], base_url=live_server.url, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = {}

    def check(label):
        violations = axe_violations(page)
        if violations:
            problems[label] = violations

    try:
        browser_login(page, member.user.email)
        for url in member_pages:
            response = page.goto(url)
            assert response.status < 400, url
            check(url)
        # Forms re-rendered with their errors.
        for url in (reverse("referral_new", args=[slug]), reverse("profile_edit", args=[slug])):
            page.goto(url)
            page.locator("main form.slip-form button[type=submit]").first.click()
            page.wait_for_load_state()
            check(f"{url} (with errors)")
        # The live search results.
        page.goto(reverse("referral_new", args=[slug]))
        page.get_by_role("searchbox").fill(colleague.first_name)
        page.locator(".picker-option").first.wait_for()
        check("live search results")
        page.context.clear_cookies()
        browser_login(page, president.user.email)
        for url in leader_pages:
            assert page.goto(url).status < 400, url
            check(url)
    finally:
        context.close()
    assert problems == {}, "\n".join(
        f"{url}:\n  " + "\n  ".join(found) for url, found in problems.items()
    )
