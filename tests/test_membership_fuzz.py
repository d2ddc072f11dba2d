"""The leaders' forms the other fuzz suites do not reach, driven by Hypothesis with hostile input
(the project's form fuzzer, tests/test_form_fuzzing.py): a member's lifecycle (renew, leave,
back from leave, suspend, drop, reinstate, transfer, anonymise), the roster and reports imports
with hostile files, the import preview, attendance corrections of a completed week, and the
other leaders' forms (application decisions, visitor follow-up, the attendance sheet, completing
the report, resending an email, opening a chapter) and the account pages. Never a 500, never
unescaped script; a refused form says why and keeps what was typed."""

import csv
import datetime
import io
import math
import re
import zipfile
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from hypothesis import strategies as st

from meetings import services as meeting_services
from meetings.models import Meeting
from members import membership, roster_import
from members.models import Application, Member, RosterImport
from notifications.models import Delivery, NotificationKind
from reports import imports
from reports.models import ImportBatch
from tests import clock, factories
from tests.test_form_fuzzing import (
    HOSTILE_TEXT,
    SCRIPT,
    assert_shown_safely,
    fuzz_page,
)
from tests.world import World, build_world

pytestmark = pytest.mark.django_db


def person(world: World, role: str):
    return {
        "president": world.president.user,
        "vice_president": world.vice_president.user,
        "admin": world.admin,
    }[role]


def refused_with_reason(payload, response):
    """A refused action shows the page again with why (never a bare error page)."""
    if response.status_code == 400:
        assert 'role="alert"' in response.content.decode(errors="replace")


# --- A member's lifecycle ---------------------------------------------------------------------


def _today(world: World) -> datetime.date:
    return world.chapter.today()


def active(world: World) -> None:
    """The member as built: active, renewal due in a few months."""


def on_leave(world: World) -> None:
    today = _today(world)
    membership.leave_start(member=world.member, by=world.president.user, starts_on=today,
                           ends_on=today + datetime.timedelta(days=30), reason=SCRIPT)


def leave_arranged(world: World) -> None:
    today = _today(world)
    membership.leave_start(member=world.member, by=world.president.user,
                           starts_on=today + datetime.timedelta(days=7),
                           ends_on=today + datetime.timedelta(days=40), reason="Surgery")


def suspended(world: World) -> None:
    membership.membership_suspend(member=world.member, by=world.president.user, reason=SCRIPT)


def dropped(world: World) -> None:
    membership.membership_drop(member=world.member, by=world.president.user, reason=SCRIPT)


# Fields no action has, added by a hostile post: the only input of the bare buttons.
STRAY = {"stray": HOSTILE_TEXT, "next": HOSTILE_TEXT}

# (id, the action's URL name, the member's state, who may act: members/views_membership.py)
LIFECYCLE = [
    ("renew", "membership_renew", active, "president"),
    ("renew-suspended", "membership_renew", suspended, "vice_president"),
    ("leave", "membership_leave", active, "vice_president"),
    ("back-from-leave", "membership_leave_end", on_leave, "president"),
    ("cancel-arranged-leave", "membership_leave_end", leave_arranged, "vice_president"),
    ("suspend", "membership_suspend", active, "president"),
    ("suspend-on-leave", "membership_suspend", on_leave, "president"),
    ("drop", "membership_drop", active, "vice_president"),
    ("drop-suspended", "membership_drop", suspended, "president"),
    ("reinstate-suspended", "membership_reinstate", suspended, "president"),
    ("reinstate-dropped", "membership_reinstate", dropped, "vice_president"),
    ("transfer", "membership_transfer", active, "admin"),
    ("anonymise", "membership_anonymise", dropped, "admin"),
]


@pytest.mark.parametrize(("case", "action", "state", "role"), LIFECYCLE,
                         ids=[case[0] for case in LIFECYCLE])
def test_every_lifecycle_action_survives_hostile_input(client, case, action, state, role):
    world = build_world()
    state(world)
    slug, pk = world.chapter.slug, world.member.pk
    client.force_login(person(world, role))
    detail = reverse("membership_detail", args=[slug, pk])
    shown_on = [
        detail,
        reverse("membership_list", args=[slug]) + "?show=all",
        reverse("audit_list", args=[slug]) + f"?member={pk}",
        reverse("roster", args=[slug]),
    ]
    if role == "admin":
        shown_on.append(reverse("membership_list", args=[world.other_chapter.slug]))
    fuzz_page(client, detail, action=reverse(action, args=[slug, pk]), extra=STRAY,
              shown_on=shown_on, check=refused_with_reason, examples=20)


# --- Hostile files ------------------------------------------------------------------------------
# Each case attacks one column: every other cell is good, so the rows get past the checks to the
# code behind them (a file hostile everywhere is refused at its first cell). One more case per
# import sends files that are no report at all.

TODAY = clock.TEST_NOW.date()
RECENT_DAYS = st.sampled_from(
    [(TODAY - datetime.timedelta(days=days)).isoformat() for days in (3, 10, 40, 200)]
)
FAR_DATES = st.sampled_from([
    "9999-12-31", "0001-01-01", "31/12/9999", "1/1/1", "29/02/1900", "Jan 1, 9999",
    "31 Dec 9999", "32/13/2024", "2024-02-30", "12/31/99999",
])
HOSTILE_DATES = st.one_of(FAR_DATES, st.dates().map(datetime.date.isoformat), HOSTILE_TEXT)
HOSTILE_AMOUNTS = st.one_of(
    st.sampled_from([
        "99999999999999999999.99", "9" * 40, "1" + "0" * 12, "999999999999.99", "-1500",
        "-0.01", "1e309", "NaN", "1,5", "£1,500.50", "1.2.3", "--", "0", "\x00", SCRIPT,
    ]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
# Names a browser would not send; some lose their extension on the way, so they are rare.
HOSTILE_STEMS = st.sampled_from([
    SCRIPT, "x" * 300, "\u202ecod.exe", "../../etc/passwd", "nul\x00byte",
    "quo\"te", "semi;colon", "ﷺ𝕏🏳️‍🌈", " ",
])


def _csv(rows: list[list], encoding: str, delimiter: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def typed(cell: str):
        """Dates and numbers as a spreadsheet holds them; control characters out (openpyxl
        refuses them, as a real spreadsheet cannot hold them)."""
        for read in (datetime.date.fromisoformat, int, float):
            try:
                value = read(cell)
            except (ValueError, OverflowError):
                continue
            if not isinstance(value, float) or math.isfinite(value):
                return float(value) if isinstance(value, int) and abs(value) > 2**53 else value
        return ILLEGAL_CHARACTERS_RE.sub("", cell)

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append([typed(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xls(rows: list[list]) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Report")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, str(value)[:32_000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _not_a_workbook_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", SCRIPT)
    return out.getvalue()


# Files that are no table at all: (content, extension).
BROKEN_FILES = st.tuples(
    st.one_of(
        st.binary(max_size=2_000),
        st.sampled_from([
            b"", b"\x00" * 64, b"\n\n\n", b"PK\x03\x04" + b"\x00" * 40, _not_a_workbook_zip(),
            "First name,Last name\nÄ,Ö\n".encode("utf-16"), b"\xff\xfe\x00\x00",
            b'"unterminated,quote\n' * 3, "\u202e,\u202c\n".encode(),
        ]),
    ),
    st.sampled_from([".csv", ".xlsx", ".xls"]),
)


@dataclass(frozen=True)
class Column:
    name: str
    good: st.SearchStrategy
    hostile: st.SearchStrategy


@st.composite
def attacked(draw, columns: list[Column], targets, *, headings=None, one_each=None):
    """A table of these columns (under `headings`, or their names): every cell good but in the
    target columns, whose every cell is hostile. `one_each=(name, values)` gives one row for
    each value of that column (a slip of every type), so the attack reaches every kind of row."""
    cells = st.tuples(*[c.hostile if c.name in targets else c.good for c in columns])
    header = headings or [c.name for c in columns]
    if one_each is None:
        return header, draw(st.lists(cells.map(list), min_size=1, max_size=5))
    name, values = one_each
    rows = [list(draw(cells)) for _ in values]
    if name not in targets:
        position = [c.name for c in columns].index(name)
        for row, value in zip(rows, values, strict=True):
            row[position] = value
    return header, rows


# Tables no import knows: other headings, or none at all.
UNKNOWN_TABLES = st.tuples(
    st.sampled_from([["Something", "Else"], [SCRIPT, SCRIPT], ["", ""]]),
    st.lists(st.lists(HOSTILE_TEXT, min_size=2, max_size=2), max_size=3),
)


@st.composite
def hostile_upload(draw, tables=None, formats=(".csv", ".xlsx")):
    """A table written as CSV (any encoding and delimiter) or as a spreadsheet. Without
    `tables`, a file that is no report: random bytes, a damaged workbook, an empty file, UTF-16
    text, unknown headings. Now and then under a hostile name or another extension."""
    table = None
    if tables is None and draw(st.booleans(), label="broken"):
        content, extension = draw(BROKEN_FILES, label="broken file")
    else:
        header, rows = draw(UNKNOWN_TABLES if tables is None else tables, label="table")
        extension = draw(st.sampled_from(formats), label="format")
        table = [header, *rows]
        if extension == ".csv":
            content = _csv(table, draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])),
                           draw(st.sampled_from([",", ";", "\t"])))
        elif extension == ".xlsx":
            content = _xlsx(table)
        else:
            content = _xls(table)
    if draw(once_in(8), label="other extension"):
        extension = draw(st.sampled_from([".txt", ".CSV", "", ".csv.exe"]))
    stem = draw(HOSTILE_STEMS) if draw(once_in(6), label="hostile name") else "report"
    return Upload(stem + extension, content, table)


def once_in(n: int) -> st.SearchStrategy[bool]:
    """True once in n draws, or so."""
    return st.sampled_from([False] * (n - 1) + [True])


class Upload(SimpleUploadedFile):
    """An uploaded file that a failing example shows with its table (or its bytes)."""

    def __init__(self, name: str, content: bytes, table: list | None = None):
        super().__init__(name, content, content_type="application/octet-stream")
        self.table = table

    def __repr__(self):
        return f"Upload({self.name!r}, {self.table or self.file.getvalue()[:2_000]!r})"


def file_errors(html: str) -> list[str]:
    return [strip_tags(error).strip() for error in
            re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)]


def upload_refused_clearly(batches):
    """A refused upload keeps nothing and shows a readable reason; an accepted one goes to its
    preview."""
    before = batches.count()

    def check(payload, response):
        if response.status_code == 400:
            errors = file_errors(response.content.decode(errors="replace"))
            assert errors and all(errors), payload["file"].name
            assert not any("Traceback" in error for error in errors), errors
            assert batches.count() == before
        elif response.status_code == 302:
            assert resolve(response.url).kwargs.get("batch_id"), response.url

    return check


# --- The roster import -------------------------------------------------------------------------

ROSTER_COLUMNS = [
    Column("First name", st.sampled_from(["Rob", "Ådne", "Siobhán"]), HOSTILE_TEXT),
    Column("Last name", st.sampled_from(["Row", "O'Brien", "van der Berg"]), HOSTILE_TEXT),
    Column("Email", st.integers(min_value=0, max_value=10**6).map(lambda n: f"n{n}@example.test"),
           st.one_of(
               st.sampled_from(["member@example.test", "MEMBER@example.test",
                                "president@example.test", f"{SCRIPT}@example.test", "a@b"]),
               st.integers(200, 400).map(lambda n: "x" * n + "@example.test"),  # too long
               HOSTILE_TEXT,
           )),
    Column("Phone", st.sampled_from(["", "+44 20 7946 0000", "(0)20-7946.0000"]),
           st.one_of(HOSTILE_TEXT, st.just("1" * 40))),
    Column("Business", st.sampled_from(["Rob's Pipes Ltd", "Row & Co"]), HOSTILE_TEXT),
    Column("Classification", st.sampled_from(["Plumbing", "catering ", "Wedding Photography"]),
           HOSTILE_TEXT),
    Column("Industry", st.sampled_from(["", "Trades"]), HOSTILE_TEXT),
    Column("Joined", st.sampled_from(["", "2024-01-31", "31/01/2024", "1 Feb 2024"]),
           HOSTILE_DATES),
    Column("Renewal due", st.sampled_from(["", (TODAY + datetime.timedelta(days=100)).isoformat()]),
           HOSTILE_DATES),
]
ROSTER_ALIASES = ["Forename", "Surname", "E-mail", "Mobile", "Company", "Category", "Industry",
                  "Member since", "Renewal date"]
REQUIRED_ONLY = [ROSTER_COLUMNS[i] for i in (0, 1, 2, 4, 5)]


def roster_tables(target: str) -> st.SearchStrategy:
    """Rosters attacked in one column, under the import's headings or other names for them."""
    layouts = [attacked(ROSTER_COLUMNS, {target}),
               attacked(ROSTER_COLUMNS, {target}, headings=ROSTER_ALIASES)]
    if any(column.name == target for column in REQUIRED_ONLY):
        layouts.append(attacked(REQUIRED_ONLY, {target}, headings=[
            column.name.lower().replace(" ", "_") for column in REQUIRED_ONLY]))
    return st.one_of(layouts)


ROSTER_CASES = [(column.name, roster_tables(column.name)) for column in ROSTER_COLUMNS]
ROSTER_CASES.append(("not a roster", None))


@pytest.mark.parametrize(("attacked_column", "tables"), ROSTER_CASES,
                         ids=[case[0] for case in ROSTER_CASES])
def test_roster_upload_survives_hostile_files(client, attacked_column, tables):
    world = build_world()
    for name in ("Plumbing", "Catering"):
        factories.classification(name)
    slug = world.chapter.slug
    client.force_login(world.president.user)
    upload = reverse("roster_import_upload", args=[slug])
    refused = upload_refused_clearly(RosterImport.objects.filter(chapter=world.chapter))

    def check(payload, response):
        refused(payload, response)
        if response.status_code == 302:
            # Confirm the dry run and do the worker's part: the new members are shown safely.
            batch_id = resolve(response.url).kwargs["batch_id"]
            confirm = client.post(reverse("roster_import_confirm", args=[slug, batch_id]))
            assert confirm.status_code < 500
            roster_import.roster_import_execute(batch_id=batch_id)
            assert_shown_safely(client, response.url)

    fuzz_page(
        client, upload,
        extra={"file": hostile_upload(tables)},
        shown_on=[upload, reverse("membership_list", args=[slug]) + "?show=all",
                  reverse("roster", args=[slug]), reverse("audit_list", args=[slug])],
        follow=True, check=check, examples=15 if tables is not None else 40,
    )


# --- The reports import (slips audit, attendance matrix) -------------------------------------

SLIP_COLUMNS = [
    Column("From", st.sampled_from(["Mia Moss", "Priya Patel", "Moss, Mia"]), HOSTILE_TEXT),
    Column("To", st.sampled_from(["Victor Vance", "Otto Olsen"]),  # Otto is of another chapter
           HOSTILE_TEXT),
    Column("Slip Type", st.sampled_from(["Referral", "TYFCB", "1-2-1", "CEU"]), HOSTILE_TEXT),
    Column("Inside/Outside", st.sampled_from(["Tier 1 (inside)", "Tier 2 (outside)"]),
           HOSTILE_TEXT),
    Column("TYFCB", st.sampled_from(["1500", "£1,250.50", "0.01"]), HOSTILE_AMOUNTS),
    Column("CEU Credits", st.sampled_from(["", "1", "2"]), HOSTILE_AMOUNTS),
    Column("Detail", st.sampled_from(["", "Good lead", "Week: 2024-01-02; Notes: Hot"]),
           st.one_of(HOSTILE_TEXT, st.tuples(HOSTILE_DATES, HOSTILE_AMOUNTS, HOSTILE_TEXT).map(
               lambda t: f"Week: {t[0]}; Received week: {t[0]}; Temperature: {t[1]}; "
                         f"Met on: {t[0]}; Earned on: {t[0]}; Notes: {t[2]}"))),
    Column("Date", st.one_of(RECENT_DAYS, st.just("")), HOSTILE_DATES),
]
SLIP_TYPES = ("Slip Type", ["Referral", "TYFCB", "One-to-One", "Visitor", "CEU", "Testimonial"] * 2)


def slip_tables(target: str) -> st.SearchStrategy:
    """Slips audits attacked in one column: ours (with a Date), the official one, and one
    under other headings."""
    layouts = [attacked(SLIP_COLUMNS, {target}, one_each=SLIP_TYPES)]
    if target != "Date":
        layouts.append(attacked(SLIP_COLUMNS[:7], {target}, one_each=SLIP_TYPES))
    if target in ("From", "To", "Slip Type", "Inside/Outside", "TYFCB"):
        layouts.append(attacked(SLIP_COLUMNS[:5], {target}, one_each=SLIP_TYPES,
                                headings=["Giver", "Receiver", "Type", "Tier", "Amount"]))
    return st.one_of(layouts)


CODES = st.sampled_from(["P", "A", "L", "M", "S", "p", ""])
HOSTILE_CODES = st.one_of(st.sampled_from(["X", "Holiday", "PP"]), HOSTILE_TEXT)
MEMBER_NAMES = ["Mia Moss", "Victor Vance", "Priya Patel", "Moss, Mia", "Otto Olsen"]


@st.composite
def attendance_tables(draw, target: str):
    """The PALMS matrix attacked in its names, its letters or its dates, or listing a member
    twice: a name column (or first and last name), then one column per meeting date."""
    days = draw(st.lists(HOSTILE_DATES if target == "dates" else RECENT_DAYS, min_size=1,
                         max_size=3, unique=True), label="dates")
    codes = [Column(day, CODES, HOSTILE_CODES) for day in days]
    targets = {"names": {"Name", "First Name", "Last Name"}, "letters": set(days)}.get(target, ())
    if target != "a name twice" and draw(st.booleans(), label="first and last name"):
        first = Column("First Name", st.sampled_from(["Mia", "Victor"]), HOSTILE_TEXT)
        last = Column("Last Name", st.sampled_from(["Moss", "Vance"]), HOSTILE_TEXT)
        return draw(attacked([first, last, *codes], targets))
    # Everyone by name (and Otto, of another chapter); Mia Moss twice, as "Moss, Mia" too.
    return draw(attacked([Column("Name", st.sampled_from(MEMBER_NAMES), HOSTILE_TEXT), *codes],
                         targets, one_each=("Name", MEMBER_NAMES)))


REPORT_CASES = [
    *[(ImportBatch.Kind.SLIPS, column.name, slip_tables(column.name)) for column in SLIP_COLUMNS],
    (ImportBatch.Kind.SLIPS, "not a report", None),
    *[(ImportBatch.Kind.ATTENDANCE, target, attendance_tables(target))
      for target in ("names", "letters", "dates", "a name twice")],
    (ImportBatch.Kind.ATTENDANCE, "not a report", None),
]


@pytest.mark.parametrize(("kind", "attacked_column", "tables"), REPORT_CASES,
                         ids=[f"{case[0]}-{case[1]}" for case in REPORT_CASES])
def test_reports_import_survives_hostile_files(client, kind, attacked_column, tables):
    world = build_world()
    slug = world.chapter.slug
    client.force_login(world.vice_president.user)
    upload = reverse("reports_import", args=[slug])
    refused = upload_refused_clearly(ImportBatch.objects.filter(chapter=world.chapter))

    def check(payload, response):
        refused(payload, response)
        if response.status_code == 302:
            # Import what the preview offers, for the week of the chapter's meeting.
            confirmed = client.post(response.url, {"week": world.meeting.local_date.isoformat()})
            assert confirmed.status_code < 500, payload["file"].name
            assert_shown_safely(client, response.url)

    fuzz_page(
        client, upload,
        extra={"kind": once_in(8).map(lambda forged: SCRIPT if forged else kind),
               "file": hostile_upload(tables, (".csv", ".xlsx", ".xls"))},
        shown_on=[upload, reverse("reports_palms", args=[slug]),
                  reverse("slip_hub", args=[slug]), reverse("meeting_list", args=[slug])],
        follow=True, check=check, examples=15 if tables is not None else 40,
    )


def test_reports_import_preview_survives_hostile_weeks(client):
    """The preview's one field, the week for rows without a date."""
    world = build_world()
    slug = world.chapter.slug
    rows = [["Mia Moss", "Victor Vance", kind, "Tier 1 (inside)", "1500", "1", SCRIPT]
            for kind in ("Referral", "TYFCB", "One-to-One", "Testimonial", "CEU")]
    rows.append(["Victor Vance", SCRIPT, "Visitor", "", "", "", SCRIPT])
    batch = imports.batch_create(
        chapter=world.chapter, kind=ImportBatch.Kind.SLIPS, filename=f"{SCRIPT}.csv",
        content=_csv([[c.name for c in SLIP_COLUMNS[:7]], *rows], "utf-8", ","),
        user=world.president.user,
    )
    client.force_login(world.president.user)
    preview = reverse("reports_import_preview", args=[slug, batch.pk])
    fuzz_page(
        client, preview,
        shown_on=[preview, reverse("reports_import", args=[slug]),
                  reverse("reports_palms", args=[slug]) + "?preset=custom&start=0001-01-01"
                  "&end=9999-12-31&provisional=on",
                  reverse("slip_hub", args=[slug]), reverse("meeting_list", args=[slug])],
        follow=True, examples=30,
    )


# --- Attendance corrections of a completed week -----------------------------------------------


def completed_week(world: World) -> Meeting:
    """Last week's meeting, everyone marked (the member sent a substitute), then completed."""
    meeting = factories.meeting(world.chapter, world.meeting.local_date - datetime.timedelta(7))
    for member in Member.objects.current().for_chapter(world.chapter):
        meeting_services.attendance_mark(meeting=meeting, member=member, code="P",
                                         by=world.vice_president.user)
    meeting_services.attendance_mark(meeting=meeting, member=world.member, code="S",
                                     substitute_name=SCRIPT, by=world.vice_president.user)
    Meeting.objects.filter(pk=meeting.pk).update(
        report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=timezone.now()
    )
    return meeting


@pytest.mark.parametrize("marked", [True, False], ids=["marked", "not-marked"])
def test_attendance_correction_survives_hostile_input(client, marked):
    world = build_world()
    meeting = completed_week(world)
    who = world.member if marked else factories.member(world.chapter, first_name=SCRIPT)
    slug = world.chapter.slug
    client.force_login(world.vice_president.user)
    url = reverse("attendance_correct", args=[slug, meeting.pk, who.pk])
    fuzz_page(
        client, url,
        shown_on=[url, reverse("meeting_report", args=[slug, meeting.pk]),
                  reverse("attendance", args=[slug, meeting.pk]),
                  reverse("reports_palms", args=[slug])],
        examples=30,
    )


# --- The other leaders' forms ------------------------------------------------------------------


def test_application_decisions_survive_hostile_input(client):
    """Approve, decline and change the classification of an application."""
    world = build_world()
    application = Application.objects.create(
        chapter=world.chapter, first_name=SCRIPT, last_name="Applicant",
        email="ada@example.test", business_name=SCRIPT,
        classification=factories.classification("Bookkeeping"), note=SCRIPT,
    )
    slug = world.chapter.slug
    client.force_login(world.president.user)
    detail = reverse("application_detail", args=[slug, application.pk])
    fuzz_page(client, detail, examples=20, shown_on=[
        detail, reverse("application_list", args=[slug]) + "?show=all",
        reverse("audit_list", args=[slug]),
    ])


def test_visitor_follow_up_survives_hostile_input(client):
    world = build_world()
    slug = world.chapter.slug
    client.force_login(world.president.user)
    visitors = reverse("visitor_list", args=[slug])
    fuzz_page(client, visitors, examples=20, shown_on=[
        visitors, reverse("meeting_visitors", args=[slug, world.meeting.pk]),
    ])


def test_attendance_sheet_survives_hostile_input(client):
    """The one-tap PALMS buttons and the substitute's name, on a week still in draft."""
    world = build_world()
    slug = world.chapter.slug
    client.force_login(world.vice_president.user)
    sheet = reverse("attendance", args=[slug, world.meeting.pk])
    fuzz_page(client, sheet, examples=20, shown_on=[
        sheet, reverse("meeting_report", args=[slug, world.meeting.pk]),
        reverse("attendance_rows", args=[slug, world.meeting.pk]),
    ])


def test_completing_the_report_survives_hostile_input(client):
    """Completing last week's report (a button, and the absence-notice box when one is due)."""
    world = build_world()
    meeting = factories.meeting(world.chapter, world.meeting.local_date - datetime.timedelta(7))
    slug = world.chapter.slug
    client.force_login(world.vice_president.user)
    report = reverse("meeting_report", args=[slug, meeting.pk])
    fuzz_page(client, report, action=reverse("meeting_report_complete", args=[slug, meeting.pk]),
              extra={"send_absence_notices": st.sampled_from(["on", "", SCRIPT])},
              shown_on=[report, reverse("attendance", args=[slug, meeting.pk])], examples=10)


def test_resending_an_email_survives_hostile_input(client):
    """The resend button's hidden fields: the count the leader saw and where to go back."""
    world = build_world()
    delivery = Delivery.objects.create(
        chapter=world.chapter, meeting=world.meeting, member=world.member,
        kind=NotificationKind.REMINDER, state=Delivery.State.FAILED, last_error=SCRIPT,
    )
    slug = world.chapter.slug
    client.force_login(world.president.user)
    log = reverse("delivery_log", args=[slug])

    def stays_on_site(payload, response):
        if response.status_code == 302:
            assert response.url.startswith(log), response.url

    fuzz_page(client, log, action=reverse("delivery_resend", args=[slug, delivery.pk]),
              extra={"next": st.one_of(HOSTILE_TEXT, st.sampled_from([
                  "//evil.example/", "https://evil.example" + log, log + "?state=failed",
                  "javascript:alert(1)", log + "\\@evil.example"]))},
              check=stays_on_site, shown_on=[log], examples=20)


def test_opening_a_chapter_survives_hostile_input(client):
    world = build_world()
    client.force_login(world.admin)
    new = reverse("chapter_create")
    fuzz_page(client, new, examples=20, shown_on=[new, reverse("chapter_overview")])


# Signing in and the account's own pages (allauth's forms, with the project's templates).
ACCOUNT_PAGES = [
    ("sign-in", "account_login", None),
    ("password-reset", "account_reset_password", None),
    ("password-change", "account_change_password", "member"),
    ("email-addresses", "account_email", "member"),
    ("reauthenticate", "account_reauthenticate", "member"),
    ("two-factor", "mfa_activate_totp", "member"),
]


@pytest.mark.parametrize(("page_id", "name", "role"), ACCOUNT_PAGES,
                         ids=[page[0] for page in ACCOUNT_PAGES])
def test_account_forms_survive_hostile_input(client, settings, page_id, name, role):
    settings.ACCOUNT_RATE_LIMITS = False  # the forms are fuzzed here, not the rate limits
    world = build_world()
    if role == "member":
        client.force_login(world.member.user)
        # Two-factor set-up asks for the password again first.
        client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    page = reverse(name)
    fuzz_page(client, page, examples=20, shown_on=[page])
