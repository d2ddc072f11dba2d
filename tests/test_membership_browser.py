"""Membership management on a phone (375 px), in Chromium: record and approve an application,
import a roster with its dry run, change a member's status."""

import pytest
from django.urls import reverse

from members.models import Application, Member, Role
from tests import factories
from tests.conftest import browser_login
from tests.membership_world import roster_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_president_records_and_approves_an_application_on_a_phone(browser_page):
    page = browser_page
    chapter = factories.chapter("Riverside Business Builders")
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="president@example.test")
    factories.classification("Wedding Photography")
    browser_login(page, president.user.email)

    page.goto(reverse("application_create", args=[chapter.slug]))
    assert fits_the_phone(page)
    page.get_by_label("First name").fill("Wanda")
    page.get_by_label("Last name").fill("Wedding")
    page.get_by_label("Email").fill("wanda@example.test")
    page.get_by_label("Business name").fill("Wanda Pictures")
    page.get_by_label("Classification").select_option(label="Wedding Photography")
    page.get_by_role("button", name="Record the application").click()
    page.wait_for_load_state()
    assert "Wedding Photography is free" in page.content()
    assert fits_the_phone(page)
    page.get_by_role("button", name="Approve and invite").click()
    page.wait_for_load_state()
    assert "Approved: Wanda Wedding is invited to join" in page.content()
    assert Application.objects.get().status == Application.Status.APPROVED


def test_president_imports_a_roster_after_the_dry_run(browser_page, tmp_path):
    page = browser_page
    chapter = factories.chapter("Riverside Business Builders")
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="president@example.test")
    factories.classification("Plumbing")
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv([
        ["Pat", "Pipe", "pat@example.test", "+44 7700 900123", "Pat Plumbing", "Plumbing"],
        ["Bad", "Phone", "bad@example.test", "call me", "Bad Ltd", "Plumbing"],
    ]))
    browser_login(page, president.user.email)
    page.goto(reverse("roster_import_upload", args=[chapter.slug]))
    page.get_by_label("Roster file (.csv or .xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert "Dry run: nothing has changed yet" in page.content()
    assert "is not a phone number" in page.content()
    assert fits_the_phone(page)
    assert not Member.objects.filter(user__email="pat@example.test").exists()
    page.get_by_role("button", name="Import 1 member").click()
    page.wait_for_load_state()
    page.get_by_role("heading", name="Imported").wait_for()
    assert Member.objects.filter(user__email="pat@example.test").exists()


def test_president_puts_a_member_on_leave_and_sees_the_trail(browser_page):
    page = browser_page
    chapter = factories.chapter("Riverside Business Builders")
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="president@example.test")
    member = factories.member(chapter, first_name="Mia", last_name="Moss")
    browser_login(page, president.user.email)
    page.goto(reverse("membership_detail", args=[chapter.slug, member.pk]))
    assert fits_the_phone(page)
    page.get_by_label("Back on").fill("2099-01-31")
    page.get_by_role("button", name="Start or arrange leave").click()
    page.wait_for_load_state()
    assert "Mia Moss is on leave until 31 Jan 2099" in page.content()
    assert "Leave of absence started" in page.content()
    member.refresh_from_db()
    assert member.status == Member.Status.ON_LEAVE


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_membership_pages_have_no_axe_violations(chromium, live_server, viewport):
    from tests.membership_world import build_membership_world
    from tests.test_accessibility import AXE, VIEWPORTS, axe_violations

    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/a11y")
    world = build_membership_world()
    slug = world.chapter.slug
    factories.member(world.chapter, classification_name="Bookkeeping")  # a conflict to show
    leader_pages = [
        reverse("membership_list", args=[slug]),
        reverse("membership_detail", args=[slug, world.target.pk]),
        reverse("membership_detail", args=[slug, world.former.pk]),
        reverse("role_list", args=[slug]),
        reverse("application_list", args=[slug]),
        reverse("application_create", args=[slug]),
        reverse("application_detail", args=[slug, world.application.pk]),
        reverse("audit_list", args=[slug]),
        reverse("roster_import_upload", args=[slug]),
        reverse("roster_import_preview", args=[slug, world.batch.pk]),
        reverse("chapter_settings", args=[slug]),
        reverse("chapter_overview"),
        reverse("chapter_create"),
        reverse("chapter_lights", args=[slug]),
        reverse("my_data"),
    ]
    context = chromium.new_context(
        viewport=VIEWPORTS[viewport], base_url=live_server.url, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        browser_login(page, world.admin.email, factories.PASSWORD)
        problems = {}
        for url in leader_pages:
            page.goto(url)
            found = axe_violations(page)
            if found:
                problems[url] = found
            if viewport == "phone" and not fits_the_phone(page):
                problems.setdefault(url, []).append("wider than the phone")
        assert problems == {}
    finally:
        context.close()


def test_admin_sees_every_chapters_traffic_lights_load_into_the_overview(browser_page):
    page = browser_page
    admin = factories.admin("admin@example.test")
    for name in ("Riverside Business Builders", "Hilltop Networkers"):
        chapter = factories.chapter(name)
        factories.member(chapter)
    browser_login(page, admin.email)
    page.goto(reverse("chapter_overview"))
    # Each row's cell loads on its own; wait for both.
    page.locator(".lights-cell .light-counts").nth(1).wait_for()
    assert page.locator(".lights-cell .light-counts").count() == 2
    assert fits_the_phone(page)
