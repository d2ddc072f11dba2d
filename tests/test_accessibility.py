"""axe-core (from npm) in Chromium on every main page, as each role, at 375 px and desktop width:
zero violations of WCAG 2.1 A/AA and axe's best practices."""

from pathlib import Path

import pytest
from django.urls import reverse

from tests import factories
from tests.conftest import browser_login
from tests.world import World, build_world

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pages_for(role: str, world: World) -> list[str]:
    """The main pages each role uses; new pages are added here the day they are written."""
    slug = world.chapter.slug
    anonymous = [
        reverse("account_login"),
        reverse("account_reset_password"),
        reverse("invitation_accept", args=[world.invitation.token]),
    ]
    signed_in = [
        reverse("chapter_home", args=[slug]),
        reverse("account_change_password"),
        reverse("mfa_index"),
        reverse("account_email"),
    ]
    leader = [reverse("invitation_list", args=[slug])]
    admin = [reverse("home")]
    # Email choices belong to a membership (site admins without one have none).
    emails = [reverse("notification_preferences", args=[slug])]
    leader += [reverse("delivery_log", args=[slug])]
    anonymous += [_unsubscribe_path(world)]
    return {
        "anonymous": anonymous,
        "member": signed_in + emails + world.member_pages(),
        "leader": signed_in + emails + leader + world.member_pages() + world.leader_pages(),
        # Admins lead every chapter but log no slips of their own.
        "admin": admin + signed_in + leader + world.leader_pages(),
    }[role]


def _unsubscribe_path(world: World) -> str:
    from notifications.outbox import unsubscribe_token

    return reverse("notification_unsubscribe",
                   args=[unsubscribe_token(world.member.pk, "reminder")])


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v =>
                `${v.id} (${v.impact}): ${v.help} -> ` +
                v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }""",
        TAGS,
    )
    return found


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("role", ["anonymous", "member", "leader", "admin"])
def test_main_pages_have_no_axe_violations(chromium, live_server, role, viewport):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/a11y")
    world = build_world()
    person = {
        "anonymous": None,
        "member": world.member.user,
        "leader": world.president.user,
        "admin": world.admin,
    }[role]
    # axe is injected as a script: let it past our CSP in this context only.
    context = chromium.new_context(
        viewport=VIEWPORTS[viewport], base_url=live_server.url, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        if person is not None:
            browser_login(page, person.email, factories.PASSWORD)
        problems = {}
        for url in pages_for(role, world):
            response = page.goto(url)
            assert response.status < 400, f"{url} answered {response.status} for {role}"
            violations = axe_violations(page)
            if violations:
                problems[url] = violations
        assert problems == {}, "\n".join(
            f"{url}:\n  " + "\n  ".join(found) for url, found in problems.items()
        )
    finally:
        context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_too_many_attempts_page_has_no_axe_violations(chromium, live_server, viewport):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/a11y")
    factories.member(factories.chapter(), email="paused@example.test")
    context = chromium.new_context(
        viewport=VIEWPORTS[viewport], base_url=live_server.url, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for attempt in range(6):  # the sixth wrong password for one account is refused
            browser_login(page, "paused@example.test", f"wrong {attempt}")
        assert page.locator("h1").inner_text() == "Too many attempts"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert axe_violations(page) == []
    finally:
        context.close()
