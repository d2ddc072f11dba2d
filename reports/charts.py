"""Pictures of a chapter's numbers, drawn as server-side SVG (no scripts, no CDN).

This module computes the figures (grouped SQL queries, a fixed number per chart) and the
geometry; templates/reports/charts.html draws them. Every chart also has its numbers as a
table, for screen readers and for people who would rather read.
"""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from django.db.models import Count, Sum

from chapters.models import Chapter
from meetings.models import Attendance, Palms
from members.models import Member
from referrals.models import OneToOne, Referral, ThankYou
from reports.models import ImportedSlip
from reports.palms import window_meetings

# Drawn at about phone width, so text is readable there; wider screens scale it up.
WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 38, 6, 10, 26
# Fills chosen for contrast against white and each other; text on them is ink or white.
INK, PAPER = "#1a1d21", "#ffffff"
SERIES_FILL = {"referrals": "#0b5cad", "tyfcb": "#116b2f"}
PALMS_FILL = {"P": "#116b2f", "L": "#8a6d00", "S": "#0b5cad", "M": "#6b4fa0", "A": "#a4161a"}
HEAT = [("#eef1f5", INK), ("#c6dbef", INK), ("#7fb0dc", INK), ("#2b6cb0", PAPER),
        ("#0b3d73", PAPER)]


@dataclass
class Segment:
    series: str
    value: float
    y: float
    height: float
    fill: str


@dataclass
class Column:
    label: str
    x: float
    width: float
    total: float
    shown: str
    segments: list[Segment]
    show_label: bool

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass
class ColumnChart:
    """Weekly columns, stacked when there is more than one series."""

    slug: str
    title: str
    description: str
    columns: list[Column]
    ticks: list[tuple[float, str]]
    legend: list[tuple[str, str, str]]
    headers: list[str]
    rows: list[list]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    right_edge: int = WIDTH - RIGHT
    tick_x: int = LEFT - 6
    label_y: float = HEIGHT - BOTTOM + 15


def _nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for the axis and the step between ticks (1, 2 or 5 times a power of 10)."""
    if value <= 0:
        return 1, 1
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


def _short_money(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}m"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def column_chart(*, slug, title, description, weeks, series, fills, money=False,
                 labels=None) -> ColumnChart:
    """Columns for `weeks` (dates); `series` maps a series name to {date: value}."""
    plot_height = HEIGHT - TOP - BOTTOM
    totals = [sum(float(series[name].get(day, 0)) for name in series) for day in weeks]
    top, step = _nice_ceiling(max(totals, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    every = max(1, math.ceil(len(weeks) / 7))
    columns = []
    for index, day in enumerate(weeks):
        y = HEIGHT - BOTTOM
        segments = []
        for name in series:
            value = float(series[name].get(day, 0))
            height = plot_height * value / top
            y -= height
            segments.append(Segment(name, value, round(y, 1), round(height, 1), fills[name]))
        total = totals[index]
        columns.append(Column(
            label=f"{day:%-d %b}", x=round(LEFT + index * slot + slot * 0.15, 1),
            width=round(slot * 0.7, 1), total=total,
            shown=_short_money(total) if money else f"{total:g}", segments=segments,
            show_label=index % every == 0 or index == len(weeks) - 1 and len(weeks) < 8,
        ))
    ticks = []
    value = 0.0
    while value <= top + 1e-9:
        y = HEIGHT - BOTTOM - plot_height * value / top
        ticks.append((round(y, 1), _short_money(value) if money else f"{value:g}"))
        value += step
    names = list(series)
    legend = [(name, fills[name], (labels or {}).get(name, name)) for name in names]
    headers = ["Week", *[(labels or {}).get(name, name) for name in names]]
    rows = [[day, *[series[name].get(day, 0) for name in names]] for day in weeks]
    return ColumnChart(slug=slug, title=title, description=description, columns=columns,
                       ticks=ticks, legend=legend if len(names) > 1 else [], headers=headers,
                       rows=rows)


def weekly_charts(*, chapter: Chapter, start: datetime.date, end: datetime.date,
                  include_provisional: bool = False) -> list[ColumnChart]:
    """Referrals given, TYFCB credited and attendance, week by week (seven queries)."""
    meetings = window_meetings(chapter=chapter, start=start, end=end,
                               include_provisional=include_provisional)
    ids = meetings.values("pk")
    weeks = {pk: day for pk, day in meetings.order_by("local_date").values_list("pk",
                                                                                  "local_date")}
    days = list(weeks.values())

    def per_week(rows) -> dict:
        result: dict = {}
        for meeting_id, value in rows:
            result[weeks[meeting_id]] = result.get(weeks[meeting_id], 0) + (value or 0)
        return result

    kinds = ImportedSlip.Kind
    referrals = per_week([
        *Referral.objects.filter(meeting__in=ids).values("meeting").annotate(n=Count("pk"))
        .values_list("meeting", "n"),
        *ImportedSlip.objects.filter(meeting__in=ids, kind=kinds.REFERRAL_GIVEN)
        .values("meeting").annotate(n=Count("pk")).values_list("meeting", "n"),
    ])
    tyfcb = per_week([
        *ThankYou.objects.filter(credited_meeting__in=ids).values("credited_meeting")
        .annotate(n=Sum("amount")).values_list("credited_meeting", "n"),
        *ImportedSlip.objects.filter(meeting__in=ids, kind=kinds.TYFCB_CREDITED)
        .values("meeting").annotate(n=Sum("amount")).values_list("meeting", "n"),
    ])
    marks = {code: {} for code in "PLSMA"}
    for meeting_id, code, count in (
        Attendance.objects.filter(meeting__in=ids).values("meeting", "code")
        .annotate(n=Count("pk")).values_list("meeting", "code", "n")
    ):
        marks[code][weeks[meeting_id]] = count
    tyfcb = {day: Decimal(value) for day, value in tyfcb.items()}
    span = f"{start:%-d %b %Y} to {end:%-d %b %Y}"
    return [
        column_chart(
            slug="referrals", title="Referrals given per week",
            description=f"Referrals given by the chapter's members each week, {span}: "
                        f"{sum(referrals.values())} in {len(days)} weeks.",
            weeks=days, series={"referrals": referrals}, fills=SERIES_FILL,
            labels={"referrals": "Referrals"},
        ),
        column_chart(
            slug="tyfcb", title=f"TYFCB per week ({chapter.currency})",
            description=f"Closed business thanked for each week, {span}: "
                        f"{sum(tyfcb.values(), Decimal(0)):,.2f} {chapter.currency} in all.",
            weeks=days, series={"tyfcb": tyfcb}, fills=SERIES_FILL, money=True,
            labels={"tyfcb": f"TYFCB ({chapter.currency})"},
        ),
        column_chart(
            slug="attendance", title="Attendance per week",
            description=f"PALMS marks each week, {span}, stacked: present, late, substitute, "
                        f"medical, absent.",
            weeks=days, series=marks, fills=PALMS_FILL, labels=dict(Palms.choices),
        ),
    ]


# -- Matrices ------------------------------------------------------------------------------

@dataclass
class Cell:
    x: float
    y: float
    value: int
    fill: str
    ink: str
    label: str

    @property
    def cx(self) -> float:
        return self.x + (CELL - 1) / 2

    @property
    def cy(self) -> float:
        return self.y + (CELL - 1) / 2


@dataclass
class HeatMap:
    slug: str
    title: str
    description: str
    names: list[str]
    cells: list[Cell]
    row_labels: list[tuple[float, str]]
    column_labels: list[tuple[float, str]]
    table: list[list]
    size: int
    left: int
    top: int
    width: int
    height: int
    label_x: int = 0
    label_y: int = 0
    people: list[tuple[int, str]] = field(default_factory=list)
    counts: dict[tuple[int, int], int] = field(default_factory=dict)


CELL, LABEL_LEFT, LABEL_TOP = 24, 150, 120
# Room on the right for the last column's slanted name.
LABEL_RIGHT = 70


def _people(chapter: Chapter) -> list[tuple[int, str]]:
    """Current members, by first then last name (one query)."""
    return [
        (pk, f"{first} {last}".strip()) for pk, first, last in
        Member.objects.current().filter(chapter=chapter)
        .order_by("user__first_name", "user__last_name", "pk")
        .values_list("pk", "user__first_name", "user__last_name")
    ]


def _heat(value: int) -> tuple[str, str]:
    """Fill and text colour for a count: 0, 1, 2, 3-4, 5 or more (the same in every chart)."""
    level = 0 if value <= 0 else 1 if value == 1 else 2 if value == 2 else 3 if value <= 4 else 4
    return HEAT[level]


HEAT_LEGEND = [(HEAT[0][0], "0"), (HEAT[1][0], "1"), (HEAT[2][0], "2"), (HEAT[3][0], "3-4"),
               (HEAT[4][0], "5+")]


def _short(name: str) -> str:
    return name if len(name) <= 20 else name[:19] + "\u2026"


def heat_map(*, slug, title, description, people, counts, symmetric=False) -> HeatMap:
    names = [name for _, name in people]
    cells, table = [], []
    for row_index, (row_id, row_name) in enumerate(people):
        table_row = [row_name]
        for col_index, (col_id, col_name) in enumerate(people):
            if row_id == col_id:
                table_row.append("")
                cells.append(Cell(LABEL_LEFT + col_index * CELL, LABEL_TOP + row_index * CELL,
                                  0, "#ffffff", INK, f"{row_name}: themselves"))
                continue
            value = counts.get((row_id, col_id), 0)
            fill, ink = _heat(value)
            verb = "one-to-ones with" if symmetric else "referrals to"
            cells.append(Cell(LABEL_LEFT + col_index * CELL, LABEL_TOP + row_index * CELL,
                              value, fill, ink, f"{row_name}: {value} {verb} {col_name}"))
            table_row.append(value)
        table.append(table_row)
    size = len(people)
    return HeatMap(
        slug=slug, title=title, description=description, names=names, cells=cells,
        row_labels=[(LABEL_TOP + i * CELL + CELL * 0.65, _short(name))
                    for i, name in enumerate(names)],
        column_labels=[(LABEL_LEFT + i * CELL + CELL * 0.6, _short(name))
                       for i, name in enumerate(names)],
        table=table, size=CELL - 1, left=LABEL_LEFT, top=LABEL_TOP,
        label_x=LABEL_LEFT - 6, label_y=LABEL_TOP - 6,
        width=LABEL_LEFT + size * CELL + LABEL_RIGHT, height=LABEL_TOP + size * CELL + 8,
        people=people, counts=counts,
    )


@dataclass
class Suggestion:
    first: str
    second: str
    reason: str
    first_id: int
    second_id: int
    referrals: int = 0


def referral_matrix(*, chapter: Chapter, start, end, include_provisional=False) -> HeatMap:
    """Who referred whom among current members over the range (two queries)."""
    meetings = window_meetings(chapter=chapter, start=start, end=end,
                               include_provisional=include_provisional)
    people = _people(chapter)
    counts = {
        (giver, receiver): n for giver, receiver, n in
        Referral.objects.filter(meeting__in=meetings.values("pk"), receiver__chapter=chapter)
        .values("giver", "receiver").annotate(n=Count("pk")).values_list("giver", "receiver", "n")
    }
    total = sum(counts.values())
    return heat_map(
        slug="referral-matrix", title="Who referred whom",
        description=f"Referrals given between current members, {start:%-d %b %Y} to "
                    f"{end:%-d %b %Y}: {total} in all. Rows give, columns receive; darker "
                    f"means more.",
        people=people, counts=counts,
    )


def one_to_one_coverage(*, chapter: Chapter) -> tuple[HeatMap, dict]:
    """Which current members have had a one-to-one with each other, ever (two queries)."""
    people = _people(chapter)
    counts: dict[tuple[int, int], int] = {}
    for member, met_with, n in (
        OneToOne.objects.filter(member__chapter=chapter, met_with__chapter=chapter)
        .values("member", "met_with").annotate(n=Count("pk"))
        .values_list("member", "met_with", "n")
    ):
        counts[(member, met_with)] = counts.get((member, met_with), 0) + n
        counts[(met_with, member)] = counts.get((met_with, member), 0) + n
    pairs = len(people) * (len(people) - 1) // 2
    met = sum(1 for a, b in combinations([pk for pk, _ in people], 2) if counts.get((a, b)))
    chart = heat_map(
        slug="one-to-one-coverage", title="One-to-one coverage",
        description=f"Which current members have had a one-to-one with each other: {met} of "
                    f"{pairs} pairs have met. Blank squares are pairs who have not.",
        people=people, counts=counts, symmetric=True,
    )
    return chart, {"pairs": pairs, "met": met}


def one_to_one_suggestions(*, coverage: HeatMap, referrals: HeatMap,
                           member_id: int | None = None, limit: int = 8) -> list[Suggestion]:
    """One-to-ones to book next: pairs who have never met, those already passing referrals
    first (a one-to-one turns that into more), then members who have met the fewest people."""
    names = dict(coverage.people)
    met = {pair for pair, n in coverage.counts.items() if n}
    seen = {pk: sum(1 for a, _ in met if a == pk) for pk in names}
    candidates = []
    for a, b in combinations(sorted(names), 2):
        if (a, b) in met or (member_id is not None and member_id not in (a, b)):
            continue
        if member_id is not None and b == member_id:
            a, b = b, a
        passed = referrals.counts.get((a, b), 0) + referrals.counts.get((b, a), 0)
        candidates.append((-passed, seen[a] + seen[b], names[a], names[b], a, b, passed))
    candidates.sort()
    suggestions = []
    for _, _, first, second, a, b, passed in candidates[:limit]:
        plural = "s" if passed != 1 else ""
        if member_id is not None:
            reason = (f"{passed} referral{plural} between you, never met" if passed else
                      f"never met; they have had one-to-ones with {seen[b]} members")
        elif passed:
            reason = f"{passed} referral{plural} between them, never met"
        else:
            reason = f"never met; they have had one-to-ones with {seen[a]} and {seen[b]} members"
        suggestions.append(Suggestion(first, second, reason, a, b, passed))
    return suggestions
