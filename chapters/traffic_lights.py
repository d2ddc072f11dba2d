"""The shipped traffic-light rule sets, as data (see DOMAIN.md, "Traffic lights").

A metric scores the first band whose `below` bound its value is under; a band without `below`
catches the rest. `per` says how the raw count is scaled: "total" over the window, "week" per
counted meeting week, "month" per four weeks.
"""

COLOURS = [
    {"min": 70, "colour": "green"},
    {"min": 50, "colour": "amber"},
    {"min": 30, "colour": "red"},
    {"min": 0, "colour": "grey"},
]


def _bands(*pairs):
    bands = [{"below": bound, "points": points} for bound, points in pairs[:-1]]
    return bands + [{"points": pairs[-1]}]


UK_100_POINT = {
    "window_weeks": 26,
    "colours": COLOURS,
    "metrics": [
        {"key": "absences", "label": "Absences", "per": "total", "points": 15,
         "bands": _bands((1, 15), (2, 10), (3, 5), 0)},
        {"key": "referrals_given", "label": "Referrals given per week", "per": "week",
         "points": 20, "bands": _bands((0.5, 0), (0.75, 5), (1, 10), (1.2, 15), 20)},
        {"key": "tyfcb", "label": "TYFCB over the window", "per": "total", "points": 15,
         "bands": _bands((1000, 0), (2500, 5), (5000, 10), 15)},
        {"key": "visitors", "label": "Visitors per week", "per": "week", "points": 20,
         "bands": _bands((0.083, 0), (0.167, 5), (0.25, 10), (0.5, 15), 20)},
        {"key": "testimonials", "label": "Testimonials per week", "per": "week", "points": 10,
         "bands": _bands((0.000001, 0), (0.075, 5), 10)},
        {"key": "lates", "label": "On time (never late)", "per": "total", "points": 5,
         "bands": _bands((1, 5), 0)},
        {"key": "ceus", "label": "Trainings (CEU)", "per": "total", "points": 15,
         "bands": _bands((1, 0), (2, 5), (3, 10), 15)},
    ],
}

_POWER_BANDS = _bands((0.25, 0), (0.5, 5), (0.75, 10), (1, 15), 20)

POWER_OF_ONE = {
    "window_weeks": 26,
    "colours": COLOURS,
    "metrics": [
        {"key": "attendance_rate", "label": "Attendance", "per": "rate", "points": 20,
         "bands": _POWER_BANDS},
        {"key": "referrals_given", "label": "Referrals per week", "per": "week", "points": 20,
         "bands": _POWER_BANDS},
        {"key": "visitors", "label": "Visitors per month", "per": "month", "points": 20,
         "bands": _POWER_BANDS},
        {"key": "one_to_ones", "label": "One-to-ones per week", "per": "week", "points": 20,
         "bands": _POWER_BANDS},
        {"key": "ceus", "label": "CEUs per week", "per": "week", "points": 20,
         "bands": _POWER_BANDS},
    ],
}

SHIPPED = {
    "uk-100-point": ("UK 100-point", "Rolling 6 months, scored out of 100.", UK_100_POINT),
    "power-of-one": ("Power of One", "Five metrics worth 20 each, averaged over 6 months.",
                     POWER_OF_ONE),
}
