"""The PALMS summary: one row of counts per member for a range of a chapter's meetings.

Each figure comes from one grouped SQL query over the slips of the window's meetings, keyed by
member; the rows are put together in Python by member id. So a report costs the same dozen
queries whether the chapter has 10 members or 60 and the range one week or a year.

Which side of a slip counts where:
- attendance, referrals given, visitors, one-to-ones, CEUs and testimonials count for the
  meeting they were logged for (`meeting`, the author's chapter); a visitor counts for the
  member who invited them, if they came (`attended`);
- referrals received count for the receiver's meeting (`receiver_meeting`), so a referral
  between two chapters counts in both;
- a one-to-one counts for both people: the author through `meeting`, the other member through
  `met_with_meeting`;
- TYFCB counts for the member it is credited to, through `credited_meeting`.
Holiday and cancelled meetings count for nothing; draft (provisional) weeks only on request.
"""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Case, DecimalField, F, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from chapters.models import Chapter
from meetings.models import Attendance, Meeting, Visitor
from members.models import Member
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou, Tier
from reports.models import ImportedSlip

# The official column order; `PalmsRow` attribute for each column.
COLUMNS = [
    ("First Name", "first_name"),
    ("Last Name", "last_name"),
    ("P", "P"),
    ("A", "A"),
    ("L", "L"),
    ("M", "M"),
    ("S", "S"),
    ("RGI", "RGI"),
    ("RGO", "RGO"),
    ("RRI", "RRI"),
    ("RRO", "RRO"),
    ("V", "V"),
    ("1-2-1", "one_to_ones"),
    ("TYFCB", "TYFCB"),
    ("CEU", "CEU"),
    ("T", "T"),
]
HEADERS = [header for header, _ in COLUMNS]
DECIMAL_FIELDS = {"TYFCB"}
COUNT_FIELDS = [
    "P", "A", "L", "M", "S", "RGI", "RGO", "RRI", "RRO", "V", "one_to_ones", "TYFCB", "CEU", "T"
]


@dataclass
class PalmsRow:
    member_id: int | None
    first_name: str
    last_name: str
    P: int = 0
    A: int = 0
    L: int = 0
    M: int = 0
    S: int = 0
    RGI: int = 0
    RGO: int = 0
    RRI: int = 0
    RRO: int = 0
    V: int = 0
    one_to_ones: int = 0
    TYFCB: Decimal = field(default_factory=lambda: Decimal("0.00"))
    CEU: int = 0
    T: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def referrals_given(self) -> int:
        return self.RGI + self.RGO

    @property
    def referrals_received(self) -> int:
        return self.RRI + self.RRO

    @property
    def meetings_recorded(self) -> int:
        return self.P + self.A + self.L + self.M + self.S

    def cells(self) -> list:
        """The row in the official column order."""
        return [getattr(self, attribute) for _, attribute in COLUMNS]

    def has_numbers(self) -> bool:
        return any(getattr(self, name) for name in COUNT_FIELDS)


def window_meetings(
    *, chapter: Chapter | None = None, start: datetime.date, end: datetime.date,
    include_provisional: bool = False, chapters: QuerySet | None = None,
) -> QuerySet:
    """The meetings a report counts: held (not holiday/cancelled), dated in [start, end],
    completed unless provisional weeks are asked for. `chapters` widens it to many chapters."""
    meetings = Meeting.objects.counted().filter(local_date__range=(start, end))
    if chapters is not None:
        meetings = meetings.filter(chapter__in=chapters)
    else:
        meetings = meetings.filter(chapter=chapter)
    if not include_provisional:
        meetings = meetings.completed()
    return meetings


def _sources() -> list[tuple]:
    """Where each figure comes from: (slips, whose figure, the meeting it counts for, what
    each slip adds to which PALMS figure)."""
    kind = ImportedSlip.Kind
    inside, outside = Q(tier=Tier.INSIDE), Q(tier=Tier.OUTSIDE)

    def one_if(condition):
        return Case(When(condition, then=1), default=0)

    return [
        (Attendance.objects.all(), "member", "meeting",
         {code: one_if(Q(code=code)) for code in "PALMS"}),
        (Referral.objects.all(), "giver", "meeting",
         {"RGI": one_if(inside), "RGO": one_if(outside)}),
        (Referral.objects.all(), "receiver", "receiver_meeting",
         {"RRI": one_if(inside), "RRO": one_if(outside)}),
        (Visitor.objects.filter(attended=True), "invited_by", "meeting", {"V": Value(1)}),
        (OneToOne.objects.all(), "member", "meeting", {"one_to_ones": Value(1)}),
        (OneToOne.objects.all(), "met_with", "met_with_meeting", {"one_to_ones": Value(1)}),
        (ThankYou.objects.all(), "credited_to", "credited_meeting", {"TYFCB": F("amount")}),
        (CEU.objects.all(), "member", "meeting", {"CEU": F("credits")}),
        (Testimonial.objects.all(), "giver", "meeting", {"T": Value(1)}),
        # History imported from the official tool whose other side is outside the chapter.
        (ImportedSlip.objects.all(), "member", "meeting",
         {"RGI": one_if(Q(kind=kind.REFERRAL_GIVEN) & inside),
          "RGO": one_if(Q(kind=kind.REFERRAL_GIVEN) & outside),
          "RRI": one_if(Q(kind=kind.REFERRAL_RECEIVED) & inside),
          "RRO": one_if(Q(kind=kind.REFERRAL_RECEIVED) & outside),
          "one_to_ones": one_if(Q(kind__in=[kind.ONE_TO_ONE, kind.ONE_TO_ONE_MET])),
          "TYFCB": Case(When(kind=kind.TYFCB_CREDITED, then=F("amount")), default=0,
                        output_field=DecimalField(max_digits=14, decimal_places=2))}),
    ]


def palms_counts(
    meetings: QuerySet, member_ids: list[int] | None = None, *, by_week: bool = False
) -> dict:
    """Every figure of the PALMS summary for the given meetings, keyed by member id, or with
    `by_week` by (member id, meeting date) so that several windows can be summed from one pass.

    One statement whatever the number of members, meetings or slips: ten queries built with
    the ORM, one per source of figures, each giving every column for each slip (0 where it
    adds nothing), added up per member by the database. Works for one chapter or a whole
    region: the meetings' query is written once, in a WITH that every branch reads, so the
    branches are the same statement for every call and are compiled once a process.
    """
    chosen_sql, chosen_params = meetings.order_by().values("pk").query.sql_with_params()
    if member_ids is None:
        union, union_params = _union_for_everyone(by_week)
    else:
        union, union_params = _union(by_week, member_ids)
    quote = connection.ops.quote_name
    keys = [quote("who"), quote("week")] if by_week else [quote("who")]
    sums = ", ".join(
        f"SUM({quote(f'n_{name}')})" if name in DECIMAL_FIELDS
        else f"CAST(SUM({quote(f'n_{name}')}) AS BIGINT)"
        for name in COUNT_FIELDS
    )
    # Only quoted names from COUNT_FIELDS and the ORM's own SQL; every value is a parameter.
    # The keys come last, so a row's figures are its first len(COUNT_FIELDS) columns.
    key_list = ", ".join(keys)
    # Inlined where PostgreSQL can (each branch plans its own semi-join, as with a subquery).
    inline = "NOT MATERIALIZED " if connection.vendor == "postgresql" else ""
    chosen = f"WITH {CHOSEN} (meeting_id) AS {inline}({chosen_sql})"
    added_up = f"SELECT {sums}, {key_list} FROM ({union}) AS numbers"  # noqa: S608  # nosec B608
    statement = f"{chosen} {added_up} WHERE {keys[0]} IS NOT NULL GROUP BY {key_list}"
    counts: dict = {}
    sqlite_sums = connection.vendor == "sqlite"  # SQLite adds up decimals as floats
    with connection.cursor() as cursor:
        cursor.execute(statement, [*chosen_params, *union_params])
        rows = cursor.fetchall()
    for row in rows:
        numbers = dict(zip(COUNT_FIELDS, row))  # noqa: B905 - the keys follow the figures
        if sqlite_sums and isinstance(numbers["TYFCB"], float):
            numbers["TYFCB"] = Decimal(repr(numbers["TYFCB"])).quantize(Decimal("0.01"))
        counts[row[-2:] if by_week else row[-1]] = numbers
    return counts


CHOSEN = "palms_meetings"  # the WITH of the meetings palms_counts adds up
CHOSEN_IDS = "SELECT meeting_id FROM palms_meetings"


def _union(by_week: bool, member_ids: list[int] | None) -> tuple[str, tuple]:
    """The ten branches, one per source of figures, over the meetings in CHOSEN."""
    chosen = RawSQL(CHOSEN_IDS, ())  # noqa: S611 - a fixed statement, no value  # nosec B611
    parts, params = [], []
    for slips, whose, meeting, figures in _sources():
        slips = slips.filter(**{f"{meeting}__in": chosen})
        if member_ids is not None:
            slips = slips.filter(**{f"{whose}__in": member_ids})
        columns = {"who": F(whose)}
        if by_week:
            columns["week"] = F(f"{meeting}__local_date")
        columns |= {f"n_{name}": figures.get(name, Value(0)) for name in COUNT_FIELDS}
        sql, branch_params = (
            slips.order_by().annotate(**columns).values_list(*columns).query.sql_with_params()
        )
        parts.append(f"SELECT * FROM ({sql}) AS branch")  # noqa: S608  # nosec B608
        params += branch_params
    # The ORM cannot add up a UNION, so palms_counts writes the outer statement.
    return " UNION ALL ".join(parts), tuple(params)


@functools.cache
def _union_for_everyone(by_week: bool) -> tuple[str, tuple]:
    """The branches for every member: the same statement each time, compiled once a process
    (compiling them was about a tenth of the region's weekly tally, measured)."""
    return _union(by_week, None)


def _row(member_id: int, first_name: str, last_name: str, numbers: dict) -> PalmsRow:
    row = PalmsRow(member_id=member_id, first_name=first_name, last_name=last_name, **numbers)
    row.TYFCB = Decimal(row.TYFCB or 0).quantize(Decimal("0.01"))
    return row


def palms_rows(
    *,
    chapter: Chapter,
    start: datetime.date,
    end: datetime.date,
    include_provisional: bool = False,
    member_ids: list[int] | None = None,
) -> list[PalmsRow]:
    """The PALMS summary of a chapter for [start, end], one row per member, by first name.

    Rows for every member with a current membership and for anyone else of the chapter with
    numbers in the window (e.g. a member dropped since). Two queries, whatever the size: the
    figures (`palms_counts`) and the people (`report_people`).
    """
    meetings = window_meetings(
        chapter=chapter, start=start, end=end, include_provisional=include_provisional
    )
    counts = palms_counts(meetings, member_ids)
    return [
        palms_row(person, counts)
        for person in report_people(chapter=chapter, counts=counts, member_ids=member_ids)
    ]


def report_people(
    *, chapter: Chapter, counts: dict[int, dict], member_ids: list[int] | None = None
) -> list[dict]:
    """The members a report has a row for: current memberships and anyone with numbers, by
    first then last name (one query)."""
    members = Member.objects.filter(chapter=chapter).filter(
        Q(status__in=Member.Status.current_values()) | Q(pk__in=list(counts))
    )
    if member_ids is not None:
        members = members.filter(pk__in=member_ids)
    return list(
        members.order_by("user__first_name", "user__last_name", "pk").values(
            "pk", "status", "joined_on", "left_on", first_name=F("user__first_name"),
            last_name=F("user__last_name"),
        )
    )


def palms_row(person: dict, counts: dict[int, dict]) -> PalmsRow:
    """The row of one person from `report_people` with their figures from `palms_counts`."""
    return _row(person["pk"], person["first_name"], person["last_name"],
                counts.get(person["pk"], {}))


def palms_totals(rows: list[PalmsRow]) -> PalmsRow:
    """The totals row of a PALMS summary."""
    total = PalmsRow(member_id=None, first_name="Total", last_name="")
    for name in COUNT_FIELDS:
        setattr(total, name, sum((getattr(row, name) for row in rows), start=getattr(total, name)))
    return total

