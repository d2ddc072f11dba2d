"""What the weekly tally and the leaders' summary say: the week's PALMS figures
(reports/palms.py) and the traffic light (reports/scoring.py), with its change since last week
and the one action that would raise it.

Only completed weeks count in official totals, so the traffic light always comes from completed
weeks; a tally sent at the tally hour for a week nobody completed shows that week's figures as
they stand, marked provisional.
"""

import datetime
from dataclasses import dataclass

from members.models import Member
from reports.palms import COUNT_FIELDS, PalmsRow, palms_rows, palms_totals
from reports.scoring import (
    MEMBER_MEASURES,
    ActionStep,
    MemberLight,
    band_points,
    member_lights,
    metric_value,
    rules_for,
)

WEEK = datetime.timedelta(days=7)
MAX_UNITS = 500
ATTENDANCE_WORDS = {
    "P": "Present",
    "A": "Absent",
    "L": "Late",
    "M": "Medical / excused",
    "S": "Sent a substitute",
}


@dataclass
class Light:
    """A member's traffic light this week, against last week."""

    percent: int
    colour: str
    change: int
    previous_colour: str
    action: str
    action_reaches: str

    @property
    def change_text(self) -> str:
        if self.change > 0:
            return f"up {self.change} since last week"
        if self.change < 0:
            return f"down {-self.change} since last week"
        return "no change since last week"


def attendance_word(row: PalmsRow) -> str:
    """The week's PALMS code for a one-meeting row, in words."""
    for code, word in ATTENDANCE_WORDS.items():
        if getattr(row, code):
            return f"{code}: {word}"
    return "Not recorded yet"


def raise_step(rules: dict, light: MemberLight) -> ActionStep | None:
    """The least effort that adds points at all, for a member already at the top colour (the
    scoring module's action lifts a colour, and there is none above)."""
    best: tuple[float, ActionStep] | None = None
    for metric in rules["metrics"]:
        measure, effort = MEMBER_MEASURES.get(metric["key"]), metric.get("effort")
        if measure is None or not effort or metric.get("per") == "rate":
            continue
        raw = float(measure(light.row, light.weeks))
        points = band_points(metric, metric_value(metric, raw, light.weeks))
        for units in range(1, MAX_UNITS + 1):
            gained = band_points(metric, metric_value(metric, raw + units, light.weeks))
            if gained > points:
                step = ActionStep(metric["label"], metric.get("unit", ""), units, gained - points)
                if best is None or units * effort < best[0]:
                    best = (units * effort, step)
                break
    return best[1] if best else None


def _light(rules: dict, now: MemberLight | None, before: MemberLight | None) -> Light | None:
    if now is None:
        return None
    action, reaches = "", ""
    if now.action:
        action, reaches = now.action.text, now.action.reaches
    elif now.score < now.max_points and (step := raise_step(rules, now)):
        action = f"{step.text} (+{step.gain} points)"
    return Light(
        percent=now.percent,
        colour=now.colour,
        change=now.percent - (before.percent if before else 0),
        previous_colour=before.colour if before else "",
        action=action,
        action_reaches=reaches,
    )


def _week_rows(meeting, member_ids: list[int] | None = None) -> list[PalmsRow]:
    return palms_rows(
        chapter=meeting.chapter,
        start=meeting.local_date,
        end=meeting.local_date,
        include_provisional=not meeting.is_completed,
        member_ids=member_ids,
    )


def figures(row: PalmsRow) -> dict[str, str]:
    """The week's figures a tally states for one member (its PALMS row), as text: what a
    corrected tally compares. The traffic light is left out: it counts completed weeks only,
    so completing a week moves everyone's a little without their week having changed."""
    return {name: str(getattr(row, name)) for name in COUNT_FIELDS}


@dataclass
class SummaryLine:
    row: PalmsRow
    light: Light | None


class ChapterWeek:
    """A meeting's week for the whole chapter, computed once (its PALMS rows and everyone's
    traffic lights, this week's and last week's): every tally and the leaders' summary of the
    week read from it, so the queries do not grow with the number of members."""

    def __init__(self, meeting):
        chapter = meeting.chapter
        self.meeting, self.chapter = meeting, chapter
        self.rows = _week_rows(meeting)
        self.by_member = {row.member_id: row for row in self.rows}
        self.now = {light.member_id: light
                    for light in member_lights(chapter=chapter, today=meeting.local_date)}
        self.before = {light.member_id: light for light in member_lights(
            chapter=chapter, today=meeting.local_date - WEEK)}
        self.rules = rules_for(chapter)

    def row(self, member: Member) -> PalmsRow:
        return self.by_member.get(member.pk) or PalmsRow(
            member_id=member.pk, first_name=member.first_name, last_name=member.last_name
        )

    def tally_figures(self, member_id: int) -> dict:
        return figures(self.by_member.get(member_id) or PalmsRow(member_id, "", ""))

    def summary_figures(self) -> dict:
        return {"totals": figures(palms_totals(self.rows)),
                "members": {str(row.member_id): figures(row) for row in self.rows}}

    def tally_context(self, member: Member) -> dict:
        """One member's week: referrals given and received (inside/outside), TYFCB credited,
        one-to-ones, visitors, CEUs, attendance, and the traffic light."""
        row = self.row(member)
        return {
            "row": row,
            "attendance": attendance_word(row),
            "provisional": not self.meeting.is_completed,
            "currency": self.chapter.currency,
            "light": _light(self.rules, self.now.get(member.pk), self.before.get(member.pk)),
        }

    def summary_context(self) -> dict:
        """The chapter's week for its leaders: totals, everyone's figures and lights, who was
        absent, and how many members are in each colour."""
        lines = [
            SummaryLine(row=row, light=_light(self.rules, self.now.get(row.member_id),
                                              self.before.get(row.member_id)))
            for row in self.rows
        ]
        colours = {"green": 0, "amber": 0, "red": 0, "grey": 0}
        for light in self.now.values():
            colours[light.colour] = colours.get(light.colour, 0) + 1
        return {
            "lines": lines,
            "totals": palms_totals(self.rows),
            "absent": [row for row in self.rows if row.A],
            "colours": colours,
            "provisional": not self.meeting.is_completed,
            "currency": self.chapter.currency,
        }


def tally_context(*, member: Member, meeting) -> dict:
    return ChapterWeek(meeting).tally_context(member)


def summary_context(*, meeting) -> dict:
    return ChapterWeek(meeting).summary_context()
