"""Exports leaders know from the official tool: the PALMS summary, the slips audit and the
attendance matrix, as CSV or XLSX, streamed so a large chapter or range stays in bounded memory.

The slips audit's Detail column starts with the week the slip counts for ("Week: 2026-01-07")
followed by what the columns do not hold, as "Key: value" pairs separated by "; " with the free
text last ("Notes: ..."), so reports.imports can read an export back exactly.
"""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from openpyxl import Workbook

from chapters.models import Chapter
from chapters.spreadsheets import formula_guard
from meetings.models import Attendance, Visitor
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou, Tier
from reports.models import ImportedSlip
from reports.palms import HEADERS as PALMS_HEADERS
from reports.palms import palms_rows, palms_totals, report_people, window_meetings

KINDS = ("palms", "slips", "attendance")
FORMATS = ("csv", "xlsx")
SLIPS_HEADERS = ["From", "To", "Slip Type", "Inside/Outside", "TYFCB", "CEU Credits", "Detail"]
ATTENDANCE_LEADING = ["First Name", "Last Name"]
TIER_LABELS = dict(Tier.choices)
# Rows fetched per round trip from a server-side cursor. An export holds about two chunks of
# rows at once (the last one while the next is fetched), whatever its size: at 2000, a large
# chapter's slips fitted in one chunk, so memory grew with the chapter up to ~2.5 MB. 250 is
# flat from 1x to 30x and no slower (tests/bench.py section 6).
CHUNK = 250


def _name(prefix: str):
    return Concat(F(f"{prefix}__user__first_name"), Value(" "), F(f"{prefix}__user__last_name"))


def detail(week: datetime.date, *pairs: tuple[str, object], notes: str = "") -> str:
    """The Detail cell: the week first, then the other facts, then the free text."""
    parts = [f"Week: {week.isoformat()}"]
    for key, value in pairs:
        if value not in (None, ""):
            text = value.isoformat() if isinstance(value, datetime.date) else str(value)
            parts.append(f"{key}: {' '.join(text.replace(';', ',').split())}")
    if notes:
        parts.append(f"Notes: {notes}")
    return "; ".join(parts)


# -- PALMS summary -------------------------------------------------------------------------

def palms_table(*, chapter, start, end, include_provisional=False) -> Iterator[list]:
    rows = palms_rows(chapter=chapter, start=start, end=end,
                      include_provisional=include_provisional)
    yield PALMS_HEADERS
    for row in rows:
        yield row.cells()
    yield palms_totals(rows).cells()


# -- Slips audit ---------------------------------------------------------------------------

def slips_table(*, chapter, start, end, include_provisional=False) -> Iterator[list]:
    """One row per slip counting in the chapter over the range, referrals first."""
    meetings = window_meetings(chapter=chapter, start=start, end=end,
                               include_provisional=include_provisional)
    ids = meetings.values("pk")
    yield SLIPS_HEADERS
    yield from _referrals(chapter, ids)
    yield from _thank_yous(chapter, ids)
    yield from _one_to_ones(chapter, ids)
    yield from _visitors(ids)
    yield from _ceus(ids)
    yield from _testimonials(ids)
    yield from _imported(ids)


def _weeks(chapter: Chapter, from_chapter: int, from_date, from_in_window: bool,
           to_chapter: int, to_date) -> tuple[datetime.date, datetime.date | None]:
    """The week a two-sided slip counts for here (the author's side when it is ours), and
    the other side's week when that is ours too and differs."""
    if from_chapter == chapter.pk and from_in_window:
        other = to_date if to_chapter == chapter.pk and to_date != from_date else None
        return from_date, other
    return to_date, None


def _two_sided(
    chapter, ids, model, author: str, other: str, other_meeting: str, fields: tuple[str, ...]
) -> Iterator[tuple[dict, datetime.date, datetime.date | None]]:
    """The slips with a side in the window (the author's meeting or the other member's): each
    row with the names of both sides and `fields`, its week here and the other side's week."""
    other_chapter, other_date = f"{other_meeting}__chapter_id", f"{other_meeting}__local_date"
    rows = (
        model.objects.filter(Q(meeting__in=ids) | Q(**{f"{other_meeting}__in": ids}))
        .annotate(from_name=_name(author), to_name=_name(other), in_window=Q(meeting__in=ids))
        .order_by("meeting__local_date", "pk")
        .values("from_name", "to_name", *fields, "meeting__chapter_id", "meeting__local_date",
                other_chapter, other_date, "in_window")
    )
    for row in rows.iterator(chunk_size=CHUNK):
        week, received = _weeks(chapter, row["meeting__chapter_id"], row["meeting__local_date"],
                                row["in_window"], row[other_chapter], row[other_date])
        yield row, week, received


def _referrals(chapter, ids) -> Iterator[list]:
    fields = ("tier", "temperature", "prospect_name", "prospect_phone", "prospect_email", "notes")
    for row, week, received in _two_sided(chapter, ids, Referral, "giver", "receiver",
                                          "receiver_meeting", fields):
        yield [row["from_name"], row["to_name"], "Referral", TIER_LABELS[row["tier"]], "", "",
               detail(week, ("Received week", received), ("Temperature", row["temperature"]),
                      ("Prospect", row["prospect_name"]), ("Phone", row["prospect_phone"]),
                      ("Email", row["prospect_email"]), notes=row["notes"])]


def _thank_yous(chapter, ids) -> Iterator[list]:
    fields = ("amount", "business_type", "notes")
    # As in the official report, a TYFCB names the member credited, never who thanked them.
    for row, week, received in _two_sided(chapter, ids, ThankYou, "thanked_by", "credited_to",
                                          "credited_meeting", fields):
        yield ["", row["to_name"], "TYFCB", "", row["amount"], "",
               detail(week, ("Received week", received), ("Business", row["business_type"]),
                      notes=row["notes"])]


def _one_to_ones(chapter, ids) -> Iterator[list]:
    fields = ("met_on", "location", "notes")
    for row, week, received in _two_sided(chapter, ids, OneToOne, "member", "met_with",
                                          "met_with_meeting", fields):
        yield [row["from_name"], row["to_name"], "One-to-One", "", "", "",
               detail(week, ("Received week", received), ("Met on", row["met_on"]),
                      ("Where", row["location"]), notes=row["notes"])]


def _visitors(ids) -> Iterator[list]:
    rows = (
        Visitor.objects.filter(meeting__in=ids, attended=True)
        .annotate(from_name=_name("invited_by"))
        .order_by("meeting__local_date", "pk")
        .values_list("from_name", "name", "company", "classification__name",
                     "classification_text", "email", "phone", "notes", "meeting__local_date")
    )
    for (inviter, name, company, classification, classification_text, email, phone, notes,
         week) in rows.iterator(chunk_size=CHUNK):
        yield [(inviter or "").strip(), name, "Visitor", "", "", "", detail(
            week, ("Company", company), ("Classification", classification or classification_text),
            ("Email", email), ("Phone", phone), notes=notes)]


def _ceus(ids) -> Iterator[list]:
    rows = (
        CEU.objects.filter(meeting__in=ids)
        .annotate(from_name=_name("member"))
        .order_by("meeting__local_date", "pk")
        .values_list("from_name", "credits", "description", "earned_on", "meeting__local_date")
    )
    for member, credits, description, earned_on, week in rows.iterator(chunk_size=CHUNK):
        yield [member, "", "CEU", "", "", credits, detail(
            week, ("Earned on", earned_on), notes=description)]


def _testimonials(ids) -> Iterator[list]:
    rows = (
        Testimonial.objects.filter(meeting__in=ids)
        .annotate(from_name=_name("giver"), to_name=_name("about"))
        .order_by("meeting__local_date", "pk")
        .values_list("from_name", "to_name", "text", "meeting__local_date")
    )
    for giver, about, text, week in rows.iterator(chunk_size=CHUNK):
        yield [giver, about, "Testimonial", "", "", "", detail(week, notes=text)]


def _imported(ids) -> Iterator[list]:
    """History imported with the other side outside the chapter, written as it came in."""
    rows = (
        ImportedSlip.objects.filter(meeting__in=ids)
        .annotate(member_name=_name("member"))
        .order_by("meeting__local_date", "pk")
        .values_list("member_name", "counterpart_name", "kind", "tier", "amount", "detail",
                     "meeting__local_date")
    )
    kind = ImportedSlip.Kind
    for member, other, slip_kind, tier, amount, text, week in rows.iterator(chunk_size=CHUNK):
        tier_label = TIER_LABELS.get(tier, "")
        if slip_kind == kind.REFERRAL_GIVEN:
            row = [member, other, "Referral", tier_label, ""]
        elif slip_kind == kind.REFERRAL_RECEIVED:
            row = [other, member, "Referral", tier_label, ""]
        elif slip_kind == kind.TYFCB_CREDITED:
            row = ["", member, "TYFCB", "", amount]  # who thanked is never named
        elif slip_kind == kind.TYFCB_THANKED:
            row = ["", other, "TYFCB", "", amount]
        elif slip_kind == kind.ONE_TO_ONE_MET:
            row = [other, member, "One-to-One", "", ""]
        else:
            row = [member, other, "One-to-One", "", ""]
        yield [*row, "", f"Week: {week.isoformat()}" + (f"; {text}" if text else "")]


# -- Attendance matrix ---------------------------------------------------------------------

def attendance_table(*, chapter, start, end, include_provisional=False) -> Iterator[list]:
    """One row per member, one column per counted meeting, a PALMS letter in each cell."""
    meetings = window_meetings(chapter=chapter, start=start, end=end,
                               include_provisional=include_provisional)
    dates = sorted(meetings.values_list("local_date", flat=True))
    column = {day: index for index, day in enumerate(dates)}
    yield ATTENDANCE_LEADING + dates
    marked = set(
        Attendance.objects.filter(meeting__in=meetings.values("pk"))
        .values_list("member_id", flat=True).distinct()
    )
    people = report_people(chapter=chapter, counts=dict.fromkeys(marked, {}))
    codes = (
        Attendance.objects.filter(meeting__in=meetings.values("pk"))
        .order_by("member__user__first_name", "member__user__last_name", "member_id",
                  "meeting__local_date")
        .values_list("member_id", "meeting__local_date", "code")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(codes, None)
    for person in people:
        cells = [""] * len(dates)
        while pending is not None and pending[0] == person["pk"]:
            cells[column[pending[1]]] = pending[2]
            pending = next(codes, None)
        yield [person["first_name"], person["last_name"], *cells]


TABLES = {"palms": palms_table, "slips": slips_table, "attendance": attendance_table}
TITLES = {"palms": "PALMS summary", "slips": "Slips audit", "attendance": "Attendance"}


def table(kind: str, **window) -> Iterator[list]:
    return TABLES[kind](**window)


def filename(kind: str, chapter: Chapter, start: datetime.date, end: datetime.date,
             fmt: str) -> str:
    return f"{chapter.slug}-{kind}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"


# -- Writers -------------------------------------------------------------------------------

def _csv_cell(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return formula_guard(value)


class _Line:
    """A file-like object that hands back what csv.writer writes, one line at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff"  # so spreadsheet programs read UTF-8
    for row in rows:
        yield writer.writerow([_csv_cell(cell) for cell in row])


def xlsx_file(rows: Iterable[list], title: str):
    """An XLSX workbook in a temporary file, written row by row (openpyxl write-only)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([
            float(cell) if isinstance(cell, Decimal) else formula_guard(cell) for cell in row
        ])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle
