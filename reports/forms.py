"""Forms of the reports area: date ranges, exports, the traffic-light rule set, imports."""

import copy
import datetime
from pathlib import PurePath

from django import forms

from reports.exports import FORMATS
from reports.imports import EARLIEST, EXTENSIONS, LATEST, MAX_BYTES
from reports.models import ImportBatch
from reports.rule_sets import rule_set_choices
from reports.scoring import validate_rules

PRESETS = [
    ("week", "This week"),
    ("30d", "Last 30 days"),
    ("6m", "Last 6 months"),
    ("custom", "Custom range"),
]
# A range longer than this is almost certainly a typo in a year.
MAX_RANGE_DAYS = 5 * 366


def preset_window(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The dates a preset covers, ending today in the chapter's time zone."""
    if preset == "week":
        monday = today - datetime.timedelta(days=today.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if preset == "6m":
        return today - datetime.timedelta(weeks=26) + datetime.timedelta(days=1), today
    return today - datetime.timedelta(days=29), today


class DateInput(forms.DateInput):
    input_type = "date"


class ReportRangeForm(forms.Form):
    """The range of a report: a preset or a custom range, completed weeks unless asked."""

    preset = forms.ChoiceField(choices=PRESETS, required=False, label="Period")
    start = forms.DateField(required=False, widget=DateInput, label="From")
    end = forms.DateField(required=False, widget=DateInput, label="To")
    provisional = forms.BooleanField(
        required=False, label="Include provisional weeks",
        help_text="Weeks whose report is still a draft; official totals count completed weeks.",
    )

    def __init__(self, data=None, *, today: datetime.date, default_preset: str = "30d"):
        if data is not None and not any(k in data for k in ("preset", "start", "end")):
            # A first visit (or a link with the format only): the default preset.
            data = data.copy()
            data["preset"] = default_preset
        super().__init__(data, initial={"preset": default_preset})
        self.today, self.default_preset = today, default_preset
        if data is None:
            self.window = preset_window(default_preset, today)
            self.include_provisional = False

    @property
    def ok(self) -> bool:
        """Whether `window` holds a range: the default one, or what was asked for."""
        return not self.is_bound or self.is_valid()

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset") or self.default_preset
        if cleaned.get("start") or cleaned.get("end"):
            preset = "custom" if preset == "custom" or not cleaned.get("preset") else preset
        if preset == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if start is None and "start" not in self.errors:
                self.add_error("start", "Give the first day of the range.")
            if end is None and "end" not in self.errors:
                self.add_error("end", "Give the last day of the range.")
            if start and end and start > end:
                self.add_error("end", "The range must end on or after its first day.")
            elif start and end and (end - start).days > MAX_RANGE_DAYS:
                self.add_error("end", "Choose a range of at most five years.")
            if self.errors:
                return cleaned
            self.window = (start, end)
        else:
            self.window = preset_window(preset, self.today)
        self.include_provisional = bool(cleaned.get("provisional"))
        return cleaned

    def query(self) -> str:
        """The window as query parameters, for links to exports and other reports."""
        start, end = self.window
        params = f"preset=custom&start={start.isoformat()}&end={end.isoformat()}"
        return params + ("&provisional=on" if self.include_provisional else "")


class ExportForm(ReportRangeForm):
    format = forms.ChoiceField(choices=[(f, f.upper()) for f in FORMATS], required=False)


class RuleSetChoiceForm(forms.Form):
    rule_set = forms.ModelChoiceField(queryset=None, label="Traffic-light rules",
                                      empty_label=None)

    def __init__(self, *args, chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_set"].queryset = rule_set_choices(chapter)
        self.fields["rule_set"].initial = chapter.traffic_light_rule_set_id


class ThresholdsForm(forms.Form):
    """Every band bound and its points, the colour minimums and the window of a rule set."""

    window_weeks = forms.IntegerField(min_value=4, max_value=104, label="Window (weeks)")
    green = forms.IntegerField(min_value=0, max_value=100, label="Green from")
    amber = forms.IntegerField(min_value=0, max_value=100, label="Amber from")
    red = forms.IntegerField(min_value=0, max_value=100, label="Red from")

    SECTIONS = (("metrics", "m", "Member lights"), ("chapter_metrics", "c", "Chapter lights"))

    def __init__(self, *args, rules: dict, **kwargs):
        self.rules = copy.deepcopy(rules)
        colours = {c["colour"]: c["min"] for c in self.rules.get("colours", [])}
        initial = {"window_weeks": self.rules.get("window_weeks", 26), **colours}
        super().__init__(*args, initial=initial, **kwargs)
        self.groups = []
        for section, prefix, title in self.SECTIONS:
            metrics = []
            for m_index, metric in enumerate(self.rules.get(section, [])):
                bands = []
                for b_index, band in enumerate(metric["bands"]):
                    name = f"{prefix}-{m_index}-{b_index}"
                    kind = "below" if "below" in band else "at_most" if "at_most" in band else ""
                    if kind:
                        self.fields[f"{name}-bound"] = forms.DecimalField(
                            min_value=0, max_digits=12, decimal_places=4,
                            label=f"{metric['label']}, band {b_index + 1}: "
                                  f"{'under' if kind == 'below' else 'at most'}",
                            initial=band[kind],
                        )
                    self.fields[f"{name}-points"] = forms.IntegerField(
                        min_value=0, max_value=100, initial=band["points"],
                        label=f"{metric['label']}, band {b_index + 1}: points",
                    )
                    bands.append({"name": name, "kind": kind, "index": b_index})
                metrics.append({"label": metric["label"], "per": metric.get("per"),
                                "index": m_index, "bands": bands, "prefix": prefix,
                                "hint": _hint(metric)})
            self.groups.append({"title": title, "section": section, "metrics": metrics})

    def sections(self) -> list[dict]:
        """Member and chapter metrics, each with its bands' bound and points fields."""
        result = []
        for group in self.groups:
            metrics = []
            for metric in group["metrics"]:
                rows = [
                    {"number": band["index"] + 1, "kind": band["kind"],
                     "bound": self[f"{band['name']}-bound"] if band["kind"] else None,
                     "points": self[f"{band['name']}-points"]}
                    for band in metric["bands"]
                ]
                metrics.append({"label": metric["label"], "hint": metric["hint"], "rows": rows})
            result.append({"title": group["title"], "metrics": metrics})
        return result

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        rules = copy.deepcopy(self.rules)
        rules["window_weeks"] = cleaned["window_weeks"]
        rules["colours"] = [
            {"min": cleaned["green"], "colour": "green"},
            {"min": cleaned["amber"], "colour": "amber"},
            {"min": cleaned["red"], "colour": "red"},
            {"min": 0, "colour": "grey"},
        ]
        for group in self.groups:
            for metric in group["metrics"]:
                data = rules[group["section"]][metric["index"]]
                for band in metric["bands"]:
                    target = data["bands"][band["index"]]
                    if band["kind"]:
                        value = cleaned[f"{band['name']}-bound"]
                        target[band["kind"]] = int(value) if value == int(value) else float(value)
                    target["points"] = cleaned[f"{band['name']}-points"]
                data["points"] = max(b["points"] for b in data["bands"])
        for where, message in validate_rules(rules):
            self.add_error(self._field_for(where), message)
        self.cleaned_rules = rules
        return cleaned

    def _field_for(self, where: tuple) -> str | None:
        if where[0] in ("window_weeks",):
            return "window_weeks"
        if where[0] == "colours":
            return "green"
        prefix = "m" if where[0] == "metrics" else "c"
        if len(where) == 4:
            return f"{prefix}-{where[1]}-{where[2]}-{where[3]}"
        return None


def _hint(metric: dict) -> str:
    """How the bounds of a metric are written."""
    if metric.get("display") == "percent":
        return "Bounds are fractions: 0.5 means 50%."
    if metric.get("display") == "money":
        return "Bounds are amounts of closed business."
    if metric.get("per") == "rate":
        return f"Bounds are {metric['label'].lower()}."
    return {"week": "Bounds are per meeting week.",
            "month": "Bounds are per four meeting weeks."}.get(metric.get("per"),
                                                               "Bounds are counts.")


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportBatch.Kind.choices, label="Report",
                             widget=forms.RadioSelect, initial=ImportBatch.Kind.SLIPS)
    file = forms.FileField(
        label="File", help_text="The official tool's export as .xlsx, .xls or .csv, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in EXTENSIONS:
            raise forms.ValidationError("Upload an .xlsx, .xls or .csv file.")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload


class ImportConfirmForm(forms.Form):
    week = forms.DateField(
        required=False, widget=DateInput, label="Week of the rows without a date",
        help_text="The meeting's date, or a day before it in the same week.",
    )

    def __init__(self, *args, needs_week: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_week = needs_week
        self.fields["week"].required = needs_week

    def clean_week(self):
        week = self.cleaned_data["week"]
        if week is not None and not EARLIEST <= week <= LATEST:
            raise forms.ValidationError(
                f"Choose a week between {EARLIEST.year} and {LATEST.year}."
            )
        return week
