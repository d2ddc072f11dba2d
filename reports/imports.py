"""Import of the official tool's exports: the slips audit and the attendance matrix, from
.xlsx, .xls or .csv, so a chapter brings its history and can run both tools side by side.

Upload -> preview -> import. The upload is read once into an ImportBatch (the recognised rows
as JSON); the preview matches members by name and says which rows will be skipped and why; the
import creates the slips and attendance. Each imported row leaves a fingerprint (ImportedRow,
unique per chapter), so the same file imported twice adds nothing. Rows that match slips or
attendance already in Chapterhouse for that week are not imported again either, so a chapter
logging in both tools does not count a week twice.

Rows whose other side is not a member of the chapter (another chapter's member) become an
ImportedSlip that counts for our side only.
"""

import datetime
import hashlib
import json
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chapters import spreadsheets
from chapters.models import Chapter
from meetings.models import Attendance, Meeting, Palms, Visitor
from meetings.services import meeting_times
from members.models import Member
from referrals.models import (
    CEU,
    CEU_MAX_CREDITS,
    CEU_MIN_CREDITS,
    OneToOne,
    Referral,
    Testimonial,
    ThankYou,
    Tier,
)
from referrals.services import tyfcb_confirm_above
from reports.models import ImportBatch, ImportedRow, ImportedSlip

logger = logging.getLogger(__name__)

# What an upload may hold (chapters/spreadsheets.py counts each while reading): a compressed
# .xlsx can hold far more than its size suggests; no chapter's history is this large.
MAX_BYTES = 10 * 1024 * 1024
MAX_UNPACKED = 64 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 500
MAX_CELL_CHARS = 5_000
MAX_SHARED_STRINGS = 100_000
MAX_CELLS = 1_000_000
MAX_TEXT = 40_000_000
EXTENSIONS = (".xlsx", ".xls", ".csv")
HEADER_SEARCH_ROWS = 30
# What a TYFCB amount can hold (14 digits, 2 after the point), as the slip forms allow.
MAX_AMOUNT = Decimal(10) ** 12
# The dates a chapter's history can hold; beyond them a date is a typo, and the week around it
# would overflow Python's calendar.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2999, 12, 31)
CHUNK = 500

SLIP_TYPES = {
    "referral": "referral", "referrals": "referral",
    "tyfcb": "tyfcb", "thank you for closed business": "tyfcb", "closed business": "tyfcb",
    "one-to-one": "one_to_one", "one to one": "one_to_one", "1-2-1": "one_to_one",
    "121": "one_to_one", "one-2-one": "one_to_one", "1 to 1": "one_to_one",
    "visitor": "visitor", "visitors": "visitor",
    "ceu": "ceu", "ceus": "ceu", "education": "ceu",
    "testimonial": "testimonial", "testimonials": "testimonial",
}
TYPE_LABELS = {"referral": "Referral", "tyfcb": "TYFCB", "one_to_one": "One-to-One",
               "visitor": "Visitor", "ceu": "CEU", "testimonial": "Testimonial"}
# Column headers the official reports use, and the other spellings seen in the wild.
SLIP_COLUMNS = {
    "from": ("from", "from member", "giver"),
    "to": ("to", "to member", "receiver"),
    "type": ("slip type", "type"),
    "tier": ("inside/outside", "inside / outside", "tier"),
    "amount": ("tyfcb", "tyfcb amount", "amount"),
    "credits": ("ceu credits", "ceu", "credits"),
    "detail": ("detail", "details", "notes"),
    "date": ("date", "week", "meeting date", "slip date"),
}
DETAIL_KEYS = ("Week", "Received week", "Temperature", "Prospect", "Phone", "Email", "Business",
               "Met on", "Where", "Company", "Classification", "Earned on")
NOT_RECORDED = "(not in the imported report)"
HOLIDAY = "holiday"


class UnreadableFile(Exception):
    """The upload is not a report this import understands; the message says why."""


class ImportConflict(Exception):
    """Another import of the same rows committed first; nothing was imported twice."""


# -- Reading files -------------------------------------------------------------------------

def read_table(content: bytes, filename: str) -> list[list]:
    """The cells of the file's first sheet, row by row, within the limits above."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        raise UnreadableFile("Upload an .xlsx, .xls or .csv file.")
    limits = spreadsheets.Limits(
        max_bytes=MAX_BYTES, max_unpacked=MAX_UNPACKED, max_rows=MAX_ROWS,
        max_columns=MAX_COLUMNS, max_cell_chars=MAX_CELL_CHARS,
        max_shared_strings=MAX_SHARED_STRINGS, max_cells=MAX_CELLS, max_text=MAX_TEXT,
    )
    try:
        return spreadsheets.read_table(content, suffix, limits)
    except spreadsheets.TooLarge as problem:
        raise UnreadableFile(str(problem)) from None
    except Exception as error:  # any parser failure is the file's fault, not a server error
        # The parser's own words ("File is not a zip file") help nobody in the chapter; they
        # go to the log.
        logger.info("Unreadable %s upload %r: %r", suffix, filename, error)
        raise UnreadableFile(
            f"This {suffix} file could not be read: it may be damaged or saved in another "
            f"format. Open it in your spreadsheet program, save it again as {suffix} (or as "
            ".csv), and upload that."
        ) from error


# -- Cells ---------------------------------------------------------------------------------

def text(value) -> str:
    """A cell as clean text on one line."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return spreadsheets.formula_unguard(" ".join(str(value).split()))


def norm_name(value) -> str:
    plain = unicodedata.normalize("NFKD", text(value))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace(".", " ").split())


def _header(value) -> str:
    return " ".join(text(value).casefold().rstrip(":").split())


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def parse_date(value, weekday: int | None = None) -> datetime.date | None:
    """A date from a cell: a spreadsheet date, ISO, day/month/year or month/day/year (the
    reading that falls on the chapter's meeting day wins), or "7 Jan 2026"/"Jan 7, 2026"."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    if not raw:
        return None
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", raw):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})", raw):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        year += 2000 if year < 100 else 0
        readings = [d for d in (_date(year, second, first), _date(year, first, second)) if d]
        if weekday is not None:
            readings.sort(key=lambda d: d.weekday() != weekday)
        return readings[0] if readings else None
    words = re.findall(r"[A-Za-z]+|\d+", raw)
    numbers = [int(w) for w in words if w.isascii() and w.isdigit()]
    months = [_MONTHS[w[:3].lower()] for w in words if w[:3].lower() in _MONTHS]
    if len(numbers) == 2 and len(months) == 1:
        day, year = sorted(numbers)
        return _date(year + (2000 if year < 100 else 0), months[0], day)
    return None


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


class AmbiguousAmount(ValueError):
    """An amount that reads two ways ("1.250": 1,250 or 1.25); the preview asks for it."""


def parse_amount(value, *, decimal_comma: bool = False) -> Decimal | None:
    """An amount as the chapter writes it: "1,250.75", or "1.250,75" where the decimal mark is
    a comma; a currency sign and spaces are ignored. A single separator followed by exactly
    three digits ("1.250", "1,250") could be either, so it raises AmbiguousAmount rather than
    guess; any other single separator is the decimal mark ("1250,5", "99.95")."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        raw = re.sub(r"[^\d.,\-]", "", text(value))
        if not raw:
            return None
        separators = [c for c in raw if c in ".,"]
        if len(set(separators)) == 2:
            decimal = raw[max(raw.rfind("."), raw.rfind(","))]
        elif len(separators) > 1:
            decimal = None  # "1.250.000": only grouping
        elif separators:
            if re.search(r"[.,]\d{3}$", raw):
                mark = "," if decimal_comma else "."
                raise AmbiguousAmount(
                    f"the amount {text(value)!r} could be {raw.replace(separators[0], '')} or "
                    f"{raw.replace(separators[0], '.')}: write it in full (this chapter writes "
                    f"decimals with {'a comma' if mark == ',' else 'a point'})"
                )
            decimal = separators[0]
        else:
            decimal = None
        grouping = {".", ","} - {decimal}
        for mark in grouping:
            raw = raw.replace(mark, "")
        try:
            amount = Decimal(raw.replace(",", ".") if decimal == "," else raw)
        except InvalidOperation:
            return None
    try:
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        return amount  # too many digits to round: refused as too large (_classify_slip)


def parse_tier(value) -> str:
    raw = _header(value)
    if "outside" in raw or "tier 2" in raw or raw == "2":
        return Tier.OUTSIDE
    if "inside" in raw or "tier 1" in raw or raw == "1":
        return Tier.INSIDE
    return ""


def parse_detail(value) -> tuple[dict, str]:
    """The facts of a Detail cell written by our export ("Week: ...; Key: value; Notes: ...")
    and its free text; a Detail in any other form is all free text."""
    raw = spreadsheets.formula_unguard(value.strip()) if isinstance(value, str) else text(value)
    facts: dict[str, str] = {}
    if not raw.startswith("Week:"):
        return facts, raw
    rest = raw
    while rest:
        if rest.startswith("Notes: "):
            return facts, rest[len("Notes: "):]
        part, _, rest = rest.partition("; ")
        key, _, val = part.partition(": ")
        if key in DETAIL_KEYS:
            facts[key] = val.strip()
        else:
            return facts, "; ".join(filter(None, [part, rest]))
    return facts, ""


# -- Members by name -----------------------------------------------------------------------

class MemberIndex:
    """The chapter's members (any status) by normalised name, in one query."""

    def __init__(self, chapter: Chapter):
        self.by_name: dict[str, list[tuple]] = defaultdict(list)
        self.names: dict[int, str] = {}
        for pk, first, last, status, joined_on, left_on in Member.objects.filter(
            chapter=chapter
        ).values_list(
            "pk", "user__first_name", "user__last_name", "status", "joined_on", "left_on"
        ):
            self.by_name[norm_name(f"{first} {last}")].append((pk, status, joined_on, left_on))
            self.names[pk] = f"{first} {last}".strip()

    def _candidates(self, name, on: datetime.date | None = None) -> list[tuple]:
        """The memberships of that name; with a date, those not ended by then (a slip after a
        member moved to another chapter is not their old membership's)."""
        candidates = self.by_name.get(norm_name(name))
        if not candidates and "," in text(name):
            last, _, first = text(name).partition(",")
            candidates = self.by_name.get(norm_name(f"{first} {last}"))
        if on is not None:
            # History from before a member was added is theirs, unless another membership
            # of that name had begun by then.
            candidates = [c for c in candidates or [] if c[3] is None or on <= c[3]]
            begun = [c for c in candidates if c[2] is None or c[2] <= on]
            candidates = begun if begun else candidates
        return candidates or []

    def unknown(self, name, on: datetime.date | None = None) -> bool:
        """No member of the chapter, of any status, has this name (on that date)."""
        return bool(norm_name(name)) and not self._candidates(name, on)

    def match(self, name, on: datetime.date | None = None) -> tuple[int | None, str]:
        """(member id, "") or (None, why not)."""
        if not norm_name(name):
            return None, "no name"
        candidates = self._candidates(name, on)
        if not candidates:
            return None, f"{text(name)!r} is not a member of this chapter"
        if len(candidates) > 1:
            holding = [c for c in candidates if c[1] in Member.Status.holding_values()]
            candidates = holding if len(holding) == 1 else candidates
        if len(candidates) > 1:
            return None, f"{len(candidates)} members are called {text(name)!r}"
        return candidates[0][0], ""


# -- Parsing uploads into rows -------------------------------------------------------------

def _find_header(table: list[list], required: set[str], aliases: dict) -> tuple[int, dict]:
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        headers = [_header(cell) for cell in row]
        columns = {}
        for key, names in aliases.items():
            for position, header in enumerate(headers):
                if header in names and key not in columns:
                    columns[key] = position
        if required <= set(columns):
            return index, columns
    return -1, {}


def _fingerprints(canonical_rows: list[list]) -> list[str]:
    """A stable hash per row; identical rows in one file are told apart by their order."""
    seen: Counter = Counter()
    prints = []
    for canonical in canonical_rows:
        key = json.dumps(canonical, default=str)
        seen[key] += 1
        prints.append(hashlib.sha256(f"{key}#{seen[key]}".encode()).hexdigest())
    return prints


def parse_slips(table: list[list], *, weekday: int, decimal_comma: bool = False) -> list[dict]:
    """The slips audit's rows as dicts, names not yet matched."""
    start, columns = _find_header(table, {"from", "to", "type"}, SLIP_COLUMNS)
    if start < 0:
        raise UnreadableFile("No header row with From, To and Slip Type was found: is this a "
                             "slips audit report?")

    def cell(row, key):
        position = columns.get(key)
        return row[position] if position is not None and position < len(row) else None

    rows, canonical = [], []
    for offset, row in enumerate(table[start + 1:], start=start + 2):
        if not any(text(c) for c in row):
            continue
        raw_type = text(cell(row, "type"))
        facts, notes = parse_detail(cell(row, "detail"))
        week = parse_date(facts.get("Week"), weekday)
        date = week or parse_date(cell(row, "date"), weekday)
        try:
            amount, unclear = parse_amount(cell(row, "amount"), decimal_comma=decimal_comma), ""
        except AmbiguousAmount as error:
            amount, unclear = None, str(error)
        try:
            credits = parse_amount(cell(row, "credits"))
        except AmbiguousAmount:
            credits = None
        parsed = {
            "line": offset,
            "type": SLIP_TYPES.get(_header(raw_type), ""),
            "type_text": raw_type,
            "from": text(cell(row, "from")),
            "to": text(cell(row, "to")),
            "tier": parse_tier(cell(row, "tier")),
            "amount": str(amount) if amount is not None else None,
            "amount_unclear": unclear,
            "credits": int(credits) if credits is not None and credits == int(credits) else None,
            "date": date.isoformat() if date else None,
            "meeting_day": week is not None,
            "received": (d.isoformat() if (d := parse_date(facts.get("Received week"))) else None),
            "facts": facts,
            "notes": notes,
        }
        rows.append(parsed)
        canonical.append([parsed["type"] or _header(raw_type), norm_name(parsed["from"]),
                          norm_name(parsed["to"]), parsed["tier"],
                          parsed["amount"] or text(cell(row, "amount")),
                          parsed["credits"], text(cell(row, "detail")), parsed["date"]])
    for parsed, fingerprint in zip(rows, _fingerprints(canonical), strict=True):
        parsed["fingerprint"] = fingerprint
    return rows


def parse_attendance(table: list[list], *, weekday: int) -> list[dict]:
    """The attendance matrix as one dict per filled cell."""
    start, headers, dates = _attendance_header(table, weekday)
    if "first name" in headers and "last name" in headers:
        first, last = headers.index("first name"), headers.index("last name")

        def name_of(cells):
            return f"{text(_at(cells, first))} {text(_at(cells, last))}".strip()
    else:
        single = next(i for i, h in enumerate(headers) if h in ("name", "member", "member name"))

        def name_of(cells):
            return text(_at(cells, single))

    rows, canonical = [], []
    for offset, cells in enumerate(table[start + 1:], start=start + 2):
        name = name_of(cells)
        if not name or norm_name(name) in ("total", "totals"):
            continue
        for position, day in sorted(dates.items()):
            code = text(_at(cells, position)).upper()
            if not code:
                continue
            rows.append({"line": offset, "name": name, "date": day.isoformat(), "code": code})
            canonical.append([norm_name(name), day.isoformat(), code])
    for parsed, fingerprint in zip(rows, _fingerprints(canonical), strict=True):
        parsed["fingerprint"] = fingerprint
    return rows


def _attendance_header(table: list[list], weekday: int) -> tuple[int, list[str], dict]:
    """The header row: member name columns and at least one meeting date."""
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        headers = [_header(cell) for cell in row]
        dates = {i: d for i, cell in enumerate(row) if (d := parse_date(cell, weekday))}
        has_names = ("first name" in headers and "last name" in headers) or any(
            h in ("name", "member", "member name") for h in headers)
        if has_names and dates:
            return index, headers, dates
    raise UnreadableFile("No header row with member names and meeting dates was found: is "
                         "this an attendance (PALMS) matrix?")


def _at(cells, position):
    return cells[position] if position < len(cells) else None


def batch_create(*, chapter: Chapter, kind: str, filename: str, content: bytes,
                 user=None) -> ImportBatch:
    """Read an upload into a batch waiting for confirmation; UnreadableFile if it is not.
    The same file uploaded again before it is imported (a double click) reuses the batch."""
    digest = hashlib.sha256(content).hexdigest()
    waiting = ImportBatch.objects.filter(chapter=chapter, kind=kind, file_sha256=digest,
                                         status=ImportBatch.Status.PREVIEW).first()
    if waiting is not None:
        return waiting
    table = read_table(content, filename)
    if kind == ImportBatch.Kind.SLIPS:
        rows = parse_slips(table, weekday=chapter.meeting_weekday,
                           decimal_comma=chapter.decimal_comma)
    else:
        rows = parse_attendance(table, weekday=chapter.meeting_weekday)
    if not rows:
        raise UnreadableFile("The file has a header but no rows to import.")
    return ImportBatch.objects.create(
        chapter=chapter, kind=kind, filename=PurePath(filename).name[:255],
        file_sha256=digest, rows=rows,
        created_by=user if user is not None and user.is_authenticated else None,
    )


# -- Deciding what each row becomes ---------------------------------------------------------

@dataclass
class Plan:
    """What an import of a batch would do: each row's fate, with reasons."""

    new: list[dict] = field(default_factory=list)
    already: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    needs_week: int = 0
    matched: dict[str, str] = field(default_factory=dict)
    unmatched: dict[str, str] = field(default_factory=dict)
    one_sided: int = 0
    # TYFCB rows far above the chapter's usual amounts, shown for a check before importing.
    large: list[dict] = field(default_factory=list)
    large_above: Decimal | None = None

    @property
    def total(self) -> int:
        return len(self.new) + len(self.already) + len(self.skipped)

    def skip_reasons(self) -> list[tuple[str, int]]:
        return Counter(row["reason"] for row in self.skipped).most_common()


def _who(index: MemberIndex, plan: Plan, name: str, on: datetime.date | None = None
         ) -> int | None:
    member_id, why = index.match(name, on)
    if member_id is not None:
        plan.matched[name] = index.names[member_id]
    elif name:
        plan.unmatched[name] = why
    return member_id


def _classify_slip(row: dict, index: MemberIndex, plan: Plan) -> str:
    """Fill the row's member ids and return why it is skipped ("" to import it)."""
    kind = row["type"]
    if not kind:
        return f"unknown slip type {row['type_text']!r}" if row["type_text"] else "no slip type"
    on = datetime.date.fromisoformat(row["date"]) if row.get("date") else None
    from_id = _who(index, plan, row["from"], on) if kind != "visitor" or row["from"] else None
    to_id = _who(index, plan, row["to"], on) if kind not in ("visitor", "ceu") else None
    row["from_id"], row["to_id"], row["one_sided"] = from_id, to_id, False
    if kind == "referral" and not row["tier"]:
        return "Inside/Outside is missing"
    if kind == "tyfcb" and row.get("amount_unclear"):
        return row["amount_unclear"]
    if kind == "tyfcb" and row["amount"] is None:
        return "no TYFCB amount"
    if kind == "tyfcb" and Decimal(row["amount"]) < 0:
        return "a negative TYFCB amount"
    if kind == "tyfcb" and Decimal(row["amount"]) >= MAX_AMOUNT:
        return "a TYFCB amount too large"
    if kind == "visitor":
        return "" if row["to"] else "no visitor name"
    if kind == "ceu":
        if from_id is None:
            return index.match(row["from"], on)[1]
        credits = row["credits"] or 1
        if CEU_MIN_CREDITS <= credits <= CEU_MAX_CREDITS:
            return ""
        return f"CEU credits must be {CEU_MIN_CREDITS} to {CEU_MAX_CREDITS}"
    if kind == "testimonial" and (from_id is None or to_id is None):
        return index.match(row["from"] if from_id is None else row["to"], on)[1]
    if kind == "tyfcb" and not row["from"] and to_id is not None:
        # The Slips Audit does not say who thanked: credited to the member named in To.
        row["one_sided"] = True
        return ""
    for name, member_id in ((row["from"], from_id), (row["to"], to_id)):
        if not name:
            return "From or To is empty"
        if member_id is None and not index.unknown(name, on):
            return index.match(name, on)[1]  # e.g. two members of that name: never guess
    if from_id is None and to_id is None:
        return f"neither {row['from']!r} nor {row['to']!r} is a member of this chapter"
    if from_id == to_id:
        return "From and To are the same member"
    row["one_sided"] = from_id is None or to_id is None
    return ""


def _classify_cell(row: dict, index: MemberIndex, plan: Plan) -> str:
    row["member_id"] = _who(index, plan, row["name"])
    if row["member_id"] is None:
        return index.match(row["name"])[1]
    if row["code"] not in Palms.values:
        return f"{row['code']!r} is not a PALMS letter"
    return ""


def _date_problem(row: dict) -> str:
    """Why the row's week cannot be a meeting's ("" when it can)."""
    for key in ("date", "received"):
        if row.get(key) and not EARLIEST <= datetime.date.fromisoformat(row[key]) <= LATEST:
            return f"the date {row[key]} is out of range"
    return ""


def plan_batch(batch: ImportBatch, *, week: datetime.date | None = None) -> Plan:
    """Each row of the batch: to import, already imported or present, or skipped and why."""
    chapter, plan = batch.chapter, Plan()
    index = MemberIndex(chapter)
    classify = _classify_slip if batch.kind == ImportBatch.Kind.SLIPS else _classify_cell
    rows = [dict(row) for row in batch.rows]
    for row in rows:
        row["print"] = _week_print(row, week)
    done = _imported_fingerprints(chapter, batch.kind, [row["print"] for row in rows])
    candidates = []
    for row in rows:
        if row["print"] in done:
            row["reason"] = "imported before"
            plan.already.append(row)
            continue
        reason = _date_problem(row) or classify(row, index, plan)
        if reason:
            row["reason"] = reason
            plan.skipped.append(row)
            continue
        if row.get("date") is None:
            plan.needs_week += 1
            if week is not None:
                row["date"] = week.isoformat()
        candidates.append(row)
    present = _present(chapter, batch.kind, candidates)
    marked = set()  # one attendance mark per member and meeting, though a name is there twice
    for row in candidates:
        key = row.get("key")
        twice = False
        if batch.kind == ImportBatch.Kind.ATTENDANCE:
            twice = (row["member_id"], row["date"]) in marked
            marked.add((row["member_id"], row["date"]))
        if key == HOLIDAY:
            row["reason"] = "that week's meeting was a holiday or cancelled"
            plan.skipped.append(row)
        elif twice:
            row["reason"] = "another row marks this member for the same meeting"
            plan.skipped.append(row)
        elif key is not None and present[key] > 0:
            present[key] -= 1
            row["reason"] = "already in Chapterhouse"
            plan.already.append(row)
        else:
            plan.new.append(row)
            plan.one_sided += bool(row.get("one_sided"))
    if batch.kind == ImportBatch.Kind.SLIPS:
        plan.large_above = tyfcb_confirm_above(chapter)
        plan.large = [row for row in plan.new if row["type"] == "tyfcb"
                      and Decimal(row["amount"]) > plan.large_above]
    return plan


def _week_print(row: dict, week: datetime.date | None) -> str:
    """The row's fingerprint with the week it is imported for: a row without a date of its
    own (a recurring one-to-one) imported for two weeks is two rows."""
    if row.get("date") or week is None:
        return row["fingerprint"]
    return hashlib.sha256(f"{row['fingerprint']}@{week.isoformat()}".encode()).hexdigest()


def _imported_fingerprints(chapter, kind, fingerprints: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(fingerprints), 5000):
        found |= set(ImportedRow.objects.filter(
            chapter=chapter, kind=kind, fingerprint__in=fingerprints[start:start + 5000]
        ).values_list("fingerprint", flat=True))
    return found


# -- Meetings for the weeks of the rows ----------------------------------------------------

def _week_meetings(chapter: Chapter, dates: set[datetime.date], *, exact: bool) -> dict:
    """The existing meeting each date counts for (None: a holiday or cancelled week; absent:
    no meeting yet). Slips count for the first meeting from their date within the week;
    attendance columns are the meeting dates themselves."""
    if not dates:
        return {}
    low, high = min(dates), max(dates) + datetime.timedelta(days=6)
    meetings = list(Meeting.objects.filter(chapter=chapter).filter(
        Q(local_date__range=(low, high)) | Q(slot_date__range=(low, high))
    ).order_by("local_date"))
    found = {}
    for day in dates:
        if exact:
            same = [m for m in meetings if day in (m.local_date, m.slot_date)]
        else:
            last, slot = day + datetime.timedelta(days=6), _slot(chapter, day, exact=False)
            same = [m for m in meetings if day <= m.local_date <= last or m.slot_date == slot]
        if same:
            counted = [m for m in same if m.counts_for_attendance]
            found[day] = counted[0] if counted else None
    return found


def _slot(chapter: Chapter, day: datetime.date, *, exact: bool) -> datetime.date:
    if exact:
        return day
    return day + datetime.timedelta(days=(chapter.meeting_weekday - day.weekday()) % 7)


def _nearest_slot(chapter: Chapter, day: datetime.date) -> datetime.date:
    """The regular meeting day of the week around `day` (a Thursday meeting of a Wednesday
    chapter was moved from the day before)."""
    return day + datetime.timedelta(days=(chapter.meeting_weekday - day.weekday() + 3) % 7 - 3)


def _ensure_meetings(chapter: Chapter, dates: set[datetime.date], *, exact: bool,
                     user=None, meeting_days: set[datetime.date] = frozenset()) -> dict:
    """Meetings for every date, created as held and completed where the chapter has none.
    A date the report gives as the meeting's own (`meeting_days`, the slips audit's Week) is
    where the meeting was, even off the meeting day: a moved meeting, whatever the order in
    which the slips audit and the attendance matrix are imported."""
    found = _week_meetings(chapter, dates, exact=exact)
    missing = {}
    for day in dates:
        if day in found:
            continue
        if exact or day in meeting_days:
            missing[day] = _nearest_slot(chapter, day)
        else:
            missing[_slot(chapter, day, exact=False)] = _slot(chapter, day, exact=False)
    taken = set(Meeting.objects.filter(chapter=chapter, slot_date__in=missing.values())
                .values_list("slot_date", flat=True))
    now = timezone.now()
    created = []
    for day, slot in sorted(missing.items()):
        if slot in taken or exact:
            slot = day
        taken.add(slot)
        starts_at, ends_at = meeting_times(chapter, day)
        created.append(Meeting(
            chapter=chapter, local_date=day, slot_date=slot, is_custom=slot != day,
            starts_at=starts_at, ends_at=ends_at, status=Meeting.Status.HELD,
            report_status=Meeting.ReportStatus.COMPLETED, report_completed_at=now,
            report_completed_by=user, note="Created by an import of the official tool's report.",
        ))
    Meeting.objects.bulk_create(created)
    return _week_meetings(chapter, dates, exact=exact) if created else found


# -- Matching rows against what Chapterhouse already holds ---------------------------------

def _slip_key(kind, from_id, to_id, meeting_id, extra):
    if kind == "one_to_one":
        from_id, to_id = sorted((from_id, to_id), key=lambda x: (x is None, x or 0))
    return (kind, from_id, to_id, meeting_id, extra)


def _extra(row: dict):
    if row["type"] == "referral":
        return row["tier"]
    if row["type"] == "tyfcb":
        return str(Decimal(row["amount"]))
    if row["type"] == "ceu":
        return row["credits"] or 1
    if row["type"] == "visitor":
        return norm_name(row["to"])
    return None


def _present(chapter: Chapter, kind: str, rows: list[dict]) -> Counter:
    """How many of each row's kind of slip (or attendance mark) the chapter already holds
    for that week; sets row["key"] on each row that has a week."""
    dates = {datetime.date.fromisoformat(row["date"]) for row in rows if row.get("date")}
    meetings = _week_meetings(chapter, dates, exact=kind == ImportBatch.Kind.ATTENDANCE)
    ids = [m.pk for m in meetings.values() if m is not None]
    for row in rows:
        day = datetime.date.fromisoformat(row["date"]) if row.get("date") else None
        meeting = meetings.get(day)
        if day in meetings and meeting is None:
            row["key"] = HOLIDAY
        elif meeting is None:
            row["key"] = None
        elif kind == ImportBatch.Kind.ATTENDANCE:
            row["key"] = (row["member_id"], meeting.pk)
        else:
            row["key"] = _slip_key(row["type"], row["from_id"], row["to_id"], meeting.pk,
                                   _extra(row))
    if not ids:
        return Counter()
    if kind == ImportBatch.Kind.ATTENDANCE:
        return Counter(Attendance.objects.filter(meeting__in=ids).values_list(
            "member_id", "meeting_id"))
    return existing_slip_keys(chapter, ids)


def existing_slip_keys(chapter: Chapter, meeting_ids: list[int]) -> Counter:
    """Keys of the slips counting in these meetings of the chapter, as rows would make them."""
    keys: Counter = Counter()

    def ours(member_id, member_chapter):
        return member_id if member_chapter == chapter.pk else None

    two_sided = (
        ("referral", Referral, "giver", "receiver", "meeting", "receiver_meeting", "tier"),
        ("tyfcb", ThankYou, "thanked_by", "credited_to", "meeting", "credited_meeting",
         "amount"),
        ("one_to_one", OneToOne, "member", "met_with", "meeting", "met_with_meeting", None),
    )
    for kind, model, left, right, left_meeting, right_meeting, extra in two_sided:
        rows = model.objects.filter(
            Q(**{f"{left_meeting}__in": meeting_ids}) | Q(**{f"{right_meeting}__in": meeting_ids})
        ).values_list(left, f"{left}__chapter_id", right, f"{right}__chapter_id",
                      left_meeting, f"{left_meeting}__chapter_id", right_meeting,
                      extra or "pk")
        for a, a_chapter, b, b_chapter, a_meeting, a_meeting_chapter, b_meeting, value in rows:
            meeting = a_meeting if a_meeting_chapter == chapter.pk else b_meeting
            value = str(value) if kind == "tyfcb" else value if extra else None
            keys[_slip_key(kind, ours(a, a_chapter), ours(b, b_chapter), meeting, value)] += 1
            if kind == "tyfcb" and ours(a, a_chapter) is not None and ours(b, b_chapter):
                # The same thank-you as a Slips Audit row writes it, without the thanker.
                keys[_slip_key(kind, None, b, meeting, value)] += 1
    for giver, about, meeting in Testimonial.objects.filter(
        meeting__in=meeting_ids
    ).values_list("giver", "about", "meeting"):
        keys[_slip_key("testimonial", giver, about, meeting, None)] += 1
    for member, credits, meeting in CEU.objects.filter(meeting__in=meeting_ids).values_list(
        "member", "credits", "meeting"
    ):
        keys[_slip_key("ceu", member, None, meeting, credits)] += 1
    for inviter, name, meeting in Visitor.objects.filter(meeting__in=meeting_ids).values_list(
        "invited_by", "name", "meeting"
    ):
        keys[_slip_key("visitor", inviter, None, meeting, norm_name(name))] += 1
    sides = {
        ImportedSlip.Kind.REFERRAL_GIVEN: ("referral", True),
        ImportedSlip.Kind.REFERRAL_RECEIVED: ("referral", False),
        ImportedSlip.Kind.TYFCB_THANKED: ("tyfcb", True),
        ImportedSlip.Kind.TYFCB_CREDITED: ("tyfcb", False),
        ImportedSlip.Kind.ONE_TO_ONE: ("one_to_one", True),
        ImportedSlip.Kind.ONE_TO_ONE_MET: ("one_to_one", False),
    }
    for member, slip_kind, tier, amount, meeting in ImportedSlip.objects.filter(
        meeting__in=meeting_ids
    ).values_list("member", "kind", "tier", "amount", "meeting"):
        kind, from_us = sides[slip_kind]
        value = tier if kind == "referral" else str(amount) if kind == "tyfcb" else None
        pair = (member, None) if from_us else (None, member)
        keys[_slip_key(kind, *pair, meeting, value)] += 1
    return keys


# -- Importing -----------------------------------------------------------------------------

@dataclass
class ImportResult:
    imported: int
    already: int
    skipped: int
    repeated: bool = False

    @property
    def nothing_new(self) -> bool:
        return self.imported == 0


def import_batch(*, batch: ImportBatch, week: datetime.date | None = None, user=None,
                 progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import the batch's new rows; safe under a double click (the second does nothing) and
    against two imports of the same file at once (ImportConflict; nothing doubles)."""
    claimed = ImportBatch.objects.filter(
        pk=batch.pk, status=ImportBatch.Status.PREVIEW
    ).update(status=ImportBatch.Status.IMPORTING)
    if not claimed:
        batch.refresh_from_db()
        return ImportResult(batch.imported_count, batch.already_count, batch.skipped_count,
                            repeated=True)
    try:
        with transaction.atomic():
            plan = plan_batch(batch, week=week)
            if any(row.get("date") is None for row in plan.new):
                raise ValueError("Choose the week for the rows without a date.")
            done = [*plan.new, *[r for r in plan.already if r["reason"] != "imported before"]]
            try:
                with transaction.atomic():
                    ImportedRow.objects.bulk_create([
                        ImportedRow(chapter=batch.chapter, kind=batch.kind,
                                    fingerprint=r["print"], batch=batch) for r in done
                    ])
            except IntegrityError as error:
                raise ImportConflict("Another import of these rows finished first; nothing "
                                     "was imported twice. Look at the preview again.") from error
            create = _create_slips if batch.kind == ImportBatch.Kind.SLIPS else _create_marks
            for start in range(0, len(plan.new), CHUNK):
                chunk = plan.new[start:start + CHUNK]
                create(batch=batch, rows=chunk, user=user)
                if progress:
                    progress(len(chunk))
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.IMPORTED, imported_at=timezone.now(),
                imported_count=len(plan.new), already_count=len(plan.already),
                skipped_count=len(plan.skipped),
            )
    except BaseException:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.PREVIEW)
        raise
    batch.refresh_from_db()
    return ImportResult(len(plan.new), len(plan.already), len(plan.skipped))


def _create_marks(*, batch: ImportBatch, rows: list[dict], user=None) -> None:
    dates = {datetime.date.fromisoformat(row["date"]) for row in rows}
    meetings = _ensure_meetings(batch.chapter, dates, exact=True, user=user)
    now = timezone.now()
    marks = []
    for row in rows:
        meeting = meetings.get(datetime.date.fromisoformat(row["date"]))
        if meeting is None:
            continue  # that day was a holiday or cancelled: attendance counts for nothing
        # The matrix holds a letter only; an S must still name who stood in.
        substitute = NOT_RECORDED if row["code"] == Palms.SUBSTITUTE else ""
        marks.append(Attendance(meeting=meeting, member_id=row["member_id"], code=row["code"],
                                substitute_name=substitute, marked_by=user, marked_at=now))
    Attendance.objects.bulk_create(marks)


def _create_slips(*, batch: ImportBatch, rows: list[dict], user=None) -> None:
    chapter = batch.chapter
    dates = {datetime.date.fromisoformat(r[k]) for r in rows for k in ("date", "received")
             if r.get(k)}
    meeting_days = {datetime.date.fromisoformat(r["date"]) for r in rows if r.get("meeting_day")}
    meetings = _ensure_meetings(chapter, dates, exact=False, user=user, meeting_days=meeting_days)
    made: dict[type, list] = defaultdict(list)
    for row in rows:
        meeting = meetings.get(datetime.date.fromisoformat(row["date"]))
        if meeting is None:
            continue  # the week was a holiday or cancelled: its slips count for nothing
        received = meetings.get(datetime.date.fromisoformat(row["received"])) if row.get(
            "received") else None
        obj = _slip(chapter, row, meeting, received or meeting, batch, user)
        made[type(obj)].append(obj)
    for model, objects in made.items():
        model.objects.bulk_create(objects)


def _slip(chapter, row, meeting, other_meeting, batch, user):
    facts, notes, kind = row["facts"], row["notes"], row["type"]
    from_id, to_id = row["from_id"], row["to_id"]
    week = meeting.local_date
    if row.get("one_sided"):
        ours_from = from_id is not None
        imported_kind = {
            "referral": ImportedSlip.Kind.REFERRAL_GIVEN if ours_from
            else ImportedSlip.Kind.REFERRAL_RECEIVED,
            "tyfcb": ImportedSlip.Kind.TYFCB_THANKED if ours_from
            else ImportedSlip.Kind.TYFCB_CREDITED,
            "one_to_one": ImportedSlip.Kind.ONE_TO_ONE if ours_from
            else ImportedSlip.Kind.ONE_TO_ONE_MET,
        }[kind]
        detail = "; ".join(f"{k}: {v}" for k, v in facts.items() if k != "Week")
        detail = "; ".join(filter(None, [detail, f"Notes: {notes}" if notes else ""]))
        return ImportedSlip(
            chapter=chapter, member_id=from_id if ours_from else to_id, meeting=meeting,
            kind=imported_kind, tier=row["tier"] if kind == "referral" else "",
            amount=Decimal(row["amount"]) if kind == "tyfcb" else Decimal(0),
            counterpart_name=(row["to"] if ours_from else row["from"])[:200], detail=detail,
            batch=batch,
        )
    if kind == "referral":
        outside = row["tier"] == Tier.OUTSIDE
        prospect = facts.get("Prospect", "")[:150]
        phone, email = facts.get("Phone", "")[:40], facts.get("Email", "")[:254]
        if outside and not prospect:
            prospect = NOT_RECORDED
        if outside and not (phone or email):
            phone = "(not recorded)"
        return Referral(
            giver_id=from_id, receiver_id=to_id, tier=row["tier"], prospect_name=prospect,
            prospect_phone=phone, prospect_email=email if "@" in email else "",
            temperature=_temperature(facts.get("Temperature")), notes=notes, meeting=meeting,
            receiver_meeting=other_meeting,
        )
    if kind == "tyfcb":
        business = facts.get("Business", "").lower()
        return ThankYou(
            thanked_by_id=from_id, credited_to_id=to_id, amount=Decimal(row["amount"]),
            business_type=ThankYou.BusinessType.REPEAT if business.startswith("repeat")
            else ThankYou.BusinessType.NEW,
            notes=notes, meeting=meeting, credited_meeting=other_meeting,
        )
    if kind == "one_to_one":
        return OneToOne(
            member_id=from_id, met_with_id=to_id, notes=notes,
            met_on=parse_date(facts.get("Met on")) or week, location=facts.get("Where", "")[:200],
            meeting=meeting, met_with_meeting=other_meeting,
        )
    if kind == "visitor":
        return Visitor(
            meeting=meeting, name=row["to"][:150], invited_by_id=from_id,
            company=facts.get("Company", "")[:200],
            classification_text=facts.get("Classification", "")[:120],
            email=facts.get("Email", "") if "@" in facts.get("Email", "") else "",
            phone=facts.get("Phone", "")[:40], notes=notes, created_by=user,
        )
    if kind == "ceu":
        return CEU(
            member_id=from_id, credits=row["credits"] or 1,
            description=(notes or "Imported CEU")[:255],
            earned_on=parse_date(facts.get("Earned on")) or week, meeting=meeting,
        )
    return Testimonial(giver_id=from_id, about_id=to_id, text=notes or "(imported)",
                       meeting=meeting)


def _temperature(value) -> int:
    # The official report does not carry it; 1 ("name and number") claims the least.
    try:
        return min(5, max(1, int(value)))
    except (TypeError, ValueError):
        return 1
