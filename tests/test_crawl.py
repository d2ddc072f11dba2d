"""Signed in on the demo data as its member, its president and its admin, every page a person
reaches by links from the home page answers, and is valid HTML by the W3C Nu Html Checker.

One page per URL shape (tests/crawl.py); the checker runs once per role over all its pages.
Java and vnu.jar come with `make test` (tests/vnu, Debian's default-jre-headless)."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from demo.seed import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    MEMBER_EMAIL,
    PRESIDENT_EMAIL,
    demo_region_seed,
)
from tests import crawl

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"

# Who signs in, and the fewest URL shapes their links must reach: fewer means pages have gone
# missing from the navigation (or the crawl stopped following them).
ROLES = {
    "member": (MEMBER_EMAIL, 35),
    "leader": (PRESIDENT_EMAIL, 65),
    "admin": (ADMIN_EMAIL, 150),
}


@pytest.fixture
def vnu():
    if not crawl.vnu_available():
        pytest.skip("vnu.jar or Java is missing: make test installs them (npm ci --prefix "
                    "tests/vnu; apt-get install default-jre-headless)")


@pytest.fixture
def demo(db):
    demo_region_seed()


def sign_in(client, email):
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{email} could not sign in"
    return client


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_a_role_reaches_answers_and_is_valid_html(vnu, demo, client, capsys, role):
    email, fewest = ROLES[role]
    found = crawl.crawl(sign_in(client, email))
    pages = found.html_pages
    with capsys.disabled():  # shown in every run's output, not only when the test fails
        print(f"\n{role}: {len(found.pages)} URL shapes checked, {len(pages)} of them HTML pages")
    assert found.problems == []
    assert len(found.pages) >= fewest, f"{role} reached fewer pages than the {fewest} expected"
    errors = crawl.vnu_errors(pages)
    assert errors == {}, "\n".join(
        f"{url}:\n  " + "\n  ".join(messages) for url, messages in errors.items()
    )


# The test of the test: a broken page makes it fail ------------------------------------------

VALID = """<!DOCTYPE html><html lang="en"><head><title>Fine</title></head>
<body><main>{}</main></body></html>"""


BROKEN = {
    "/unclosed/": ("<div><p>An unclosed div</p>", "Unclosed element “div”"),
    "/tel-space/": ('<a href="tel:07700 900347">07700 900347</a>', "Space is not allowed"),
    "/tel-brackets/": ('<a href="tel:(312) 555-0142">(312) 555-0142</a>',
                       "Bad value “tel:(312) 555-0142”"),
    "/microseconds/": ('<time datetime="2026-11-30T19:21:14.187623+00:00">30 Nov</time>',
                       "fraction of a second"),
    "/span-label/": ('<span aria-label="same person">–</span>', "“aria-label” attribute must not"),
    "/hx/": ('<div hx-get="/x/">Polled</div>', "“hx-get” not allowed"),
}
FINE = ('<div data-hx-get="/x/" data-hx-trigger="every 5s">Polled</div>'
        '<a href="tel:+44-7700-900347">Call</a> <a href="tel:312-555-0142">Call</a>'
        '<time datetime="2026-11-30T19:21:14+00:00">30 Nov</time>'
        '<span aria-hidden="true">–</span><span class="visually-hidden">same person</span>')


def test_the_checker_reports_each_broken_page_and_passes_the_fixed_markup(vnu):
    """One run of vnu.jar over a page per break, and one with the markup the project writes."""
    pages = {url: VALID.format(markup) for url, (markup, _) in BROKEN.items()}
    pages["/fine/"] = VALID.format(FINE)
    errors = crawl.vnu_errors(pages)
    assert set(errors) == set(BROKEN)
    for url, (_, message) in BROKEN.items():
        assert any(message in error for error in errors[url]), (url, errors[url])


class FakeClient:
    """Answers the crawl's GETs from a dict of path -> response."""

    def __init__(self, site):
        self.site = site
        self.asked = []

    def get(self, url):
        self.asked.append(url)
        return self.site.get(url) or HttpResponse("Not found", status=404)


def html(body):
    return HttpResponse(VALID.format(body), content_type="text/html; charset=utf-8")


def test_the_crawl_reports_a_link_that_404s_or_fails_and_what_showed_it():
    client = FakeClient({
        "/": html('<a href="/a/">A</a> <a href="/gone/">Gone</a> <a href="/boom/">Boom</a>'),
        "/a/": html('<a href="/">Home</a>'),
        "/boom/": HttpResponse("Server error", status=500),
    })
    found = crawl.crawl(client)
    assert found.problems == [
        "/gone/ (linked from /) answered 404",
        "/boom/ (linked from /) answered 500",
    ]
    assert set(found.html_pages) == {"/", "/a/"}


def test_the_crawl_reports_a_link_that_sends_a_signed_in_person_to_sign_in():
    client = FakeClient({
        "/": html('<a href="/leaders-only/">Leaders</a>'),
        "/leaders-only/": HttpResponseRedirect("/accounts/login/?next=/leaders-only/"),
    })
    assert crawl.crawl(client).problems == [
        "/leaders-only/ (linked from /) sends to sign-in"
    ]


def test_the_crawl_follows_redirects_and_links_but_not_sign_out_nor_other_sites():
    client = FakeClient({
        "/": html('<a href="/moved/">Moved</a> <a href="https://example.org/">Off-site</a>'
                  ' <a href="mailto:a@example.test">Mail</a> <a href="tel:+1-312-555-0142">Call</a>'
                  ' <a href="/accounts/logout/">Sign out</a> <a href="#main">Skip</a>'),
        "/moved/": HttpResponseRedirect("/there/"),
        "/there/": html("<p>Here"),
    })
    found = crawl.crawl(client)
    assert found.problems == []
    assert client.asked == ["/", "/moved/", "/there/"]


def test_one_page_per_url_shape():
    """Ids, slugs and tokens make no new shape; a slip's kind, a query's names and an unknown
    path do."""
    shape = crawl.url_shape
    assert shape("/chapters/riverside/meetings/12/") == shape("/chapters/hill/meetings/40/")
    assert shape("/chapters/riverside/meetings/12/") == (
        "/chapters/<slug:slug>/meetings/<int:meeting_id>/")
    assert shape("/join/abc123/") == shape("/join/zzz999/")
    assert shape("/chapters/a/slips/referral/3/edit/") != shape("/chapters/a/slips/ceu/3/edit/")
    assert shape("/chapters/a/meetings/?page=2") == shape("/chapters/b/meetings/?page=5")
    assert shape("/chapters/a/meetings/?page=2") != shape("/chapters/a/meetings/")
    assert shape("/admin/members/user/?is_staff__exact=1&o=2") == shape("/admin/members/user/")
    assert shape("/nowhere/1/") != shape("/nowhere/2/")


def test_a_broken_project_template_fails_the_crawl(vnu, demo, client, settings, tmp_path):
    """The same check as above on real pages, with three of the project's templates broken: an
    unclosed tag, a tel: link with a space, a link to a page that does not exist."""
    broken = {
        "members/roster/profile.html": ("</dl>", "<dl>"),
        "members/roster/roster.html": ("{{ person.phone|tel_uri }}", "tel:{{ person.phone }}"),
        "chapters/chapter_home.html": (
            "{% block main %}", '{% block main %}<p><a href="/no-such-page/">Lost</a></p>'
        ),
    }
    for name, (old, new) in broken.items():
        source = (TEMPLATES / name).read_text()
        assert old in source, f"{name} no longer has {old!r}: pick another break"
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source.replace(old, new, 1))
    engine = dict(settings.TEMPLATES[0])
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]

    found = crawl.crawl(sign_in(client, MEMBER_EMAIL))
    assert any(problem.startswith("/no-such-page/ ") and problem.endswith(" answered 404")
               for problem in found.problems), found.problems
    errors = crawl.vnu_errors(found.html_pages)
    by_shape = {crawl.url_shape(url): messages for url, messages in errors.items()}
    roster = "/chapters/<slug:slug>/roster/"
    profile = roster + "<int:member_id>/"
    assert set(by_shape) == {roster, profile}, errors
    assert any("Space is not allowed" in message for message in by_shape[roster]), errors
    assert any("“dl”" in message for message in by_shape[profile]), errors
