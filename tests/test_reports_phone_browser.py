"""Reports read on a phone (375 x 812): on the PALMS summary every figure in view has its
member's name and its column heading in view too, however the table is scrolled; a heading
sorts; traffic lights are one card per member with nothing off-screen."""

import pytest

from tests import factories, reports_data
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PALMS = "palms/?preset=custom&start=2026-01-01&end=2026-01-31"
# For each figure whose centre is in view and not under the fixed name column or heading row:
# is its member's name, and its column's heading, in view and uncovered too?
FIGURES_HAVE_NAMES = """() => {
  const onTop = (el) => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return false;
    const hit = document.elementFromPoint(x, y);
    return hit !== null && el.contains(hit);
  };
  const table = document.querySelector('.palms-table');
  let seen = 0; const orphans = [];
  for (const cell of table.querySelectorAll('tbody td.num')) {
    if (!onTop(cell)) continue;
    seen += 1;
    const name = cell.parentElement.querySelector('th');
    const heading = table.tHead.rows[0].cells[cell.cellIndex];
    if (!onTop(name) || !onTop(heading)) {
      orphans.push(`${heading.textContent}=${cell.textContent} of ${name.textContent}`);
    }
  }
  return {seen, orphans};
}"""


@pytest.fixture
def data(chapter, other_chapter, president):
    fixture = reports_data.build(chapter, other_chapter)
    for number in range(20):  # enough rows to scroll down as well as sideways
        factories.member(chapter, first_name=f"Member{number:02d}", last_name="Longname")
    return fixture


def test_every_palms_figure_in_view_has_its_members_name(browser_page, data, president):
    page = browser_page
    browser_login(page, president.user.email)
    page.goto(f"/chapters/{data.chapter.slug}/reports/{PALMS}")
    wrap = page.locator(".palms-wrap")
    assert page.locator(".scroll-cue").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    wrap.scroll_into_view_if_needed()
    page.evaluate("document.querySelector('.palms-wrap').scrollIntoView()")
    sizes = wrap.evaluate("w => [w.scrollWidth - w.clientWidth, w.scrollHeight - w.clientHeight]")
    assert sizes[0] > 0 and sizes[1] > 0  # it does scroll both ways
    seen = 0
    for left in (0, sizes[0] // 3, 2 * sizes[0] // 3, sizes[0]):
        for top in (0, sizes[1] // 2, sizes[1]):
            wrap.evaluate(f"w => {{ w.scrollLeft = {left}; w.scrollTop = {top}; }}")
            found = page.evaluate(FIGURES_HAVE_NAMES)
            assert found["orphans"] == [], (left, top, found["orphans"])
            seen += found["seen"]
    assert seen > 50


def test_a_palms_heading_sorts_the_members(browser_page, data, president):
    page = browser_page
    browser_login(page, president.user.email)
    page.goto(f"/chapters/{data.chapter.slug}/reports/{PALMS}")
    first_name = "document.querySelector('.palms-table tbody th').textContent"
    page.get_by_role("button", name="M", exact=True).click()
    assert page.evaluate(first_name) == "Cara Cole"  # the one medical absence
    assert page.locator("th[aria-sort=descending]").inner_text() == "M"
    page.get_by_role("button", name="First Name").click()
    assert page.evaluate(first_name) == "Alice Archer"
    page.get_by_role("button", name="First Name").click()
    assert page.evaluate(first_name) == "Member19 Longname"
    # The totals row stays at the foot.
    assert page.locator(".palms-table tfoot th").inner_text() == "Total"


def test_traffic_lights_are_one_card_per_member_on_a_phone(browser_page, data, president):
    page = browser_page
    browser_login(page, president.user.email)
    page.goto(f"/chapters/{data.chapter.slug}/reports/traffic-lights/")
    ways_up = page.locator("td[data-label='Cheapest way up']")
    assert ways_up.count() > 3
    for box in (cell.bounding_box() for cell in ways_up.all()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
