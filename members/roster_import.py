"""Roster import and export: a CSV or XLSX file of members, checked row by row before anything
changes (the preview is the dry run), then imported.

Each row gets a verdict: new, already in the chapter (left as it is), duplicate email, invalid,
malformed phone, unknown classification or classification taken. Importing is idempotent: a row
whose email is already in the chapter changes nothing, so importing a file twice adds nothing.

A new person gets an account without a password and (unless the leader unticks it) an email
with a link to set one; the leader vouches for the address, so it counts as verified. Someone
who already has an account (a member of another chapter) is never added without their word:
the preview says "has an account in another chapter" without the account's name, and the
import sends them an invitation they accept. A closed account's address is answered as an
unknown one is (it gets an invitation too), so the preview tells nobody that it exists.
"""

import csv
import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from chapters import spreadsheets
from chapters.models import Chapter, Classification
from members.audit import audit_record
from members.invitations import MembershipError, invitation_create
from members.membership import add_year
from members.models import Application, AuditEntry, Member, RosterImport, User
from members.signals import member_imported

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# What a roster file may hold, counted while it is read (chapters/spreadsheets.py): a chapter's
# roster is a few dozen rows of short cells, so anything near these is not a roster.
LIMITS = spreadsheets.Limits(
    max_bytes=MAX_BYTES, max_unpacked=20 * 1024 * 1024, max_rows=MAX_ROWS, max_columns=50,
    max_cell_chars=1000, max_shared_strings=50_000, max_cells=250_000, max_text=5_000_000,
)
CHUNK = 25

# Canonical column -> the headings people use for it (compared lower-case, spaces collapsed).
COLUMNS = {
    "first_name": ("first name", "firstname", "first", "given name", "forename"),
    "last_name": ("last name", "lastname", "last", "surname", "family name"),
    "email": ("email", "email address", "e-mail", "e-mail address", "mail"),
    "phone": ("phone", "phone number", "mobile", "mobile phone", "telephone", "tel"),
    "business_name": ("business", "business name", "company", "company name"),
    "classification": ("classification", "category"),
    "industry": ("industry",),
    "joined_on": ("joined", "joined on", "join date", "date joined", "member since"),
    "renewal_due_on": (
        "renewal due", "renewal due on", "renewal due date", "renewal date", "renewal",
        "due date",
    ),
}
LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "business_name": "Business",
    "classification": "Classification",
    "industry": "Industry",
    "joined_on": "Joined",
    "renewal_due_on": "Renewal due",
}
REQUIRED = ("first_name", "last_name", "email", "business_name", "classification")
EXPORT_COLUMNS = [*LABELS.values(), "Status"]

NEW = "new"
INVITE = "invite"
UNCHANGED = "unchanged"
DUPLICATE_EMAIL = "duplicate_email"
CLASSIFICATION_TAKEN = "classification_taken"
UNKNOWN_CLASSIFICATION = "unknown_classification"
MALFORMED_PHONE = "malformed_phone"
INVALID = "invalid"
VERDICTS = {
    NEW: "Will be added",
    INVITE: "Will be invited",
    UNCHANGED: "Already in the chapter: left as it is",
    DUPLICATE_EMAIL: "Duplicate email",
    CLASSIFICATION_TAKEN: "Classification taken",
    UNKNOWN_CLASSIFICATION: "Unknown classification",
    MALFORMED_PHONE: "Malformed phone number",
    INVALID: "Missing or invalid data",
}
CREATED = "created"
INVITED = "invited"
# Someone with an account elsewhere is never added without their word: they are invited, and
# the preview says so without the account's name (the file's name is shown, as for anyone).
HAS_ACCOUNT = "Has an account in another chapter: they get an invitation to accept."

PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()\-./]+$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y")


class RosterFileError(Exception):
    """The file as a whole cannot be read; the message says what to fix."""


def _heading(text) -> str:
    return " ".join(str(text or "").replace("_", " ").lower().split())


HEADINGS = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store a phone number typed without a "+" as a number.
        return str(int(value))
    # PostgreSQL stores no NUL character (the rows are JSON): a stray one is dropped.
    text = str(value).replace("\x00", "").strip()
    return spreadsheets.formula_unguard(text)


def parse_roster(filename: str, data: bytes) -> list[dict]:
    """The file's rows as {"line": n, "first_name": ..., ...} (text values; empty rows out)."""
    name = filename.lower()
    if not name.endswith((".csv", ".xlsx")):
        raise RosterFileError("Upload a .csv or .xlsx file.")
    suffix = name[name.rindex("."):]
    try:
        table = spreadsheets.read_table(data, suffix, LIMITS)
    except spreadsheets.TooLarge as problem:
        raise RosterFileError(str(problem)) from None
    except Exception:  # a damaged file: each parser raises its own kinds
        raise RosterFileError(
            f"The {suffix} file could not be opened: is it a real {suffix} file? Save it again "
            "from your spreadsheet program, or as .csv."
        ) from None
    header_at = next(
        (index for index, row in enumerate(table) if any(_cell(value) for value in row)), None
    )
    if header_at is None:
        raise RosterFileError("The file is empty.")
    positions: dict[str, int] = {}
    for position, heading in enumerate(table[header_at]):
        key = HEADINGS.get(_heading(heading))
        if key is not None and key not in positions:
            positions[key] = position
    missing = [LABELS[key] for key in REQUIRED if key not in positions]
    if missing:
        raise RosterFileError(
            "The first row must name the columns; missing: " + ", ".join(missing) + ". "
            "Expected: " + ", ".join(LABELS.values()) + "."
        )
    rows = []
    for index in range(header_at + 1, len(table)):
        cells = table[index]
        values = {
            key: _cell(cells[position]) if position < len(cells) else ""
            for key, position in positions.items()
        }
        if not any(values.values()):
            continue
        rows.append({"line": index + 1, **{key: values.get(key, "") for key in COLUMNS}})
        if len(rows) > MAX_ROWS:
            raise RosterFileError(f"The file has more than {MAX_ROWS} rows: split it.")
    if not rows:
        raise RosterFileError("The file has a heading row but no members.")
    return rows


def parse_date(text: str) -> datetime.date | None:
    """A date as people write it; None for empty; ValueError when not understood."""
    text = text.strip()
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def phone_is_valid(phone: str) -> bool:
    digits = sum(character.isdigit() for character in phone)
    return bool(PHONE_CHARACTERS.match(phone)) and 7 <= digits <= 15


@dataclass
class RowVerdict:
    row: dict
    verdict: str
    message: str = ""
    classification_id: int | None = None

    @property
    def line(self) -> int:
        return self.row["line"]

    @property
    def is_new(self) -> bool:
        """Added or invited on import."""
        return self.verdict in (NEW, INVITE)

    @property
    def is_problem(self) -> bool:
        return self.verdict not in (NEW, INVITE, UNCHANGED, CREATED, INVITED)

    @property
    def label(self) -> str:
        return VERDICTS.get(self.verdict, "Added")

    @property
    def name(self) -> str:
        return f"{self.row.get('first_name', '')} {self.row.get('last_name', '')}".strip()

    @property
    def email(self) -> str:
        return self.row.get("email", "")


def _identity_problem(row: dict) -> tuple[str, str] | None:
    """A row missing what identifies the person: nothing else can be said about it."""
    missing = [LABELS[key] for key in REQUIRED if not row.get(key)]
    if missing:
        return INVALID, "Missing " + ", ".join(missing).lower() + "."
    try:
        validate_email(row["email"])
    except ValidationError:
        return INVALID, f"“{row['email']}” is not an email address."
    longest = User._meta.get_field("email").max_length
    if len(row["email"]) > longest:
        return INVALID, f"The email address is longer than {longest} characters."
    return None


def _detail_problem(row: dict, today: datetime.date) -> tuple[str, str] | None:
    if len(row["first_name"]) > 150 or len(row["last_name"]) > 150:
        return INVALID, "A name is longer than 150 characters."
    if len(row["business_name"]) > 200:
        return INVALID, "The business name is longer than 200 characters."
    if row.get("phone") and not phone_is_valid(row["phone"]):
        return MALFORMED_PHONE, f"“{row['phone']}” is not a phone number (7 to 15 digits)."
    if len(row.get("phone", "")) > 40:
        return MALFORMED_PHONE, "The phone number is longer than 40 characters."
    for key in ("joined_on", "renewal_due_on"):
        try:
            parse_date(row.get(key, ""))
        except ValueError:
            return INVALID, f"{LABELS[key]} date “{row[key]}” was not understood (use 2025-01-31)."
    joined = parse_date(row.get("joined_on", ""))
    if joined is not None and joined > today:
        return INVALID, f"The joining date {joined:%d %b %Y} is in the future."
    renewal = parse_date(row.get("renewal_due_on", ""))
    if renewal is not None and renewal < today:
        return INVALID, f"The renewal date {renewal:%d %b %Y} has passed: correct it first."
    if renewal is not None and renewal > add_year(add_year(today)):
        return INVALID, f"The renewal date {renewal:%d %b %Y} is more than two years away."
    return None


def assess_rows(chapter: Chapter, rows: list[dict]) -> list[RowVerdict]:
    """Each row's verdict against the chapter as it is now, in a constant number of queries."""
    today = chapter.today()
    in_chapter = {
        email.lower(): status
        for email, status in Member.objects.filter(chapter=chapter).values_list(
            "user__email", "status"
        )
    }
    emails = {row.get("email", "").strip().lower() for row in rows} - {""}
    # Open accounts only: a closed account's address gets the answer an unknown one gets,
    # so the preview tells nobody that it exists.
    with_account = set(
        User.objects.filter(email__in=emails, is_active=True).values_list("email", flat=True)
    )
    names = {row.get("classification", "").strip().lower() for row in rows} - {""}
    classifications = {
        lowered: (pk, name)
        for pk, name, lowered in Classification.objects.annotate(lowered=Lower("name"))
        .filter(lowered__in=names)
        .values_list("pk", "name", "lowered")
    }
    holders = {
        classification_id: f"{first} {last}".strip()
        for classification_id, first, last in Member.objects.current()
        .filter(chapter=chapter)
        .values_list("classification_id", "user__first_name", "user__last_name")
    }
    reserved = {
        classification_id: f"{first} {last}".strip()
        for classification_id, first, last in Application.objects.filter(
            chapter=chapter, status=Application.Status.APPROVED
        ).values_list("classification_id", "first_name", "last_name")
    }
    status_labels = dict(Member.Status.choices)
    seen_emails: dict[str, int] = {}
    claimed: dict[int, int] = {}
    verdicts = []
    for row in rows:
        email = row.get("email", "").strip().lower()
        row = {**row, "email": email}
        first_line = seen_emails.get(email) if email else None
        if email and first_line is None:
            seen_emails[email] = row["line"]
        if problem := _identity_problem(row):
            verdicts.append(RowVerdict(row, *problem))
            continue
        if first_line is not None:
            verdicts.append(
                RowVerdict(row, DUPLICATE_EMAIL, f"{email} is already on line {first_line}.")
            )
            continue
        if email in in_chapter:
            status = status_labels.get(in_chapter[email], in_chapter[email]).lower()
            verdicts.append(
                RowVerdict(row, UNCHANGED, f"{email} is already in the chapter ({status}).")
            )
            continue
        if problem := _detail_problem(row, today):
            verdicts.append(RowVerdict(row, *problem))
            continue
        found = classifications.get(row["classification"].strip().lower())
        if found is None:
            verdicts.append(
                RowVerdict(
                    row, UNKNOWN_CLASSIFICATION,
                    f"“{row['classification']}” is not a known classification.",
                )
            )
            continue
        classification_id, classification_name = found
        if classification_id in holders:
            verdicts.append(RowVerdict(
                row, CLASSIFICATION_TAKEN,
                f"{classification_name} is held by {holders[classification_id]}.",
                classification_id,
            ))
            continue
        if classification_id in reserved:
            verdicts.append(RowVerdict(
                row, CLASSIFICATION_TAKEN,
                f"{classification_name} is kept for {reserved[classification_id]}, "
                "an approved applicant.",
                classification_id,
            ))
            continue
        if classification_id in claimed:
            verdicts.append(RowVerdict(
                row, CLASSIFICATION_TAKEN,
                f"{classification_name} is already given to line {claimed[classification_id]}.",
                classification_id,
            ))
            continue
        claimed[classification_id] = row["line"]
        if email in with_account:
            verdicts.append(RowVerdict(row, INVITE, HAS_ACCOUNT, classification_id))
            continue
        verdicts.append(RowVerdict(row, NEW, "", classification_id))
    return verdicts


def summary(verdicts: list[RowVerdict]) -> dict:
    counts = {key: 0 for key in VERDICTS}
    for verdict in verdicts:
        counts[verdict.verdict] = counts.get(verdict.verdict, 0) + 1
    problems = sum(
        count for key, count in counts.items() if key not in (NEW, INVITE, UNCHANGED)
    )
    return {"counts": counts, "new": counts[NEW] + counts[INVITE], "invite": counts[INVITE],
            "unchanged": counts[UNCHANGED],
            "problems": problems, "total": len(verdicts)}


def _renewal_for(joined: datetime.date, today: datetime.date) -> datetime.date:
    """The next anniversary of joining, today or later."""
    due = add_year(joined)
    while due < today:
        due = add_year(due)
    return due


@dataclass
class ImportOutcome:
    created: int
    unchanged: int
    rejected: int
    results: list[dict]


def _create_member(
    *, chapter: Chapter, verdict: RowVerdict, by: User | None, today: datetime.date
) -> tuple[Member | None, str]:
    """Add one row's member; (None, why) when it cannot be added. An address that already has
    an account (in another chapter, or closed) is invited instead: (None, INVITED)."""
    row = verdict.row
    user = User.objects.filter(email__iexact=row["email"]).first()
    if user is not None:
        try:
            with transaction.atomic():
                invitation_create(
                    chapter=chapter, email=row["email"], first_name=row["first_name"],
                    last_name=row["last_name"],
                    classification=Classification.objects.get(pk=verdict.classification_id),
                    business_name=row["business_name"], invited_by=by,
                )
        except MembershipError as refusal:
            return None, str(refusal)
        return None, INVITED
    if user is None:
        user = User.objects.create_user(
            email=row["email"], password=None,
            first_name=row["first_name"], last_name=row["last_name"],
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    joined = parse_date(row.get("joined_on", "")) or today
    renewal = parse_date(row.get("renewal_due_on", "")) or _renewal_for(joined, today)
    member = Member.objects.create(
        user=user,
        chapter=chapter,
        classification_id=verdict.classification_id,
        business_name=row["business_name"],
        phone=row.get("phone", ""),
        status=Member.Status.ACTIVE,
        joined_on=joined,
        renewal_due_on=renewal,
    )
    audit_record(
        chapter=chapter,
        member=member,
        actor=by,
        action=AuditEntry.Action.IMPORTED,
        summary=f"Added by roster import (line {verdict.line})",
        after={"status": member.status, "classification": member.classification,
               "joined_on": joined, "renewal_due_on": renewal},
    )
    return member, ""


def import_rows(
    *,
    chapter: Chapter,
    rows: list[dict],
    by: User | None,
    send_emails: bool,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import the rows judged new; report every row's outcome.

    Rows go in small chunks, each in its own transaction holding the chapter lock (so an
    approval or another import cannot slip into a classification between check and insert)
    and each row in a savepoint: the database constraints decide any race, row by row.
    """
    verdicts = assess_rows(chapter, rows)
    results: list[dict] = []
    created = unchanged = rejected = 0
    for start in range(0, len(verdicts), CHUNK):
        chunk = verdicts[start:start + CHUNK]
        with transaction.atomic():
            Chapter.objects.select_for_update().filter(pk=chapter.pk).first()
            today = chapter.today()
            # Judge the chunk again under the lock: the chapter may have changed since.
            fresh = {v.line: v for v in assess_rows(chapter, [v.row for v in chunk])}
            for verdict in chunk:
                now_verdict = fresh[verdict.line]
                if verdict.is_new and not now_verdict.is_new:
                    verdict = RowVerdict(verdict.row, now_verdict.verdict, now_verdict.message)
                outcome = {"line": verdict.line, "name": verdict.name,
                           "email": verdict.row.get("email", ""),
                           "verdict": verdict.verdict, "message": verdict.message}
                if verdict.is_new and not dry_run:
                    try:
                        with transaction.atomic():
                            member, why = _create_member(
                                chapter=chapter, verdict=verdict, by=by, today=today
                            )
                    except IntegrityError:
                        # Another import or a join won the race for this person or seat.
                        member, why = None, "Taken by someone else while importing."
                        outcome["verdict"] = CLASSIFICATION_TAKEN
                    if member is not None:
                        outcome["verdict"] = CREATED
                        if send_emails:
                            member_imported.send(sender=Member, member=member)
                    elif why == INVITED:
                        # A closed account is counted as a row added, as an unknown one is.
                        outcome["verdict"] = INVITED if verdict.verdict == INVITE else CREATED
                        outcome["message"] = ""
                    else:
                        if outcome["verdict"] == NEW:
                            outcome["verdict"] = INVALID
                        outcome["message"] = why
                if outcome["verdict"] in (CREATED, NEW, INVITED, INVITE):
                    created += 1
                elif outcome["verdict"] == UNCHANGED:
                    unchanged += 1
                else:
                    rejected += 1
                results.append(outcome)
        if progress is not None:
            progress(len(chunk))
    return ImportOutcome(created=created, unchanged=unchanged, rejected=rejected, results=results)


# --- Uploads in the browser ---------------------------------------------------------------


def roster_upload(
    *, chapter: Chapter, by: User, filename: str, data: bytes, send_emails: bool
) -> RosterImport:
    """Parse an uploaded file into a preview (nothing in the chapter changes yet)."""
    import hashlib

    rows = parse_roster(filename, data)
    return RosterImport.objects.create(
        chapter=chapter,
        filename=filename[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        rows=rows,
        total=len(rows),
        send_emails=send_emails,
        created_by=by,
    )


# A run that has not finished in this long died with its worker; it may be started again.
STALE_AFTER = datetime.timedelta(minutes=20)


def roster_import_start(*, batch: RosterImport) -> bool:
    """Confirm a preview: hand it to a worker. A double click starts it once."""
    from members.tasks import roster_import_run

    now = timezone.now()
    started = RosterImport.objects.filter(
        pk=batch.pk, status=RosterImport.Status.PREVIEW
    ).update(status=RosterImport.Status.IMPORTING)
    if not started:
        # A run whose worker died is started again (rows are idempotent).
        started = RosterImport.objects.filter(
            pk=batch.pk, status=RosterImport.Status.IMPORTING, started_at__lt=now - STALE_AFTER
        ).update(started_at=None, processed=0)
    if started:
        roster_import_run.delay_on_commit(batch.pk)
    return bool(started)


def roster_import_execute(*, batch_id: int) -> bool:
    """The worker's part: import a confirmed preview, keeping its progress up to date."""
    from django.db.models import F

    now = timezone.now()
    if not RosterImport.objects.filter(
        pk=batch_id, status=RosterImport.Status.IMPORTING, started_at__isnull=True
    ).update(started_at=now):
        return False
    batch = RosterImport.objects.select_related("chapter", "created_by").get(pk=batch_id)

    def progress(count: int) -> None:
        RosterImport.objects.filter(pk=batch_id).update(processed=F("processed") + count)

    outcome = import_rows(
        chapter=batch.chapter,
        rows=batch.rows,
        by=batch.created_by,
        send_emails=batch.send_emails,
        progress=progress,
    )
    with transaction.atomic():
        RosterImport.objects.filter(pk=batch_id).update(
            status=RosterImport.Status.IMPORTED,
            processed=batch.total,
            created_count=outcome.created,
            unchanged_count=outcome.unchanged,
            rejected_count=outcome.rejected,
            results=outcome.results,
            imported_at=timezone.now(),
        )
        audit_record(
            chapter=batch.chapter,
            actor=batch.created_by,
            action=AuditEntry.Action.ROSTER_IMPORTED,
            summary=f"Roster file {batch.filename}: {outcome.created} added, "
            f"{outcome.unchanged} already there, {outcome.rejected} refused",
            after={"added": outcome.created, "unchanged": outcome.unchanged,
                   "refused": outcome.rejected},
        )
    return True


# --- Export ---------------------------------------------------------------------------------


def roster_export_rows(chapter: Chapter, *, include_former: bool = False) -> list[list[str]]:
    """The roster in the import's own columns (plus status), so an export can be re-imported."""
    members = Member.objects.for_chapter(chapter).select_related(
        "user", "classification__industry"
    )
    if not include_former:
        members = members.filter(status__in=Member.Status.current_values())
    rows = []
    for member in members.order_by("user__last_name", "user__first_name", "pk"):
        rows.append([
            member.user.first_name,
            member.user.last_name,
            member.user.email,
            member.phone,
            member.business_name,
            member.classification.name,
            member.classification.industry.name,
            member.joined_on.isoformat() if member.joined_on else "",
            member.renewal_due_on.isoformat() if member.renewal_due_on else "",
            member.get_status_display(),
        ])
    return rows


def roster_csv(chapter: Chapter, *, include_former: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in roster_export_rows(chapter, include_former=include_former):
        writer.writerow([spreadsheets.formula_guard(value) for value in row])
    return buffer.getvalue()


def roster_xlsx(chapter: Chapter, *, include_former: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Roster")
    sheet.append(EXPORT_COLUMNS)
    for row in roster_export_rows(chapter, include_former=include_former):
        sheet.append([spreadsheets.formula_guard(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
