"""Traffic lights: members' and the chapter's last weeks scored by a rule set kept as data.

reports/traffic_lights.py describes the data. Every figure comes from the PALMS counts
(reports/palms.py) and a few aggregates, so scoring a chapter costs the same number of queries
whatever its size. Only completed weeks count, as in the official totals; the forecast shows
next week's window with this week's draft report as it stands.
"""

import bisect
import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Attendance, Visitor
from members.models import Member
from referrals.models import Referral
from reports.models import ImportedSlip
from reports.palms import PalmsRow, palms_counts, palms_row, report_people, window_meetings
from reports.traffic_lights import CHAPTER_METRICS, SHIPPED

PERS = ("total", "week", "month", "rate")
COLOUR_NAMES = ("green", "amber", "red", "grey")
DISPLAYS = ("number", "percent", "money")


def _attendance_rate(row: PalmsRow, weeks: int) -> float:
    # Medical and substitute weeks are not absences; they keep the member's seat covered.
    return min(1.0, (row.P + row.L + row.M + row.S) / weeks) if weeks else 0.0


# What each member metric key scores, from the member's PALMS row and their weeks.
MEMBER_MEASURES = {
    "absences": lambda row, weeks: row.A,
    "lates": lambda row, weeks: row.L,
    "referrals_given": lambda row, weeks: row.RGI + row.RGO,
    "referrals_received": lambda row, weeks: row.RRI + row.RRO,
    "tyfcb": lambda row, weeks: row.TYFCB,
    "visitors": lambda row, weeks: row.V,
    "testimonials": lambda row, weeks: row.T,
    "ceus": lambda row, weeks: row.CEU,
    "one_to_ones": lambda row, weeks: row.one_to_ones,
    "attendance_rate": _attendance_rate,
}
CHAPTER_MEASURES = {
    "size", "growth", "retention", "referrals_per_member_week", "visitors_per_week",
    "conversion", "absence_rate",
}


def rules_for(chapter: Chapter) -> dict:
    """The chapter's rule set (its own copy or a shipped variant; UK 100-point if none)."""
    rule_set = chapter.traffic_light_rule_set
    rules = dict(rule_set.rules) if rule_set is not None else dict(SHIPPED["uk-100-point"][2])
    rules.setdefault("chapter_metrics", CHAPTER_METRICS)
    return rules


# -- Bands -------------------------------------------------------------------------------

def band_index(metric: dict, value: float) -> int:
    """Which band of the metric holds for the value (the last band catches the rest)."""
    bands = metric["bands"]
    for index, band in enumerate(bands):
        if "below" in band and value < band["below"]:
            return index
        if "at_most" in band and value <= band["at_most"]:
            return index
        if "below" not in band and "at_most" not in band:
            return index
    return len(bands) - 1


def band_points(metric: dict, value: float) -> int:
    return metric["bands"][band_index(metric, value)]["points"]


def band_label(metric: dict, index: int) -> str:
    """A band in words, e.g. "0.5 to under 0.75", "2" or "more than 2"."""
    bands = metric["bands"]
    band, previous = bands[index], bands[index - 1] if index else None

    def show(bound) -> str:
        return format_value(metric, bound, plain=True)

    upper = band.get("below", band.get("at_most"))
    lower = None if previous is None else previous.get("below", previous.get("at_most"))
    from_above = previous is not None and "at_most" in previous
    if upper is None:
        if lower is None:
            return "any"
        return f"more than {show(lower)}" if from_above else f"{show(lower)} or more"
    word = "under" if "below" in band else "at most"
    if lower is None:
        return show(upper) if upper == 0 and word == "at most" else f"{word} {show(upper)}"
    whole = metric.get("per") == "total" and float(upper).is_integer()
    if from_above and word == "at most" and whole and upper == lower + 1:
        return show(upper)
    opener = f"more than {show(lower)}" if from_above else show(lower)
    return f"{opener} to {word} {show(upper)}"


def metric_value(metric: dict, raw, weeks: int) -> float:
    per = metric.get("per", "total")
    if per == "week":
        return float(raw) / weeks if weeks else 0.0
    if per == "month":
        return float(raw) * 4 / weeks if weeks else 0.0
    return float(raw)


def format_value(metric: dict, value, *, plain: bool = False, currency: str = "") -> str:
    display = metric.get("display", "number")
    if display == "percent":
        return f"{float(value) * 100:.0f}%"
    if display == "money":
        amount = f"{float(value):,.0f}"
        return amount if plain or not currency else f"{amount} {currency}"
    # Bounds keep three decimals (0.083 visitors a week); values read better with two.
    text = f"{float(value):.3f}" if plain else f"{float(value):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def colour_for(rules: dict, percent: float) -> str:
    for colour in sorted(rules["colours"], key=lambda c: -c["min"]):
        if percent >= colour["min"]:
            return colour["colour"]
    return rules["colours"][-1]["colour"]


def colour_above(rules: dict, percent: float) -> dict | None:
    """The next colour up from this score, or None at the top."""
    higher = [c for c in rules["colours"] if c["min"] > percent]
    return min(higher, key=lambda c: c["min"]) if higher else None


# -- Member lights ------------------------------------------------------------------------

@dataclass
class MetricScore:
    key: str
    label: str
    raw: object
    value: float
    points: int
    max_points: int
    shown: str
    bands: list[tuple[str, int, bool]]


@dataclass
class ActionStep:
    label: str
    unit: str
    units: int
    gain: int

    @property
    def text(self) -> str:
        if not self.unit:
            return f"{self.units} more ({self.label})"
        return f"{self.units} more {self.unit}{'' if self.units == 1 else 's'}"


@dataclass
class Action:
    steps: list[ActionStep]
    effort: float
    reaches: str
    score: int

    @property
    def text(self) -> str:
        return " and ".join(step.text for step in self.steps)


@dataclass
class MemberLight:
    row: PalmsRow
    weeks: int
    score: int
    max_points: int
    percent: int
    colour: str
    metrics: list[MetricScore]
    dropping: PalmsRow
    dropping_dates: list[datetime.date]
    forecast_percent: int
    forecast_colour: str
    forecast_weeks: int
    next_colour: dict | None
    action: Action | None
    window: tuple[datetime.date, datetime.date] = field(default=(None, None))

    @property
    def member_id(self) -> int:
        return self.row.member_id

    @property
    def scored(self) -> bool:
        """Whether any completed meeting week of the member's falls in the window."""
        return self.weeks > 0

    @property
    def name(self) -> str:
        return self.row.full_name


def score_metrics(rules: dict, row: PalmsRow, weeks: int, currency: str = "") -> list[MetricScore]:
    scores = []
    for metric in rules["metrics"]:
        measure = MEMBER_MEASURES.get(metric["key"])
        if measure is None:
            continue
        raw = measure(row, weeks)
        value = metric_value(metric, raw, weeks)
        current = band_index(metric, value)
        scores.append(MetricScore(
            key=metric["key"], label=metric["label"], raw=raw, value=value,
            points=metric["bands"][current]["points"], max_points=metric["points"],
            shown=format_value(metric, value, currency=currency),
            bands=[(band_label(metric, i), band["points"], i == current)
                   for i, band in enumerate(metric["bands"])],
        ))
    return scores


def _percent(points: int, max_points: int) -> int:
    return round(points * 100 / max_points) if max_points else 0


def _options(metric: dict, raw, weeks: int, points: int) -> list[tuple[int, int]]:
    """(units to add, points gained) for each higher band the member can reach by adding."""
    options, best = [], points
    bounds = [b.get("below", b.get("at_most", 0)) for b in metric["bands"]]
    ceiling = max([*bounds, 1]) * (max(weeks, 1) if metric.get("per") in ("week", "month") else 1)
    limit = min(500, math.ceil(ceiling) + 2)
    for units in range(1, limit + 1):
        gained = band_points(metric, metric_value(metric, float(raw) + units, weeks))
        if gained > best:
            options.append((units, gained - points))
            best = gained
    return options


def cheapest_action(rules: dict, row: PalmsRow, weeks: int, score: int,
                    max_points: int) -> Action | None:
    """The least effort (more referrals, visitors, ...) that lifts the score a colour."""
    target = colour_above(rules, _percent(score, max_points))
    if target is None:
        return None
    deficit = math.ceil(target["min"] * max_points / 100) - score
    while _percent(score + deficit, max_points) < target["min"]:
        deficit += 1
    # Minimum-effort choice of one option per metric whose gains reach the deficit.
    best: dict[int, tuple[float, list[ActionStep]]] = {0: (0.0, [])}
    for metric in rules["metrics"]:
        measure, effort = MEMBER_MEASURES.get(metric["key"]), metric.get("effort")
        if measure is None or not effort or metric.get("per") == "rate":
            continue
        raw = measure(row, weeks)
        points = band_points(metric, metric_value(metric, raw, weeks))
        options = _options(metric, raw, weeks, points)
        merged = dict(best)
        for gained, (cost, steps) in best.items():
            for units, gain in options:
                total = min(deficit, gained + gain)
                step = ActionStep(metric["label"], metric.get("unit", ""), units, gain)
                candidate = (cost + units * effort, [*steps, step])
                if total not in merged or candidate[0] < merged[total][0]:
                    merged[total] = candidate
        best = merged
    if deficit not in best:
        return None
    cost, steps = best[deficit]
    gained = sum(step.gain for step in steps)
    return Action(steps=steps, effort=cost, reaches=target["colour"], score=score + gained)


def member_window(rules: dict, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    weeks = int(rules.get("window_weeks", 26))
    return today - datetime.timedelta(days=7 * weeks - 1), today


def _weeks_since(
    dates: list[datetime.date], joined_on: datetime.date | None,
    left_on: datetime.date | None = None,
) -> int:
    """Meeting weeks of the window the member belonged for: from their join date (all of
    them if none) to the day the membership ended, if it did."""
    first = 0 if joined_on is None else bisect.bisect_left(dates, joined_on)
    last = len(dates) if left_on is None else bisect.bisect_right(dates, left_on)
    return max(0, last - first)


def member_lights(
    *, chapter: Chapter, today: datetime.date | None = None, member_ids: list[int] | None = None
) -> list[MemberLight]:
    """Each member's traffic light: score, colour, points per metric, what leaves the window
    next week, next week's forecast and the cheapest way up a colour."""
    rules = rules_for(chapter)
    today = today or timezone.now().astimezone(chapter.zone).date()
    start, end = member_window(rules, today)
    week = datetime.timedelta(days=7)
    meetings = window_meetings(chapter=chapter, start=start, end=end)
    dates = sorted(meetings.values_list("local_date", flat=True))
    counts = palms_counts(meetings, member_ids)
    last_dropping_day = start + week - datetime.timedelta(days=1)
    dropping_meetings = window_meetings(chapter=chapter, start=start, end=last_dropping_day)
    dropping_dates = [d for d in dates if d < start + week]
    dropping = palms_counts(dropping_meetings, member_ids) if dropping_dates else {}
    next_meetings = window_meetings(chapter=chapter, start=start + week, end=end + week,
                                    include_provisional=True)
    next_dates = sorted(next_meetings.values_list("local_date", flat=True))
    forecast = palms_counts(next_meetings, member_ids)
    max_points = sum(metric["points"] for metric in rules["metrics"])
    lights = []
    for person in report_people(chapter=chapter, counts=counts, member_ids=member_ids):
        row = palms_row(person, counts)
        weeks = _weeks_since(dates, person["joined_on"], person["left_on"])
        metrics = score_metrics(rules, row, weeks, chapter.currency)
        score = sum(metric.points for metric in metrics)
        next_row = palms_row(person, forecast)
        next_weeks = _weeks_since(next_dates, person["joined_on"], person["left_on"])
        next_score = sum(m.points for m in score_metrics(rules, next_row, next_weeks))
        percent = _percent(score, max_points)
        lights.append(MemberLight(
            row=row, weeks=weeks, score=score, max_points=max_points, percent=percent,
            colour=colour_for(rules, percent), metrics=metrics,
            dropping=palms_row(person, dropping), dropping_dates=dropping_dates,
            forecast_percent=_percent(next_score, max_points),
            forecast_colour=colour_for(rules, _percent(next_score, max_points)),
            forecast_weeks=next_weeks,
            next_colour=colour_above(rules, percent),
            action=cheapest_action(rules, row, weeks, score, max_points) if weeks else None,
            window=(start, end),
        ))
    return lights


# -- Chapter lights -----------------------------------------------------------------------

@dataclass
class ChapterLight:
    score: int
    max_points: int
    percent: int
    colour: str
    metrics: list[MetricScore]
    figures: dict
    window: tuple[datetime.date, datetime.date]
    weeks: int

    @property
    def scored(self) -> bool:
        return self.weeks > 0


def chapter_figures(*, chapter: Chapter, start: datetime.date, end: datetime.date) -> dict:
    """The chapter-level figures over [start, end] in six aggregate queries."""
    meetings = window_meetings(chapter=chapter, start=start, end=end)
    ids = meetings.values("pk")
    weeks = meetings.count()
    holding = Q(status__in=Member.Status.holding_values())
    was_there = Exists(Attendance.objects.filter(member=OuterRef("pk"), meeting__in=ids))
    people = Member.objects.filter(chapter=chapter).annotate(was_there=was_there).aggregate(
        size=Count("pk", filter=holding),
        joined=Count("pk", filter=Q(joined_on__range=(start, end))),
        lost=Count("pk", filter=~holding & Q(was_there=True)),
        at_start=Count("pk", filter=(Q(joined_on__lt=start) | Q(joined_on__isnull=True))
                       & (holding | Q(was_there=True))),
        retained=Count("pk", filter=(Q(joined_on__lt=start) | Q(joined_on__isnull=True))
                       & holding),
    )
    attendance = Attendance.objects.filter(meeting__in=ids).aggregate(
        rows=Count("pk"), absences=Count("pk", filter=Q(code="A"))
    )
    given = Referral.objects.filter(meeting__in=ids).count() + ImportedSlip.objects.filter(
        meeting__in=ids, kind=ImportedSlip.Kind.REFERRAL_GIVEN
    ).count()
    visitors = Visitor.objects.filter(meeting__in=ids).aggregate(
        total=Count("pk"), applied=Count("pk", filter=Q(follow_up=Visitor.FollowUp.APPLIED))
    )
    member_weeks = attendance["rows"] or people["size"] * weeks
    return {
        "weeks": weeks,
        "size": people["size"],
        "growth": people["joined"] - people["lost"],
        "joined": people["joined"],
        "lost": people["lost"],
        "retention": people["retained"] / people["at_start"] if people["at_start"] else 0.0,
        "referrals": given,
        "member_weeks": member_weeks,
        "referrals_per_member_week": given / member_weeks if member_weeks else 0.0,
        "visitors": visitors["total"],
        "visitors_per_week": visitors["total"] / weeks if weeks else 0.0,
        "conversion": visitors["applied"] / visitors["total"] if visitors["total"] else 0.0,
        "absences": attendance["absences"],
        "absence_rate": attendance["absences"] / attendance["rows"] if attendance["rows"] else 0.0,
    }


def chapter_light(*, chapter: Chapter, today: datetime.date | None = None) -> ChapterLight:
    """The chapter's own lights over the rule set's window, with each metric's bands."""
    rules = rules_for(chapter)
    today = today or timezone.now().astimezone(chapter.zone).date()
    start, end = member_window(rules, today)
    figures = chapter_figures(chapter=chapter, start=start, end=end)
    metrics = []
    for metric in rules["chapter_metrics"]:
        if metric["key"] not in CHAPTER_MEASURES:
            continue
        value = float(figures[metric["key"]])
        current = band_index(metric, value)
        metrics.append(MetricScore(
            key=metric["key"], label=metric["label"], raw=value, value=value,
            points=metric["bands"][current]["points"], max_points=metric["points"],
            shown=format_value(metric, value),
            bands=[(band_label(metric, i), band["points"], i == current)
                   for i, band in enumerate(metric["bands"])],
        ))
    score = sum(m.points for m in metrics)
    max_points = sum(m.max_points for m in metrics)
    percent = _percent(score, max_points)
    return ChapterLight(score=score, max_points=max_points, percent=percent,
                        colour=colour_for(rules, percent), metrics=metrics, figures=figures,
                        window=(start, end), weeks=figures["weeks"])


# -- Rule set validation ------------------------------------------------------------------

def validate_rules(rules: dict) -> list[tuple[tuple, str]]:
    """Problems with a rule set, each with where it is: ((section, metric, band, part), text)."""
    problems: list[tuple[tuple, str]] = []
    weeks = rules.get("window_weeks")
    if not isinstance(weeks, int) or not 4 <= weeks <= 104:
        problems.append((("window_weeks",), "The window must be between 4 and 104 weeks."))
    colours = rules.get("colours") or []
    names = [c.get("colour") for c in colours]
    if sorted(names) != sorted(COLOUR_NAMES):
        problems.append((("colours",), "Give one minimum for each of green, amber, red, grey."))
    mins = [c.get("min") for c in colours]
    if any(not isinstance(m, int | float) or not 0 <= m <= 100 for m in mins):
        problems.append((("colours",), "Colour minimums are scores from 0 to 100."))
    elif mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        problems.append((("colours",), "Each colour needs a higher minimum than the next one "
                                       "down: green > amber > red > grey."))
    elif mins and mins[-1] != 0:
        problems.append((("colours",), "The lowest colour must start at 0."))
    for section, known in (("metrics", MEMBER_MEASURES), ("chapter_metrics", CHAPTER_MEASURES)):
        for m_index, metric in enumerate(rules.get(section) or []):
            problems += _metric_problems(section, m_index, metric, known)
    member_total = sum(m.get("points", 0) for m in rules.get("metrics") or [])
    if member_total != 100:
        problems.append((("metrics",), f"Member metrics must add up to 100 points, not "
                                       f"{member_total}."))
    return problems


def _metric_problems(section: str, m_index: int, metric: dict, known) -> list:
    problems = []
    where = (section, m_index)
    if metric.get("key") not in known:
        problems.append((where, f"Unknown metric {metric.get('key')!r}."))
    if metric.get("per") not in PERS:
        problems.append((where, "Scale must be total, week, month or rate."))
    bands = metric.get("bands") or []
    if not bands or "below" in bands[-1] or "at_most" in bands[-1]:
        problems.append((where, "The last band must catch every other value."))
    previous = None
    for b_index, band in enumerate(bands):
        points = band.get("points")
        if not isinstance(points, int) or not 0 <= points <= metric.get("points", 0):
            problems.append(((*where, b_index, "points"),
                             f"Points must be between 0 and {metric.get('points', 0)}."))
        if b_index == len(bands) - 1:
            continue
        kind = "below" if "below" in band else "at_most" if "at_most" in band else None
        bound = band.get(kind) if kind else None
        if kind is None or not isinstance(bound, int | float) or bound < 0:
            problems.append(((*where, b_index, "bound"), "Give a bound of 0 or more."))
            continue
        if previous is not None:
            p_kind, p_bound = previous
            empty = bound < p_bound or (bound == p_bound and (p_kind == kind or kind == "below"))
            if empty:
                problems.append(((*where, b_index, "bound"),
                                 "Each bound must be higher than the one before."))
        if previous is None or bound >= previous[1]:
            previous = (kind, bound)
    if bands and max((b.get("points") or 0) for b in bands) != metric.get("points"):
        problems.append((where, "The best band must give the metric's full points."))
    return problems
