"""Reports in a real browser at phone width: no CSP violation, no sideways page scroll, the
range form's custom dates appear when chosen, charts are labelled images."""

import os

import pytest

from tests import reports_data
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("REPORTS_SCREENSHOTS")  # a folder, to look at the pages by eye


@pytest.fixture
def data(chapter, other_chapter, president):
    return reports_data.build(chapter, other_chapter)


def _watch(page):
    problems = []

    def console(msg):
        # Pages name their icon; /favicon.ico, if Chromium still asks, redirects to it.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{msg.text} {msg.location.get('url')}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response",
            lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        for index, figure in enumerate(page.locator("figure.chart").all()):
            figure.screenshot(path=os.path.join(SHOTS, f"{name}-{index}.png"))


def test_leader_reads_every_report_on_a_phone(browser_page, data, president):
    page = browser_page
    problems = _watch(page)
    browser_login(page, president.user.email)
    slug = data.chapter.slug
    for path, name in [
        ("", "home"),
        ("palms/?preset=custom&start=2026-01-01&end=2026-01-31", "palms"),
        ("traffic-lights/", "lights"),
        (f"traffic-lights/{data.alice.pk}/", "member-light"),
        ("chapter-lights/", "chapter-lights"),
        ("charts/?preset=custom&start=2026-01-01&end=2026-01-31", "charts"),
        ("rules/", "rules"),
        ("import/", "import"),
    ]:
        response = page.goto(f"/chapters/{slug}/reports/{path}")
        assert response.status == 200, path
        assert _fits(page), f"{path} scrolls sideways at 375 px"
        _shot(page, name)
    assert problems == []


def test_range_form_shows_custom_dates_only_when_chosen(browser_page, data, president):
    page = browser_page
    problems = _watch(page)
    browser_login(page, president.user.email)
    page.goto(f"/chapters/{data.chapter.slug}/reports/palms/")
    assert not page.is_visible("input[name=start]")
    page.select_option("select[name=preset]", "custom")
    assert page.is_visible("input[name=start]")
    page.fill("input[name=start]", "2026-01-01")
    page.fill("input[name=end]", "2026-01-31")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("text=1,800.49")
    assert "start=2026-01-01" in page.url  # HTMX pushed the range into the address
    assert problems == []


def test_charts_are_labelled_images_with_their_numbers(browser_page, data, president):
    page = browser_page
    browser_login(page, president.user.email)
    page.goto(f"/chapters/{data.chapter.slug}/reports/charts/"
              "?preset=custom&start=2026-01-01&end=2026-01-31")
    images = page.locator("svg[role=img]")
    assert images.count() == 5
    assert page.get_by_role("img", name="Who referred whom").count() == 1
    page.get_by_text("Show the numbers").first.click()
    assert page.is_visible("table >> text=7 Jan 2026")


REPORT_PAGES = ["", "palms/?preset=custom&start=2026-01-01&end=2026-01-31", "traffic-lights/",
                "chapter-lights/", "charts/?preset=custom&start=2026-01-01&end=2026-01-31",
                "rules/", "import/"]


@pytest.mark.parametrize("width", [375, 1280])
def test_report_pages_have_no_axe_violations(chromium, live_server, data, president, width):
    from tests.test_accessibility import AXE, axe_violations

    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/a11y")
    slug = data.chapter.slug
    from reports.imports import batch_create

    batch = batch_create(chapter=data.chapter, kind="slips", filename="audit.csv", content=(
        b"From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
        b"Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Roof\n"
        b"Zed Nobody,Ben Baker,Teleport,,,,\n"))
    people = {
        president.user.email: [*REPORT_PAGES, f"traffic-lights/{data.alice.pk}/",
                               f"import/{batch.pk}/"],
        data.alice.user.email: ["", "traffic-lights/", f"traffic-lights/{data.alice.pk}/"],
    }
    problems = {}
    for email, paths in people.items():
        # axe is injected as a script: let it past our CSP in this context only.
        context = chromium.new_context(viewport={"width": width, "height": 900},
                                       base_url=live_server.url, bypass_csp=True)
        page = context.new_page()
        try:
            browser_login(page, email)
            for path in paths:
                assert page.goto(f"/chapters/{slug}/reports/{path}").status == 200
                for summary in page.locator("details summary").all():
                    summary.click()  # the number tables too
                if found := axe_violations(page):
                    problems[f"{email} {path}"] = found
        finally:
            context.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
