"""The shipped traffic-light rule sets, as data: the "UK 100-point" and "Power of One" variants.

A rule set (stored in `TrafficLightRuleSet.rules`; a chapter may adjust its own copy):
- `window_weeks`: how far back the score looks (26 weeks: rolling 6 months).
- `colours`: highest first; a score takes the first colour whose `min` it reaches. Scores are
  percentages of the maximum (members: out of 100 already).
- `metrics`: the member lights; `chapter_metrics`: the chapter's own lights.

A metric:
- `key`: which figure it scores (reports.scoring.MEMBER_MEASURES / CHAPTER_MEASURES);
- `per`: "total" over the window, "week" per meeting week, "month" per four meeting weeks,
  or "rate" (the figure is a ratio already);
- `points`: its maximum; `bands`: tried in order, the first that holds gives its points:
  `{"below": x}` holds when value < x, `{"at_most": x}` when value <= x, and the last band,
  with neither, catches the rest;
- `display`: "number", "percent" (a ratio shown as a percentage) or "money";
- `effort`: what one more unit costs a member (used to find the cheapest way up a colour);
  null when a member cannot simply add one (absences, closed business); `unit` names a unit.
"""

COLOURS = [
    {"min": 70, "colour": "green"},
    {"min": 50, "colour": "amber"},
    {"min": 30, "colour": "red"},
    {"min": 0, "colour": "grey"},
]


def _bands(*steps):
    """Bands from (kind, bound, points) steps and a final catch-all points value."""
    bands = [{kind: bound, "points": points} for kind, bound, points in steps[:-1]]
    return bands + [{"points": steps[-1]}]


def _metric(key, label, per, points, bands, *, effort=None, unit="", display="number"):
    return {"key": key, "label": label, "per": per, "points": points, "bands": bands,
            "effort": effort, "unit": unit, "display": display}


CHAPTER_METRICS = [
    _metric("size", "Chapter size (members)", "total", 15,
            _bands(("below", 20, 0), ("below", 26, 5), ("below", 31, 10), 15)),
    _metric("growth", "Net member growth", "total", 15,
            _bands(("below", 1, 0), ("below", 3, 5), ("below", 5, 10), 15)),
    _metric("retention", "Retention", "rate", 15,
            _bands(("below", 0.5, 0), ("below", 0.6, 5), ("below", 0.7, 10), 15),
            display="percent"),
    _metric("referrals_per_member_week", "Referrals per member per week", "rate", 15,
            _bands(("below", 0.71, 0), ("below", 0.9, 5), ("below", 1.1, 10), 15)),
    _metric("visitors_per_week", "Visitors per week", "rate", 15,
            _bands(("below", 1, 0), ("below", 1.5, 5), ("below", 2, 10), 15)),
    _metric("conversion", "Visitor-to-member conversion", "rate", 15,
            _bands(("below", 0.1, 0), ("at_most", 0.2, 10), 15), display="percent"),
    _metric("absence_rate", "Absence rate", "rate", 15,
            _bands(("below", 0.05, 15), ("below", 0.1, 10), ("at_most", 0.12, 5), 0),
            display="percent"),
]

UK_100_POINT = {
    "window_weeks": 26,
    "colours": COLOURS,
    "metrics": [
        _metric("absences", "Absences", "total", 15,
                _bands(("at_most", 0, 15), ("at_most", 1, 10), ("at_most", 2, 5), 0)),
        _metric("referrals_given", "Referrals given per week", "week", 20,
                _bands(("below", 0.5, 0), ("below", 0.75, 5), ("below", 1, 10),
                       ("below", 1.2, 15), 20),
                effort=1, unit="referral"),
        _metric("tyfcb", "TYFCB over the window", "total", 15,
                _bands(("below", 1000, 0), ("below", 2500, 5), ("below", 5000, 10), 15),
                display="money"),
        _metric("visitors", "Visitors per week", "week", 20,
                _bands(("below", 0.083, 0), ("below", 0.167, 5), ("below", 0.25, 10),
                       ("below", 0.5, 15), 20),
                effort=2, unit="visitor"),
        _metric("testimonials", "Testimonials per week", "week", 10,
                _bands(("at_most", 0, 0), ("below", 0.075, 5), 10),
                effort=1, unit="testimonial"),
        _metric("lates", "On time (never late)", "total", 5,
                _bands(("at_most", 0, 5), 0)),
        _metric("ceus", "Trainings (CEU)", "total", 15,
                _bands(("at_most", 0, 0), ("at_most", 1, 5), ("at_most", 2, 10), 15),
                effort=1, unit="CEU"),
    ],
    "chapter_metrics": CHAPTER_METRICS,
}

# Full marks at one a week (one a month for visitors): CEU per week >=1 -> 20, >=0.75 -> 15,
# >=0.5 -> 10, >=0.25 -> 5.
_POWER_BANDS = _bands(("below", 0.25, 0), ("below", 0.5, 5), ("below", 0.75, 10),
                      ("below", 1, 15), 20)

POWER_OF_ONE = {
    "window_weeks": 26,
    "colours": COLOURS,
    "metrics": [
        _metric("attendance_rate", "Attendance (meetings attended per week)", "rate", 20,
                _POWER_BANDS, display="percent"),
        _metric("referrals_given", "Referrals given per week", "week", 20, _POWER_BANDS,
                effort=1, unit="referral"),
        _metric("visitors", "Visitors per month", "month", 20, _POWER_BANDS,
                effort=2, unit="visitor"),
        _metric("one_to_ones", "One-to-ones per week", "week", 20, _POWER_BANDS,
                effort=1, unit="one-to-one"),
        _metric("ceus", "CEUs per week", "week", 20, _POWER_BANDS, effort=1, unit="CEU"),
    ],
    "chapter_metrics": CHAPTER_METRICS,
}

SHIPPED = {
    "uk-100-point": ("UK 100-point", "Rolling 6 months, scored out of 100.", UK_100_POINT),
    "power-of-one": (
        "Power of One",
        "Five metrics worth 20 each, averaged over 6 months.",
        POWER_OF_ONE,
    ),
}
