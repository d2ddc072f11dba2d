"""Forms for running chapters in the app: creating one (admins) and its settings (leaders)."""

from zoneinfo import available_timezones

from django import forms
from django.db.models import Q
from django.utils.text import slugify

from chapters.models import Chapter, TrafficLightRuleSet

TIME_ZONES = sorted(available_timezones() - {"localtime", "Factory"})

SETTINGS_GROUPS = [
    ("The chapter", ["name", "region"]),
    ("Weekly meeting", ["time_zone", "meeting_weekday", "meeting_time",
                        "meeting_duration_minutes", "feature_presentations",
                        "slips_until_report_completed"]),
    ("Where", ["venue", "online_link"]),
    ("Money and emails", ["currency", "decimal_comma", "tyfcb_confirm_above", "reminder_lead_hours",
                          "tally_hour", "thank_you_names_thanker"]),
    ("Attendance policy", ["absence_limit", "absence_window_meetings", "lates_per_absence",
                           "substitute_cap", "checkin_cutoff_minutes"]),
    ("Visitors and applications", ["visitor_visit_limit", "approval_window_days"]),
    ("Traffic lights", ["traffic_light_rule_set"]),
]
SETTINGS_FIELDS = [name for _, names in SETTINGS_GROUPS for name in names]


class ChapterSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone", choices=[(zone, zone.replace("_", " ")) for zone in TIME_ZONES],
        help_text="Meeting times, reminders and reports follow this zone.",
    )

    class Meta:
        model = Chapter
        fields = SETTINGS_FIELDS
        labels = {
            "name": "Chapter name",
            "meeting_weekday": "Meeting day",
            "meeting_time": "Start time",
            "meeting_duration_minutes": "Length (minutes)",
            "feature_presentations": "Feature presentations a meeting",
            "online_link": "Online meeting link",
            "currency": "Currency (ISO code)",
            "reminder_lead_hours": "Meeting reminder, hours before",
            "tally_hour": "Tally hour (local, day after the meeting)",
            "thank_you_names_thanker": "Tell givers who thanked them for closed business",
            "slips_until_report_completed": "Slips count until the report is completed",
            "tyfcb_confirm_above": "Confirm TYFCB amounts above",
            "decimal_comma": "Amounts written 1.234,56 (imports read them so)",
            "absence_limit": "Absences allowed in the window",
            "absence_window_meetings": "Absence window (meetings)",
            "lates_per_absence": "Lates that count as one absence",
            "substitute_cap": "Most substitutes in the window",
            "checkin_cutoff_minutes": "Late after (minutes past the start)",
            "visitor_visit_limit": "Visits before a visitor must apply",
            "approval_window_days": "Days to take up an approval",
            "traffic_light_rule_set": "Traffic-light rule set",
        }
        widgets = {
            "meeting_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "online_link": forms.URLInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.instance.pk
        self.fields["traffic_light_rule_set"].queryset = TrafficLightRuleSet.objects.filter(
            Q(owner__isnull=True) | Q(owner_id=owner)
        ).order_by("name")
        self.fields["approval_window_days"].min_value = 1
        self.fields["approval_window_days"].widget.attrs["min"] = 1

    def clean_approval_window_days(self):
        days = self.cleaned_data["approval_window_days"]
        if days is not None and not 1 <= days <= 90:
            raise forms.ValidationError("Give between 1 and 90 days.")
        return days

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").upper()

    def groups(self):
        """(legend, bound fields) for each fieldset of the page."""
        return [(legend, [self[name] for name in names if name in self.fields])
                for legend, names in SETTINGS_GROUPS]

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}


class ChapterCreateForm(ChapterSettingsForm):
    slug = forms.SlugField(
        label="Web address", max_length=80, required=False,
        help_text="Used in the chapter's links, e.g. riverside; left empty, made from the name.",
    )

    class Meta(ChapterSettingsForm.Meta):
        fields = ["slug", *SETTINGS_FIELDS]

    def groups(self):
        groups = super().groups()
        legend, fields = groups[0]
        return [(legend, [*fields, self["slug"]]), *groups[1:]]

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.data.get("name", ""))[:80]
        if not slug:
            raise forms.ValidationError("Give the chapter a web address (letters and dashes).")
        if Chapter.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"The address “{slug}” is taken: choose another.")
        return slug

    def changes(self) -> dict:
        return {"slug": self.cleaned_data["slug"], **super().changes()}
