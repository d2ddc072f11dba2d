"""A week on a phone (375 x 812): the header leaves the page room, the weekly links are in
view and the rest sit behind one menu button, every tap target is big enough, and no page is
wider than the screen; for a member, a president and an admin on the main pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from members.models import Role
from tests import factories
from tests.conftest import browser_login
from tests.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_HEIGHT = 812
# What each page is measured by: the header's height, header tap targets under 44 px, and
# whether the document is wider than the screen.
MEASURE = """() => {
  const header = document.querySelector('.site-header').getBoundingClientRect();
  const targets = '.site-header a, .site-header button, .site-header summary';
  const small = [...document.querySelectorAll(targets)]
    .filter(el => el.getClientRects().length && el.checkVisibility())
    .map(el => [el.textContent.trim(), Math.round(el.getBoundingClientRect().height),
                Math.round(el.getBoundingClientRect().width)])
    .filter(([, height, width]) => height < 44 || width < 44);
  return {header: header.height, small: small,
          wide: document.documentElement.scrollWidth > window.innerWidth};
}"""


def pages(role, world):
    slug = world.chapter.slug
    home = [reverse("chapter_home", args=[slug])]
    if role == "member":
        return home + world.member_pages()
    if role == "president":
        return home + world.member_pages() + world.leader_pages()
    return [reverse("home")] + home + world.leader_pages()


@pytest.mark.parametrize("role", ["member", "president", "admin"])
def test_header_fits_the_first_screen_on_every_main_page(browser_page, role):
    page = browser_page
    world = build_world()
    person = {"member": world.member.user, "president": world.president.user,
              "admin": world.admin}[role]
    browser_login(page, person.email, factories.PASSWORD)
    problems = {}
    for url in pages(role, world):
        response = page.goto(url)
        assert response.status < 400, f"{url} answered {response.status}"
        found = page.evaluate(MEASURE)
        if found["header"] > 0.2 * PHONE_HEIGHT or found["small"] or found["wide"]:
            problems[url] = found
    assert problems == {}


def test_the_menu_button_opens_the_rest_of_the_navigation(browser_page):
    page = browser_page
    world = build_world()
    browser_login(page, world.president.user.email)
    page.goto(reverse("chapter_home", args=[world.chapter.slug]))
    nav = page.get_by_role("navigation", name="Main")
    # The weekly links are in view at once; the others wait behind the menu.
    for name in ("Home", "Log a slip", "Referrals", "Meetings"):
        assert nav.get_by_role("link", name=name, exact=True).is_visible()
    absences = nav.get_by_role("link", name="Absences")
    assert not absences.is_visible()
    nav.locator("summary", has_text="Menu").click()
    assert absences.is_visible()
    assert nav.get_by_role("button", name="Sign out").is_visible()
    absences.click()
    page.wait_for_url(f"**{reverse('absence_list', args=[world.chapter.slug])}")


def test_login_offers_no_sign_up_and_a_remember_me_box_a_thumb_can_hit(browser_page):
    page = browser_page
    page.goto(reverse("account_login"))
    text = page.locator("main").inner_text()
    assert "sign up" not in text.lower()
    assert page.locator(f"a[href='{reverse('account_signup')}']").count() == 0
    box = page.locator("input[name=remember]").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    # The icon is named by the page, so the browser asks for no /favicon.ico; the manifest
    # lets the site be added to a phone's home screen.
    icons = page.evaluate(
        "[...document.querySelectorAll('link[rel=icon], link[rel=manifest]')].map(l => l.href)"
    )
    assert len(icons) == 2
    for href in icons:
        assert page.request.get(href).status == 200
    manifest = page.request.get(icons[1]).json()
    assert manifest["start_url"] == "/" and manifest["icons"]
    assert page.request.get("/favicon.ico").status == 200


def test_president_reaches_yesterdays_draft_meeting_from_the_chapter_home_in_one_tap(
    browser_page,
):
    page = browser_page
    chapter = factories.chapter("Monday Movers", meeting_weekday=0)
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="pia@example.test")
    factories.member(chapter)
    today = timezone.localdate(timezone.now(), chapter.zone)
    yesterday = factories.meeting(chapter, today - datetime.timedelta(days=1))
    services.attendance_mark_rest(meeting=yesterday, by=president.user)
    browser_login(page, president.user.email)
    page.goto(reverse("chapter_home", args=[chapter.slug]))
    card = page.locator(".this-week")
    # In the first screen, under the header.
    assert card.bounding_box()["y"] < PHONE_HEIGHT
    card.get_by_role("link", name="Check slips and complete the report").click()
    page.wait_for_url(f"**{reverse('meeting_report', args=[chapter.slug, yesterday.pk])}")
    assert "Draft" in page.locator("main").inner_text()
