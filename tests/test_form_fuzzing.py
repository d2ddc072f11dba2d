"""Form fuzzing: Hypothesis drives every user-facing form through the test client with hostile
input. No answer is a 500; a stored script never comes back unescaped on the page that shows
it; a form that refuses input shows it again, so nothing typed is lost."""

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.world import World, build_world

SCRIPT = "<script>alert('chapterhouse')</script>"
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "nul\x00byte",
            "x" * 10_000,
            SCRIPT,
            '"><img src=x onerror=alert(1)>',
            "\u202eevil\u202c right-to-left",
            "e\u0301\u0301\u0301 combining",
            "ﷺ𝕏🏳️‍🌈",
            "Robert'); DROP TABLE members_member;--",
            "-1",
            "-999999999999999999999",
            "1e309",
            "99999999999999999999.99",
            "0001-01-01",
            "9999-12-31",
            "1900-02-29",
            "NaN",
        ]
    ),
    st.just(SCRIPT),  # what must never come back unescaped, drawn often enough to be stored
    st.text(max_size=300),
)


@dataclass
class Form:
    action: str
    fields: dict = field(default_factory=dict)  # name -> (kind, options)
    buttons: list = field(default_factory=list)  # named submit buttons: (name, value)


class FormParser(HTMLParser):
    """The POST forms on a page and their fields."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = Form(action=attrs.get("action") or self.page_url)
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name and name != "csrfmiddlewaretoken":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind == "radio" and name in self._form.fields:
                self._form.fields[name][1].append(attrs.get("value", ""))
                return
            self._form.fields[name] = (kind, [attrs.get("value", "")])
        elif tag == "button" and name and attrs.get("type", "submit") == "submit":
            self._form.buttons.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._form.fields[name] = ("textarea", [])
        elif tag == "select" and name:
            self._select = name
            self._form.fields[name] = ("select", [])
        elif tag == "option" and self._select:
            self._form.fields[self._select][1].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


def value_strategy(kind, options):
    if kind == "hidden":
        # As often the value the page gave as a forged one: the form must get through too.
        return st.one_of(st.sampled_from(options), st.sampled_from(["", "not-a-token", SCRIPT]))
    if kind in ("select", "radio"):
        return st.one_of(st.sampled_from(options or [""]), HOSTILE_TEXT)
    if kind == "checkbox":
        return st.sampled_from(["on", "", SCRIPT])
    if kind == "number":
        return st.one_of(
            st.integers(min_value=-(10**20), max_value=10**20).map(str),
            st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
            HOSTILE_TEXT,
        )
    if kind == "date":
        return st.one_of(
            st.dates().map(lambda day: day.isoformat()),
            st.sampled_from(["0001-01-01", "9999-12-31"]),  # the ends of the calendar
            HOSTILE_TEXT,
        )
    return HOSTILE_TEXT


# Every page with a form people fill in: (id, URL builder, who fills it in).
def _chapter_page(name):
    return lambda w: reverse(name, args=[w.chapter.slug])


def _meeting_page(name):
    return lambda w: reverse(name, args=[w.chapter.slug, w.meeting.pk])


# The slip forms are fuzzed in tests/test_referrals_fuzz.py with the same strategies.
FORM_PAGES = [
    ("invitations", _chapter_page("invitation_list"), "leader"),
    ("join", lambda w: reverse("invitation_accept", args=[w.invitation.token]), "anonymous"),
    ("profile", _chapter_page("profile_edit"), "member"),
    ("email preferences", _chapter_page("notification_preferences"), "member"),
    ("meeting visitors", _meeting_page("meeting_visitors"), "leader"),
    ("meeting move", _meeting_page("meeting_edit"), "leader"),
    ("agenda", _meeting_page("meeting_agenda"), "leader"),
    ("application", _chapter_page("application_create"), "leader"),
    ("roles", _chapter_page("role_list"), "leader"),
    ("chapter settings", _chapter_page("chapter_settings"), "leader"),
    ("traffic-light rules", _chapter_page("reports_rules"), "leader"),
]


def person_for(world: World, role: str):
    return {
        "anonymous": None,
        "member": world.member.user,
        "leader": world.president.user,
        "admin": world.admin,
    }[role]


def shows_script_unescaped(html: str) -> bool:
    return SCRIPT in html or "<img src=x onerror" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("page_id", "url_for", "role"), FORM_PAGES, ids=[p[0] for p in FORM_PAGES])
def test_every_form_survives_hostile_input(client, page_id, url_for, role):
    world = build_world()
    page_url = url_for(world)
    person = person_for(world, role)
    if person is not None:
        client.force_login(person)
    fuzz_page(client, page_url, shown_on=[page_url])


def fuzz_page(
    client,
    page_url: str,
    *,
    shown_on: list[str],
    examples: int = 30,
    action: str | None = None,
    extra: dict | None = None,
    follow: bool = False,
    check: Callable | None = None,
) -> None:
    """Post hostile input to every form on the page; then every page in `shown_on` must still
    answer and show nothing unescaped. Each example is rolled back.

    `action` fuzzes only the forms posting there, even a bare button; `extra` maps more field
    names to strategies drawn for every post (file uploads the parser skips, stray fields);
    `follow` checks the page a post redirects to as well; `check(payload, response)` adds the
    caller's own assertions inside the example."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    parser = FormParser(page_url)
    parser.feed(page.content.decode())
    forms = _distinct(
        [form for form in parser.forms if form.action == action]
        if action is not None
        else [form for form in parser.forms if form.fields or form.buttons]
    )
    assert forms, f"{page_url} has no form to fuzz"
    extra = extra or {}

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def fuzz(data):
        for form in forms:
            payload = {
                name: data.draw(value_strategy(kind, options), label=name)
                for name, (kind, options) in form.fields.items()
            }
            if form.buttons:
                # The button clicked sends its name and value, as a browser does.
                name, value = data.draw(st.sampled_from(form.buttons), label="button")
                payload[name] = data.draw(st.one_of(st.just(value), HOSTILE_TEXT), label=name)
            payload |= {name: data.draw(strategy, label=name) for name, strategy in extra.items()}
            with transaction.atomic():
                response = client.post(form.action, payload)
                assert response.status_code < 500, (form.action, payload)
                html = response.content.decode(errors="replace")
                assert not shows_script_unescaped(html), form.action
                if response.status_code == 400 and not forged(payload, form):
                    kept_text(payload, form, html)
                if check is not None:
                    check(payload, response)
                # Whatever was stored is shown escaped on the pages that list it.
                shown = list(shown_on)
                if follow and response.status_code in (301, 302, 303):
                    shown.append(response.url)
                for url in shown:
                    assert_shown_safely(client, url)
                transaction.set_rollback(True)

    fuzz()


def assert_shown_safely(client, url: str) -> None:
    """The page still answers and shows nothing unescaped."""
    listing = client.get(url)
    assert listing.status_code < 500, url
    assert not shows_script_unescaped(listing.content.decode(errors="replace")), url


def _distinct(forms: list[Form]) -> list[Form]:
    """One form per action and set of fields (a sheet repeats its row form for every member),
    offering the hidden values of all of them."""
    merged: dict[tuple, Form] = {}
    for form in forms:
        key = (form.action, tuple(sorted((name, kind) for name, (kind, _) in form.fields.items())))
        if key not in merged:
            merged[key] = Form(form.action, {n: (k, list(o)) for n, (k, o) in form.fields.items()},
                               list(form.buttons))
            continue
        for name, (_kind, options) in form.fields.items():
            known = merged[key].fields[name][1]
            known.extend(option for option in options if option not in known)
        buttons = merged[key].buttons
        buttons.extend(button for button in form.buttons if button not in buttons)
    return list(merged.values())


def forged(payload, form) -> bool:
    """A hidden field no page offered: only a forging client sends that, so nothing a person
    typed is lost when it is refused."""
    return any(kind == "hidden" and payload[name] not in options
               for name, (kind, options) in form.fields.items())


def kept_text(payload, form, html):
    """A refused form shows what was typed again (text fields that survive HTML escaping)."""
    from django.utils.html import escape

    for name, value in payload.items():
        kind = form.fields[name][0] if name in form.fields else "extra"
        if kind in ("text", "email", "textarea", "search", "tel", "url") and value.strip():
            if "\x00" in value or len(value) > 500 or value != value.strip():
                continue  # refused outright or normalised by the form: nothing to compare
            assert escape(value) in html or value in html, f"{form.action}: lost {name}"
