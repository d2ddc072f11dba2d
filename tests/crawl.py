"""Follow the links a signed-in person is shown, one page per URL shape, and check each HTML page
with the W3C Nu Html Checker (vnu.jar from npm's `vnu-jar`, run with Java).

A URL's shape is its route with the ids, slugs and tokens left as the route's placeholders, plus
the names (not the values) of its query parameters: /chapters/riverside/meetings/12/?page=2 and
/chapters/hilltop/meetings/40/?page=3 are one shape, and only the first one met is fetched.
"""

import json
import re
import shutil
import subprocess
import tempfile
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.urls import Resolver404, resolve, reverse

VNU_JAR = Path(__file__).parent / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Links the crawl never follows: signing out ends the session it crawls with. (Every other GET
# in the project only reads; actions are POST forms, which are not links.)
NOT_FOLLOWED = {"account_logout"}

# Messages the checker gives on pages drawn by Django's own admin templates and widgets, which
# the project does not write: (the admin page's URL name, a part of the message). Nothing else is
# filtered; the project's own templates get no filter.
ADMIN_TEMPLATE_MESSAGES = [
    # django/contrib/auth/templates/auth/widgets/read_only_password_hash.html: the password hash
    # on a user's page is a <div>, which gets the disabled field's `disabled` attribute.
    ("admin:members_user_change", "Attribute “disabled” not allowed on element “div”"),
    # admin/auth/user/change_password.html puts the "password-based authentication" help text,
    # a list, inside a <p>.
    ("admin:auth_user_password_change", "No “p” element in scope but a “p” end tag seen."),
]


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    found_on: str
    html: str = ""


@dataclass
class Crawl:
    pages: dict[str, Page] = field(default_factory=dict)  # shape -> the page fetched for it
    problems: list[str] = field(default_factory=list)

    @property
    def html_pages(self) -> dict[str, str]:
        """URL -> markup of every HTML page that answered 200."""
        return {
            page.url: page.html
            for page in self.pages.values()
            if page.status == 200 and page.content_type == "text/html"
        }


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("a", "area"):
            href = dict(attrs).get("href")
            if href is not None:
                self.hrefs.append(href)


def links(html: str, page_url: str) -> list[str]:
    """The same-site links of a page, as absolute paths with their query, without fragments."""
    parser = _Links()
    parser.feed(html)
    found = (same_site(href, page_url) for href in parser.hrefs)
    return [link for link in found if link is not None]


def same_site(href: str, page_url: str) -> str | None:
    """The path and query an href leads to on this site; None for a fragment of the same page,
    mailto:, tel: and other sites."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    parts = urlsplit(urljoin(page_url, href))
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def url_shape(url: str) -> str:
    """The route the URL resolves to, its ids, slugs and tokens left as placeholders (other
    parts, such as a slip's kind, keep their value), and the names of its query parameters.

    On Django's admin the query (its changelists' filters and sort orders, in every combination)
    is left out: one admin page per route."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return parts.path
    if not match.route:
        return parts.path

    def placeholder(found: re.Match) -> str:
        name = found.group(1)
        if name in IDENTIFIERS or name.endswith(("_id", "_token")) or name not in match.kwargs:
            return found.group(0)
        return str(match.kwargs[name])

    route = "/" + ROUTE_PARAMETER.sub(placeholder, match.route)
    if match.app_name == "admin":
        return route
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return route + (f"?{'&'.join(keys)}" if keys else "")


# Route parameters that name one object (its id, slug or token): left out of a URL's shape.
IDENTIFIERS = {"slug", "token", "key", "uidb36", "object_id", "app_label"}
ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def url_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def crawl(client, start: str = "/", limit: int = 1000) -> Crawl:
    """Fetch one page of every URL shape reachable by links from `start`, as the client's user.

    A problem is a link that does not answer 2xx or 3xx, or a redirect to the sign-in page (the
    person was shown a link to a page they may not open)."""
    result = Crawl()
    login = reverse("account_login")
    queue = deque([(start, "(start)")])
    seen = set()
    while queue:
        url, found_on = queue.popleft()
        shape = url_shape(url)
        if shape in seen or url_name(url) in NOT_FOLLOWED:
            continue
        seen.add(shape)
        if len(seen) > limit:
            result.problems.append(f"more than {limit} URL shapes: do links make up new ones?")
            break
        response = client.get(url)
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        page = Page(url, response.status_code, content_type, found_on)
        result.pages[shape] = page
        if 300 <= response.status_code < 400:
            target = same_site(response["Location"], url)
            if target is not None and urlsplit(target).path == login:
                result.problems.append(f"{url} (linked from {found_on}) sends to sign-in")
            elif target is not None:
                queue.append((target, url))
        elif not 200 <= response.status_code < 300:
            status = response.status_code
            result.problems.append(f"{url} (linked from {found_on}) answered {status}")
        elif content_type == "text/html":
            page.html = response.content.decode(response.charset or "utf-8")
            queue.extend((link, url) for link in links(page.html, url))
    return result


def vnu_available() -> bool:
    return VNU_JAR.exists() and shutil.which("java") is not None


def vnu_errors(pages: dict[str, str]) -> dict[str, list[str]]:
    """URL -> the checker's errors on that page, for every page given, in one run of vnu.jar.

    Warnings and info messages are not errors; ADMIN_TEMPLATE_MESSAGES are left out."""
    if not pages:
        return {}
    with tempfile.TemporaryDirectory(prefix="chapterhouse-vnu-") as folder:
        files = {}
        for number, (url, html) in enumerate(pages.items()):
            path = Path(folder) / f"{number:04d}.html"
            path.write_text(html, encoding="utf-8")
            files[path.name] = url
        run = subprocess.run(
            ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always",
             *(str(Path(folder) / name) for name in files)],
            capture_output=True, text=True, timeout=600, check=False,
        )
        try:
            messages = json.loads(run.stderr)["messages"]
        except (ValueError, KeyError) as exc:
            raise RuntimeError(f"vnu.jar gave no report: {run.stderr[:2000]}") from exc
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        where = message.get("url", "?")  # file:/tmp/chapterhouse-vnu-.../0007.html
        url = files.get(where.rsplit("/", 1)[-1], where)
        text = message.get("message", "")
        name = url_name(url)
        if any(name == page and known in text for page, known in ADMIN_TEMPLATE_MESSAGES):
            continue
        extract = message.get("extract", "").replace("\n", " ")
        errors.setdefault(url, []).append(
            f"line {message.get('lastLine', '?')}: {text} [{extract.strip()}]"
        )
    return errors

