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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from chapters.models import Chapter, ImportedSlip
from meetings.models import Attendance, Meeting, Visitor
from members.models import Member
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou, Tier

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
    """Where each figure comes from: (slips, whose figure, the meeting it counts for,
    aggregates, PALMS field for each aggregate)."""
    kind = ImportedSlip.Kind
    inside, outside = Q(tier=Tier.INSIDE), Q(tier=Tier.OUTSIDE)
    return [
        (Attendance.objects.all(), "member", "meeting",
         {code: Count("pk", filter=Q(code=code)) for code in "PALMS"},
         {code: code for code in "PALMS"}),
        (Referral.objects.all(), "giver", "meeting",
         {"inside": Count("pk", filter=inside), "outside": Count("pk", filter=outside)},
         {"inside": "RGI", "outside": "RGO"}),
        (Referral.objects.all(), "receiver", "receiver_meeting",
         {"inside": Count("pk", filter=inside), "outside": Count("pk", filter=outside)},
         {"inside": "RRI", "outside": "RRO"}),
        (Visitor.objects.filter(attended=True), "invited_by", "meeting",
         {"n": Count("pk")}, {"n": "V"}),
        (OneToOne.objects.all(), "member", "meeting", {"n": Count("pk")}, {"n": "one_to_ones"}),
        (OneToOne.objects.all(), "met_with", "met_with_meeting",
         {"n": Count("pk")}, {"n": "one_to_ones"}),
        (ThankYou.objects.all(), "credited_to", "credited_meeting",
         {"n": Sum("amount")}, {"n": "TYFCB"}),
        (CEU.objects.all(), "member", "meeting", {"n": Sum("credits")}, {"n": "CEU"}),
        (Testimonial.objects.all(), "giver", "meeting", {"n": Count("pk")}, {"n": "T"}),
        # History imported from the official tool whose other side is outside the chapter.
        (ImportedSlip.objects.all(), "member", "meeting",
         {"RGI": Count("pk", filter=Q(kind=kind.REFERRAL_GIVEN) & inside),
          "RGO": Count("pk", filter=Q(kind=kind.REFERRAL_GIVEN) & outside),
          "RRI": Count("pk", filter=Q(kind=kind.REFERRAL_RECEIVED) & inside),
          "RRO": Count("pk", filter=Q(kind=kind.REFERRAL_RECEIVED) & outside),
          "one_to_ones": Count("pk", filter=Q(kind=kind.ONE_TO_ONE)),
          "TYFCB": Sum("amount", filter=Q(kind=kind.TYFCB_CREDITED))},
         {name: name for name in ("RGI", "RGO", "RRI", "RRO", "one_to_ones", "TYFCB")}),
    ]


def palms_counts(
    meetings: QuerySet, member_ids: list[int] | None = None, *, by_week: bool = False
) -> dict:
    """Every figure of the PALMS summary for the given meetings, keyed by member id, or with
    `by_week` by (member id, meeting date) so that several windows can be summed from one pass.

    Ten grouped queries in all, whatever the number of members, meetings or slips; works for
    one chapter or a whole region (the meetings queryset is used as a subquery).
    """
    ids = meetings.values("pk")
    counts: dict = {}
    for slips, whose, meeting, aggregates, fields in _sources():
        slips = slips.filter(**{f"{meeting}__in": ids})
        if member_ids is not None:
            slips = slips.filter(**{f"{whose}__in": member_ids})
        keys = [whose, f"{meeting}__local_date"] if by_week else [whose]
        grouped = slips.order_by().values(*keys).annotate(**aggregates)
        targets = [fields[name] for name in aggregates]
        width = len(keys)
        for row in grouped.values_list(*keys, *aggregates):
            if row[0] is None:
                continue
            key = row[:2] if by_week else row[0]
            slot = counts.get(key)
            if slot is None:
                slot = counts[key] = {}
            for target, value in zip(targets, row[width:]):  # noqa: B905 - same length
                if value:
                    slot[target] = slot.get(target, 0) + value
    return counts


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
    numbers in the window (e.g. a member dropped since). Eleven queries, whatever the size.
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
            "pk", "status", "joined_on", first_name=F("user__first_name"),
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

