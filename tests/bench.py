"""`make bench`: Chapterhouse measured against baselines taken in the same run, on PostgreSQL.

Seeds a benchmark region once (400 chapters x 30 members x 26 weeks) in its own database and
prints one table, also written to var/bench.md. Every figure is a ratio to a baseline measured
in the same run, on the same machine, so the figures travel between machines.

Not a test: run it by hand (`make bench`), never in CI.
"""

import contextlib
import datetime
import itertools
import logging
import os
import platform
import re
import secrets
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chapterhouse_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
REGION = {"chapters": 400, "members": 30, "weeks": 26}
# One key for this process and the gunicorn it starts, so the sessions it makes are valid there.
SECRET_KEY = os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50)
ROUNDS = 5
WRK_SECONDS = 4
RESULTS: list[tuple[str, str, str, str]] = []  # (section, measure, figure, target / verdict)


def say(text: str) -> None:
    print(text, flush=True)


def record(section: str, measure: str, figure: str, verdict: str) -> None:
    RESULTS.append((section, measure, figure, verdict))
    say(f"  {measure}: {figure}  [{verdict}]")


# --- Set-up -------------------------------------------------------------------------------


def database_ensure() -> None:
    import psycopg
    from psycopg import sql

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def django_setup() -> None:
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DEBUG="true",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        CHAPTERHOUSE_VAR_DIR=str(VAR / "bench"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def region_seed() -> None:
    from django.core.management import call_command

    from chapters.models import Chapter

    call_command("migrate", verbosity=0)
    if Chapter.objects.count() >= REGION["chapters"]:
        say(f"Benchmark region present: {Chapter.objects.count()} chapters.")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have by now on a live database
        return
    say("Seeding the benchmark region (several minutes, once)...")
    started = time.monotonic()
    call_command("seed_demo", **REGION)
    say(f"Seeded in {time.monotonic() - started:.0f} s.")


def largest_chapter():
    from django.db.models import Count, Q

    from chapters.models import Chapter

    return (
        Chapter.objects.annotate(size=Count("members", filter=Q(members__status="active")))
        .order_by("-size", "pk")
        .first()
    )


def people(chapter):
    """A leader and a plain member of the chapter."""
    from members.models import LEADING_ROLES, LeadershipRole, Member

    leader = (
        LeadershipRole.objects.current(chapter.today())
        .filter(member__chapter=chapter, role__in=LEADING_ROLES, member__status="active")
        .select_related("member__user")
        .first()
        .member
    )
    member = (
        Member.objects.active()
        .filter(chapter=chapter)
        .exclude(roles__isnull=False)
        .select_related("user")
        .first()
    )
    return leader, member


# --- 1. Queries per page at 1x and 10x data ----------------------------------------------


def main_pages(chapter, meeting) -> list[tuple[str, str, str]]:
    """(page, URL name, who) for the main pages; only names that exist are measured."""
    return [
        ("dashboard", "chapter_home", "member"),
        ("slips", "slip_hub", "member"),
        ("referral inbox", "referral_inbox", "member"),
        ("referrals given", "referral_given", "member"),
        ("thank-yous", "thank_you_list", "member"),
        ("one-to-ones", "one_to_one_list", "member"),
        ("roster", "roster", "member"),
        ("meetings", "meeting_list", "member"),
        ("meeting", "meeting_detail", "member"),
        ("attendance", "attendance", "leader"),
        ("weekly report", "meeting_report", "leader"),
        ("visitors", "visitor_list", "leader"),
        ("absences", "absence_list", "leader"),
        ("PALMS report", "reports_palms", "leader"),
        ("traffic lights", "reports_traffic_lights", "leader"),
        ("chapter lights", "reports_chapter_lights", "leader"),
        ("charts", "reports_charts", "leader"),
        ("memberships", "membership_list", "leader"),
        ("applications", "application_list", "leader"),
        ("audit trail", "audit_list", "leader"),
        ("delivery log", "delivery_log", "leader"),
    ]


def page_url(name: str, chapter, meeting) -> str | None:
    from django.urls import NoReverseMatch, reverse

    for kwargs in ({"slug": chapter.slug}, {"slug": chapter.slug, "meeting_id": meeting.pk}):
        with contextlib.suppress(NoReverseMatch):
            return reverse(name, kwargs=kwargs)
    return None


def query_counts(chapter, meeting, leader, member) -> dict[str, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {"leader": Client(), "member": Client()}
    clients["leader"].force_login(leader.user)
    clients["member"].force_login(member.user)
    counts = {}
    for label, name, who in main_pages(chapter, meeting):
        url = page_url(name, chapter, meeting)
        if url is None:
            continue
        clients[who].get(url)  # warm Django's own caches (content types, templates)
        # Every count starts alike: the session read from the database, not the cache.
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = clients[who].get(url)
        if response.status_code != 200:
            counts[label] = -response.status_code
            continue
        counts[label] = len(queries)
    return counts


def data_multiply(chapter, factor: int) -> None:
    """Make the chapter's data `factor` times larger: slips, weeks with attendance, members."""
    from django.contrib.auth.hashers import make_password

    from chapters.models import Classification, Industry
    from meetings.models import Attendance, Meeting, Visitor
    from meetings.services import meeting_times
    from members.models import Member, User
    from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou

    meetings = list(Meeting.objects.filter(chapter=chapter).order_by("local_date"))
    first = meetings[0].local_date
    new_meetings = []
    for week in range(1, (factor - 1) * len(meetings) + 1):
        day = first - datetime.timedelta(weeks=week)
        starts_at, ends_at = meeting_times(chapter, day)
        new_meetings.append(
            Meeting(
                chapter=chapter,
                local_date=day,
                slot_date=day,
                starts_at=starts_at,
                ends_at=ends_at,
                status="held",
                report_status="completed",
                report_completed_at=ends_at,
            )
        )
    new_meetings = Meeting.objects.bulk_create(new_meetings, batch_size=2000)
    members = list(Member.objects.active().filter(chapter=chapter))
    Attendance.objects.bulk_create(
        (Attendance(meeting=m, member=p, code="P") for m in new_meetings for p in members),
        batch_size=5000,
    )
    industry = Industry.objects.get_or_create(name="Bench growth")[0]
    password = make_password("bench-not-a-login")
    extra = (factor - 1) * len(members)
    users = User.objects.bulk_create(
        User(
            email=f"bench-{chapter.pk}-{n}-{secrets.token_hex(3)}@bench.test",
            password=password,
            first_name="Bench",
            last_name=f"Member {n}",
        )
        for n in range(extra)
    )
    classes = Classification.objects.bulk_create(
        Classification(industry=industry, name=f"Bench {chapter.pk}-{n}-{secrets.token_hex(3)}")
        for n in range(extra)
    )
    Member.objects.bulk_create(
        Member(user=u, chapter=chapter, classification=c, business_name="Bench Ltd")
        for u, c in zip(users, classes, strict=True)
    )
    for model, chapter_field in (
        (Referral, "meeting__chapter"),
        (ThankYou, "meeting__chapter"),
        (OneToOne, "meeting__chapter"),
        (CEU, "meeting__chapter"),
        (Testimonial, "meeting__chapter"),
        (Visitor, "meeting__chapter"),
    ):
        rows = list(model.objects.filter(**{chapter_field: chapter}))
        copies = []
        for _ in range(factor - 1):
            for row in rows:
                row.pk = None
                if hasattr(row, "token"):
                    row.token = None
                copies.append(
                    model(
                        **{f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
                    )
                )
        model.objects.bulk_create(copies, batch_size=5000)


def bench_queries(chapter, meeting, leader, member) -> None:
    from django.db import transaction

    say("\n1. Queries per main page, 1x and 10x data")
    one = query_counts(chapter, meeting, leader, member)
    with transaction.atomic():
        data_multiply(chapter, 10)
        ten = query_counts(chapter, meeting, leader, member)
        transaction.set_rollback(True)
    for label in one:
        same = one[label] == ten.get(label)
        record(
            "Queries per page",
            label,
            f"{one[label]} at 1x, {ten.get(label)} at 10x",
            "identical" if same else "DIFFERENT",
        )


# --- 2. Requests per second under gunicorn -------------------------------------------------


def free_port() -> int:
    import socket

    for port in range(18100, 18900):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


WRK_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["X-CSRFToken"] = "{csrf}"
local bodies = {{{bodies}}}
local n = 0
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  local r = math.random
  local token = string.format("%04x%04x-%04x-4%03x-a%03x-%04x%04x%04x", r(0, 65535),
    r(0, 65535), r(0, 65535), r(0, 4095), r(0, 4095), r(0, 65535), r(0, 65535), r(0, 65535))
  body = body:gsub("TOKEN", token)
  return wrk.format(nil, nil, nil, body)
end
"""

WRK_GET = """
wrk.headers["Cookie"] = "{cookie}"
"""


def sign_in(base: str, email: str, password: str = "chapterhouse-demo") -> tuple[str, str]:  # noqa: S107 - the demo password
    """Sign in through /accounts/login/; the Cookie header and the CSRF token of the session.
    Cookies are handled by hand: the production settings mark them Secure, and this is HTTP."""
    import http.client
    import urllib.parse

    host, port = base.removeprefix("http://").split(":")

    def request(method, path, body=None, cookies=None):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode()
        jar = {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                jar[name] = rest.split(";", 1)[0]
        connection.close()
        return response, content, jar

    _, page, cookies = request("GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "login": email, "password": password}
    )
    response, _, more = request("POST", "/accounts/login/", body, cookies)
    assert response.status == 302 and "sessionid" in more, f"{email} could not sign in"
    cookies.update(more)
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}", cookies[
        "csrftoken"
    ]


def wrk(url: str, script: str) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    result = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{WRK_SECONDS}s", "-s", handle.name, url],
        capture_output=True,
        text=True,
        timeout=WRK_SECONDS + 30,
        check=True,
    )
    os.unlink(handle.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
    return rate, int(bad.group(1)) if bad else 0


@contextlib.contextmanager
def gunicorn_serving(workers: int):
    """Gunicorn with production settings on a free loopback port, until the block ends: its
    base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        CHAPTERHOUSE_VAR_DIR=str(VAR / "bench"),
        LOG_LEVEL="WARNING",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT="1",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    assert (VAR / "bench" / "staticfiles").exists()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def bench_gunicorn(chapter, meeting, leader, member) -> None:
    from django.urls import reverse
    from django.utils import timezone

    from members.models import Member
    from referrals.models import Referral

    say("\n2. Requests per second under gunicorn (wrk on loopback, median of 5 rounds)")
    load_started = timezone.now()
    if not shutil.which("wrk"):
        record("Requests per second", "all", "not measured", "wrk missing: apt-get install wrk")
        return

    others = list(
        Member.objects.active()
        .filter(chapter=chapter)
        .exclude(pk=member.pk)
        .values_list("pk", flat=True)[:20]
    )
    members_all = list(Member.objects.active().filter(chapter=chapter).values_list("pk", flat=True))
    tap_bodies = ",".join(f'"member={pk}&code=P"' for pk in members_all)
    slip_bodies = ",".join(
        f'"receiver={pk}&tier=inside&temperature=3&notes=bench&token=TOKEN"' for pk in others
    )
    try:
        with gunicorn_serving(workers=2) as base:
            # Sign in through the real login form, as a browser would.
            member_cookie, csrf = sign_in(base, member.user.email)
            leader_cookie, leader_csrf = sign_in(base, leader.user.email)
            leader_cookie = leader_cookie.replace(leader_csrf, csrf)
            targets = {
                "bare view (/healthz)": (base + "/healthz", WRK_GET.format(cookie="")),
                "member dashboard": (
                    base + reverse("chapter_home", args=[chapter.slug]),
                    WRK_GET.format(cookie=member_cookie),
                ),
                # For scale: the least a signed-in page costs (session, user, chapter, a form).
                "simplest signed-in page (own profile form)": (
                    base + reverse("profile_edit", args=[chapter.slug]),
                    WRK_GET.format(cookie=member_cookie),
                ),
                "attendance tap": (
                    base + reverse("attendance_mark", args=[chapter.slug, meeting.pk]),
                    WRK_POST.format(cookie=leader_cookie, csrf=csrf, bodies=tap_bodies),
                ),
                "slip post": (
                    base + reverse("referral_new", args=[chapter.slug]),
                    WRK_POST.format(cookie=member_cookie, csrf=csrf, bodies=slip_bodies),
                ),
            }
            rates = {name: [] for name in targets}
            failures = dict.fromkeys(targets, 0)
            for round_number in range(ROUNDS):
                for name, (url, script) in targets.items():
                    rate, bad = wrk(url, script)
                    rates[name].append(rate)
                    failures[name] += bad
                say(
                    f"  round {round_number + 1}: "
                    + ", ".join(f"{name} {values[-1]:.0f}/s" for name, values in rates.items())
                )
    finally:
        # The slips the load posted go, so the next run measures the same region.
        Referral.objects.filter(notes="bench", created_at__gte=load_started).delete()
    bare = statistics.median(rates["bare view (/healthz)"])
    record("Requests per second", "bare view (/healthz)", f"{bare:.0f} req/s", "baseline")
    for name, values in rates.items():
        if name.startswith("bare"):
            continue
        ratio = statistics.median(values) / bare
        if name == "member dashboard":
            verdict = "meets" if ratio >= 0.2 else "BELOW TARGET"
        else:
            verdict = "no target set"
        if failures[name]:
            verdict += f"; {failures[name]} non-2xx/3xx answers"
        target = " (target >= 20%)" if name == "member dashboard" else ""
        record(
            "Requests per second",
            name,
            f"{statistics.median(values):.0f} req/s = {ratio:.0%} of bare{target}",
            verdict,
        )


# --- 3 and 4. Tallies and PALMS against hand-written SQL -----------------------------------

PALMS_SQL = """
WITH m AS (SELECT unnest(%(meetings)s::bigint[]) AS id)
SELECT member_id, sum(p), sum(a), sum(l), sum(md), sum(s), sum(rgi), sum(rgo), sum(rri),
       sum(rro), sum(v), sum(o), sum(tyfcb), sum(ceu), sum(t)
FROM (
  SELECT member_id, (code = 'P')::int p, (code = 'A')::int a, (code = 'L')::int l,
         (code = 'M')::int md, (code = 'S')::int s, 0 rgi, 0 rgo, 0 rri, 0 rro, 0 v, 0 o,
         0::numeric tyfcb, 0 ceu, 0 t
    FROM meetings_attendance WHERE meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT giver_id, 0, 0, 0, 0, 0, (tier = 'inside')::int, (tier = 'outside')::int, 0, 0, 0, 0, 0,
         0, 0 FROM referrals_referral WHERE meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT receiver_id, 0, 0, 0, 0, 0, 0, 0, (tier = 'inside')::int, (tier = 'outside')::int, 0,
         0, 0, 0, 0 FROM referrals_referral WHERE receiver_meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT invited_by_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0
    FROM meetings_visitor
   WHERE meeting_id IN (SELECT id FROM m) AND invited_by_id IS NOT NULL AND attended
  UNION ALL
  SELECT member_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0
    FROM referrals_onetoone WHERE meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT met_with_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0
    FROM referrals_onetoone WHERE met_with_meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT credited_to_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, amount, 0, 0
    FROM referrals_thankyou WHERE credited_meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT member_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, credits, 0
    FROM referrals_ceu WHERE meeting_id IN (SELECT id FROM m)
  UNION ALL
  SELECT giver_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    FROM referrals_testimonial WHERE meeting_id IN (SELECT id FROM m)
) numbers
GROUP BY member_id
"""
COLUMNS = [
    "P",
    "A",
    "L",
    "M",
    "S",
    "RGI",
    "RGO",
    "RRI",
    "RRO",
    "V",
    "one_to_ones",
    "TYFCB",
    "CEU",
    "T",
]


def sql_rows(meeting_ids: list[int]) -> list[tuple]:
    """The baseline: the hand-written query, its rows fetched into Python."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(PALMS_SQL, {"meetings": meeting_ids})
        return cursor.fetchall()


def sql_palms(rows: list[tuple]) -> dict[int, tuple]:
    """The baseline's rows in a form to compare (outside the timing, as is ours_palms)."""
    return {row[0]: tuple(Decimal(value or 0) for value in row[1:]) for row in rows}


def ours_counts(meetings) -> dict[int, dict]:
    from reports.palms import palms_counts

    return palms_counts(meetings)


def ours_palms(counts: dict[int, dict]) -> dict[int, tuple]:
    return {
        member_id: tuple(Decimal(numbers.get(column, 0) or 0) for column in COLUMNS)
        for member_id, numbers in counts.items()
        if any(numbers.get(column) for column in COLUMNS)
    }


def timed(function, repeat: int = 5) -> tuple[float, object]:
    """The median wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench_tallies_and_palms(chapter) -> None:
    from django.db.models import Max

    from meetings.models import Meeting
    from reports.palms import palms_rows, window_meetings

    say("\n3. The weekly tally for every member, against a hand-written SQL GROUP BY")
    latest = (
        Meeting.objects.counted()
        .filter(report_status="completed")
        .aggregate(day=Max("local_date"))["day"]
    )
    week = Meeting.objects.counted().filter(
        local_date__gt=latest - datetime.timedelta(days=7), local_date__lte=latest
    )
    week_ids = list(week.values_list("pk", flat=True))
    ours_time, ours = timed(lambda: ours_counts(week))
    sql_time, baseline = timed(lambda: sql_rows(week_ids))
    ours, baseline = ours_palms(ours), sql_palms(baseline)
    agree = "same figures" if ours == baseline else "FIGURES DIFFER"
    ratio = ours_time / sql_time
    record(
        "Tallies",
        f"week of {latest} for {len(ours)} members in {len(week_ids)} chapters",
        f"{ours_time * 1000:.0f} ms vs SQL {sql_time * 1000:.0f} ms = {ratio:.2f}x",
        f"{'meets' if ratio <= 1.5 else 'ABOVE'} target <= 1.5x; {agree}",
    )

    say("\n4. PALMS report, largest chapter and whole region, against hand-written SQL")
    end = latest
    start = end - datetime.timedelta(weeks=26)
    chapter_meetings = window_meetings(chapter=chapter, start=start, end=end)
    chapter_ids = list(chapter_meetings.values_list("pk", flat=True))
    ours_time, _ = timed(lambda: palms_rows(chapter=chapter, start=start, end=end))
    sql_time, baseline = timed(lambda: sql_rows(chapter_ids))
    baseline = sql_palms(baseline)
    ours = ours_palms(ours_counts(chapter_meetings))
    record(
        "PALMS",
        f"largest chapter ({chapter.name}), 26 weeks",
        f"{ours_time * 1000:.0f} ms vs SQL {sql_time * 1000:.0f} ms = {ours_time / sql_time:.2f}x",
        "same figures" if ours == baseline else "FIGURES DIFFER",
    )
    region = Meeting.objects.counted().filter(
        report_status="completed", local_date__gte=start, local_date__lte=end
    )
    region_ids = list(region.values_list("pk", flat=True))
    ours_time, ours = timed(lambda: ours_counts(region), 3)
    sql_time, baseline = timed(lambda: sql_rows(region_ids), 3)
    ours, baseline = ours_palms(ours), sql_palms(baseline)
    record(
        "PALMS",
        f"whole region ({len(region_ids)} meetings), 26 weeks",
        f"{ours_time * 1000:.0f} ms vs SQL {sql_time * 1000:.0f} ms = {ours_time / sql_time:.2f}x",
        "same figures" if ours == baseline else "FIGURES DIFFER",
    )


# --- 5. Reminders through the real worker ---------------------------------------------------


@contextlib.contextmanager
def scratch_database(name: str):
    """Point Django (and the worker, which takes its settings) at a new, migrated database:
    the benchmark region has meetings of its own falling due, which would mix in."""
    import psycopg
    from django.core.management import call_command
    from django.db import connection
    from psycopg import sql

    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"

    def recreate(create: bool) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            if create:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    original = connection.settings_dict["NAME"]
    connection.close()
    recreate(create=True)
    connection.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        recreate(create=False)


MAIL_ROUNDS = 5
# Prefork processes of the measured worker: Celery's default (one a core) and what README's
# deployment runs (--concurrency 4; a send mostly waits on the mail server and the database).
MAIL_WORKERS = (2, 4)


def bench_reminders() -> None:
    from config.celery import app
    from tests.integration import test_notifications_delivery as delivery

    say("\n5. Reminders delivered per second through the real worker, against smtplib")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's line per SMTP command
    sink = delivery.Sink()
    server = delivery.SmtpServer(sink, delivery.free_port())
    server.start()
    app.conf.task_always_eager = False
    ratios = {workers: [] for workers in MAIL_WORKERS}
    try:
        for round_number in range(MAIL_ROUNDS):
            for workers in MAIL_WORKERS:
                ratio, line = reminders_round(delivery, sink, server, workers)
                ratios[workers].append((ratio, line))
                say(f"  round {round_number + 1}, prefork x{workers}: {line}")
    finally:
        server.stop()
    for workers, results in ratios.items():
        ratio, line = sorted(results)[len(results) // 2]  # the median round
        record(
            "Reminders",
            f"900 reminders in 30 chapters through the worker (prefork x{workers}, median of "
            f"{MAIL_ROUNDS} rounds), from enqueuing the dispatch task to the last one accepted",
            line,
            f"{'meets' if ratio >= 0.5 else 'BELOW'} target >= 50%",
        )


def reminders_round(delivery, sink, server, workers: int) -> tuple[float, str]:
    """One round: the worker sends 900 due reminders, then smtplib sends as many copies of one
    of them over one connection. Returns the ratio of the rates and a line that tells it."""
    from django.conf import settings
    from django.db import connection, transaction

    from notifications.models import Delivery
    from notifications.outbox import notifications_dispatch

    count_chapters, per_chapter = 30, 30
    sink.accepted.clear()
    workdir = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    try:
        with scratch_database(DATABASE_URL.rsplit("/", 1)[1] + "_mail"):
            delivery._broker_clean()
            # No beat: the clock starts when the dispatch task is enqueued, so it measures the
            # worker (dispatch, then the sends) and not up to a second of waiting for a tick.
            worker = delivery.Worker(workdir, server.port, beat=False, concurrency=workers)
            connection.close()
            worker.start()  # returns once the worker says it is ready
            try:
                # The reminders fall due with this commit; the dispatch task hands them out.
                with transaction.atomic():
                    _, _, emails = delivery.chapters_with_a_meeting_due(count_chapters,
                                                                        per_chapter)
                started = time.monotonic()
                notifications_dispatch.delay()
                total = len(emails)
                deadline = started + 300
                while sink.count() < total and time.monotonic() < deadline:
                    time.sleep(0.02)
                ours_seconds = time.monotonic() - started
                # The last marks may still be on their way when the sink has every message.
                settle = time.monotonic() + 10
                while (Delivery.objects.filter(state=Delivery.State.SENT).count() < total
                       and time.monotonic() < settle):
                    time.sleep(0.05)
            finally:
                worker.kill()
            delivered = sink.count()
            sent = Delivery.objects.filter(state=Delivery.State.SENT).count()
        # Baseline: as many messages of the same size over one smtplib connection.
        sample = sink.accepted[0][1] if sink.accepted else b"Subject: x\r\n\r\nx"
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", server.port) as client:
            for address in emails:
                client.sendmail(settings.DEFAULT_FROM_EMAIL, [address], sample)
        base_seconds = time.monotonic() - started
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ours_rate, base_rate = delivered / ours_seconds, total / base_seconds
    ratio = ours_rate / base_rate
    return ratio, (f"{ours_rate:.0f}/s vs smtplib {base_rate:.0f}/s = {ratio:.0%} "
                   f"({delivered} delivered, {sent} marked sent)")


# --- 6. Memory of the largest export -------------------------------------------------------

# Each size multiplies the one before it inside one transaction that is rolled back.
EXPORT_SIZES = (1, 10, 30)


def export_peak(kind: str, chapter, start, end, form: str) -> tuple[int, int]:
    """Peak Python memory while producing an export as the reports view does, and its rows."""
    from django.http import FileResponse

    from reports import exports

    rows = 0

    def counted(table):
        nonlocal rows
        for row in table:
            rows += 1
            yield row

    table = counted(exports.table(kind, chapter=chapter, start=start, end=end))
    tracemalloc.start()
    tracemalloc.reset_peak()
    if form == "csv":
        for _line in exports.csv_lines(table):
            pass
    else:
        with exports.xlsx_file(table, exports.TITLES[kind]) as handle:
            for _block in iter(lambda: handle.read(FileResponse.block_size), b""):
                pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, rows


def bench_exports(chapter) -> None:
    """Every export of the largest chapter at each of EXPORT_SIZES."""
    from django.db import transaction

    from reports import exports

    # Memory is bounded by the rows fetched per round trip (exports.CHUNK): a 1x export
    # smaller than that bound says nothing, so the growth between the two largest sizes is
    # the real test. PALMS and attendance hold one row per member by design (sorted, with
    # totals), and data_multiply multiplies the members too.
    sizes = ", ".join(f"{size}x" for size in EXPORT_SIZES)
    say(f"\n6. Peak memory of the largest chapter's exports, at {sizes} its size")
    end = datetime.date.today()
    start = end - datetime.timedelta(weeks=26 * 10 + 4)
    kinds = ("slips", "attendance", "palms")
    measures = [(kind, form) for kind in kinds for form in exports.FORMATS]
    peaks: dict[tuple[str, str], list[tuple[int, int]]] = {measure: [] for measure in measures}

    def measure_all() -> None:
        for kind, form in measures:
            peaks[kind, form].append(export_peak(kind, chapter, start, end, form))

    measure_all()  # once unrecorded, so first-use imports and caches do not inflate 1x
    for figures in peaks.values():
        figures.clear()
    measure_all()
    with transaction.atomic():
        for smaller, larger in itertools.pairwise(EXPORT_SIZES):
            data_multiply(chapter, larger // smaller)
            measure_all()
        transaction.set_rollback(True)
    for kind, form in measures:
        figures = peaks[kind, form]
        rows = " -> ".join(str(count) for _, count in figures)
        memory = ", ".join(
            f"{peak / 1e6:.1f} MB at {size}x"
            for (peak, _), size in zip(figures, EXPORT_SIZES, strict=True)
        )
        growths = [later[0] / earlier[0] for earlier, later in itertools.pairwise(figures)]
        steps = " then ".join(f"{growth:.2f}x" for growth in growths)
        if kind == "slips":
            verdict = "flat" if max(growths) < 2 else "GROWS WITH SIZE"
        else:
            # One row per member is held (sorted by name, with totals); the members grow too.
            members = figures[-1][1] / figures[0][1]
            total = figures[-1][0] / figures[0][0]
            verdict = (
                f"per member: {total:.1f}x for {members:.0f}x the members"
                if total < members
                else "GROWS FASTER THAN THE MEMBERS"
            )
        record(
            "Export memory",
            f"{exports.TITLES[kind].lower()} {form.upper()} ({rows} rows)",
            f"{memory}; growth {steps}",
            verdict,
        )


# --- 7. Memory and time of refusing each spreadsheet bomb ------------------------------------

BOMB_GOAL_MB = 50


def bomb_peak(read, content: bytes) -> tuple[int, float, str]:
    """Peak Python memory (above what was held before) and seconds to read `content` as an
    upload is read, and the refusal's words."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        read(content)
        answer = "ACCEPTED"
    except Exception as refusal:  # the refusal is what is measured
        answer = str(refusal)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, seconds, answer


def bench_spreadsheet_bombs() -> None:
    """Each crafted file of tests/spreadsheet_bombs.py through both imports' reading."""
    from members import roster_import
    from reports import imports
    from tests import spreadsheet_bombs

    say("\n7. Peak memory growth refusing each spreadsheet bomb (both imports)")
    readers = {
        "roster": lambda name: lambda content: roster_import.parse_roster(name, content),
        "report": lambda name: lambda content: imports.read_table(content, name),
    }
    for bomb, (filename, build) in spreadsheet_bombs.BOMBS.items():
        content = build()  # the request's own bytes are not the reading's growth
        for reader, make in readers.items():
            peak, seconds, answer = bomb_peak(make(filename), content)
            verdict = ("met" if peak < BOMB_GOAL_MB * 1e6 and answer != "ACCEPTED"
                       else "NOT MET")
            record(
                "Spreadsheet bombs",
                f"{bomb} ({len(content) / 1e3:,.0f} kB), {reader} import",
                f"+{peak / 1e6:.1f} MB, {seconds:.2f} s: {answer[:60]}",
                f"< {BOMB_GOAL_MB} MB and refused: {verdict}",
            )


# --- 8. A mix of members and leaders under Locust ------------------------------------------

LOAD_CHAPTERS = int(os.environ.get("BENCH_LOAD_CHAPTERS", "30"))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", "36"))  # a third each: members, leaders, bare
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "180"))


def bench_load() -> None:
    """Members (dashboard, inbox, log a slip) and leaders (attendance marks, weekly report,
    PALMS) of many chapters, and as many people opening the simplest signed-in page, all at
    once against gunicorn with 4 workers; the mix's rate per user and p95 against the bare
    page's under that same load."""
    import csv
    import json

    from django.utils import timezone

    from chapters.models import Chapter
    from meetings.services import meeting_for_slip
    from members.models import Member
    from referrals.models import Referral

    section = "Load (Locust)"
    say(f"\n8. A mix of members and leaders under Locust ({LOAD_USERS} users, {LOAD_SECONDS} s, "
        "gunicorn 4 workers)")
    locust = Path(sys.executable).parent / "locust"
    if not locust.exists():
        record(section, "all", "not measured", "locust missing: pip install -e '.[bench]'")
        return
    plans = []
    for chapter in Chapter.objects.order_by("pk")[:LOAD_CHAPTERS]:
        leader, member = people(chapter)
        receiver = (
            Member.objects.active().filter(chapter=chapter).exclude(pk=member.pk)
            .values_list("pk", flat=True).first()
        )
        plans.append((chapter.slug, leader, member, receiver, meeting_for_slip(chapter).pk))
    folder = VAR / "bench" / "load"
    folder.mkdir(parents=True, exist_ok=True)
    load_started = timezone.now()
    try:
        with gunicorn_serving(workers=4) as base:
            found = {"members": [], "leaders": []}
            for slug, leader, member, receiver, meeting in plans:
                for kind, person in (("members", member), ("leaders", leader)):
                    cookie, csrf = sign_in(base, person.user.email)
                    found[kind].append({"cookie": cookie, "csrf": csrf, "slug": slug,
                                        "receiver": receiver, "meeting": meeting})
            (folder / "people.json").write_text(json.dumps(found))
            subprocess.run(
                [str(locust), "-f", str(ROOT / "tests" / "locustfile.py"), "--headless",
                 "--users", str(LOAD_USERS), "--spawn-rate", str(LOAD_USERS),
                 "--run-time", f"{LOAD_SECONDS}s", "--host", base, "--csv",
                 str(folder / "load"), "--only-summary", "--loglevel", "WARNING"],
                cwd=ROOT, env=dict(os.environ, BENCH_PEOPLE=str(folder / "people.json")),
                check=False, timeout=LOAD_SECONDS + 300,
            )
    finally:
        # The slips the load posted go, so the next run measures the same region.
        Referral.objects.filter(notes="bench", created_at__gte=load_started).delete()
    with open(folder / "load_stats.csv") as handle:
        stats = {row["Name"]: row for row in csv.DictReader(handle)}
    bare_name = "bare: own profile form"
    bare = stats[bare_name]
    bare_rate, bare_p95 = float(bare["Requests/s"]), float(bare["95%"])
    mix = {name: row for name, row in stats.items() if name.startswith(("member:", "leader:"))}
    # Two classes of users make the mix, one the bare page, each a third of the users.
    mix_rate = sum(float(row["Requests/s"]) for row in mix.values()) / 2
    failures = sum(int(row["Failure Count"]) for name, row in stats.items() if name != "Aggregated")
    record(section, "bare signed-in page (own profile form)",
           f"{bare_rate:.0f} req/s, p95 {bare_p95:.0f} ms", "baseline")
    for name, row in sorted(mix.items()):
        p95 = float(row["95%"])
        record(section, name, f"{float(row['Requests/s']):.1f} req/s, p95 {p95:.0f} ms = "
               f"{p95 / bare_p95:.1f}x the bare page's", "goal <= 5x" if p95 <= 5 * bare_p95
               else "ABOVE GOAL (5x)")
    worst = max(float(row["95%"]) for row in mix.values())
    verdict = "meets" if worst <= 5 * bare_p95 and not failures else "MISSES"
    record(section, "the mix, per user against the bare page's users",
           f"{mix_rate / bare_rate:.0%} of the rate; worst p95 {worst / bare_p95:.1f}x; "
           f"{failures} failed requests", f"{verdict} (goal: p95 within 5x, no errors)")


# --- The table ----------------------------------------------------------------------------


def table_write() -> str:
    machine = (
        f"{platform.node()}: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}, {datetime.datetime.now():%Y-%m-%d %H:%M}"
    )
    lines = [
        "# Chapterhouse benchmark",
        "",
        f"Machine: {machine}",
        "",
        "| section | measure | figure | verdict |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in RESULTS]
    text = "\n".join(lines) + "\n"
    (VAR / "bench.md").write_text(text)
    return text


def main() -> None:
    VAR.mkdir(exist_ok=True)
    only = set(os.environ.get("BENCH_ONLY", "").replace(" ", "").split(",")) - {""}
    if only == {"7"}:
        # Reading files needs no database: no region to seed.
        django_setup()
        bench_spreadsheet_bombs()
        say("\n" + table_write())
        return
    database_ensure()
    django_setup()
    region_seed()
    from meetings.services import meeting_for_slip

    chapter = largest_chapter()
    leader, member = people(chapter)
    meeting = meeting_for_slip(chapter)
    say(f"Largest chapter: {chapter.name} ({chapter.size} active members)")
    # By the numbers the sections print; 3 and 4 are measured together.
    sections = [
        ({"1"}, lambda: bench_queries(chapter, meeting, leader, member)),
        ({"2"}, lambda: bench_gunicorn(chapter, meeting, leader, member)),
        ({"3", "4"}, lambda: bench_tallies_and_palms(chapter)),
        ({"5"}, bench_reminders),
        ({"6"}, lambda: bench_exports(chapter)),
        ({"7"}, bench_spreadsheet_bombs),
        ({"8"}, bench_load),
    ]
    for numbers, section in sections:
        if not only or numbers & only:
            section()
    say("\n" + table_write())
    say(f"Written to {VAR / 'bench.md'}")


if __name__ == "__main__":
    main()
