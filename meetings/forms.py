import uuid

from django import forms

from chapters.models import Classification
from meetings.models import Meeting, Palms, Visitor
from members.models import Member


class MeetingMoveForm(forms.Form):
    local_date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start time (chapter's time zone)", widget=forms.TimeInput(attrs={"type": "time"})
    )
    venue = forms.CharField(
        max_length=255, required=False, help_text="Leave empty for the chapter's usual venue."
    )
    online_link = forms.URLField(
        max_length=200, required=False, help_text="Leave empty for the chapter's usual link."
    )
    note = forms.CharField(
        max_length=255, required=False, help_text="Shown to members, e.g. why it moved."
    )

    @classmethod
    def for_meeting(cls, meeting: Meeting, data=None):
        return cls(
            data,
            initial={
                "local_date": meeting.local_date,
                "start_time": meeting.local_start.time().replace(second=0, microsecond=0),
                "venue": meeting.venue,
                "online_link": meeting.online_link,
                "note": meeting.note,
            },
        )


class MeetingStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Meeting.Status.SCHEDULED, "Scheduled"),
            (Meeting.Status.CANCELLED, "Cancelled"),
            (Meeting.Status.HOLIDAY, "Holiday"),
        ]
    )
    note = forms.CharField(max_length=255, required=False)
    move_confirmed = forms.BooleanField(
        required=False, label="Move this week's slips and visitors to the next meeting held"
    )


class AgendaForm(forms.Form):
    feature_presenter = forms.ModelChoiceField(
        queryset=Member.objects.none(), required=False, empty_label="No feature presentation"
    )
    second_feature_presenter = forms.ModelChoiceField(
        queryset=Member.objects.none(),
        required=False,
        empty_label="No second feature presentation",
    )
    education_moment = forms.CharField(
        max_length=255,
        required=False,
        help_text="Topic and presenter of the education moment (CEU).",
    )

    def __init__(self, *args, meeting: Meeting, can_choose_presenter: bool, **kwargs):
        super().__init__(*args, **kwargs)
        presenter_fields = ["feature_presenter", "second_feature_presenter"]
        # Only leaders choose presenters, and only for as many slots as the chapter has.
        slots = meeting.chapter.feature_presentations if can_choose_presenter else 0
        shown = presenter_fields[:slots]
        members = (
            Member.objects.active()
            .for_chapter(meeting.chapter_id)
            .select_related("user", "classification")
        )
        for name in presenter_fields:
            if name not in shown:
                del self.fields[name]
                continue
            self.fields[name].queryset = members
            self.fields[name].label_from_instance = (
                lambda member: f"{member.full_name} ({member.classification})"
            )
        if len(shown) == 2:
            self.fields["feature_presenter"].label = "First feature presenter"

    def clean(self):
        cleaned = super().clean()
        first = cleaned.get("feature_presenter")
        if first is not None and first == cleaned.get("second_feature_presenter"):
            self.add_error(
                "second_feature_presenter",
                f"{first.full_name} already gives the first feature presentation: "
                "choose someone else, or no second presentation.",
            )
        return cleaned


class AttendanceMarkForm(forms.Form):
    member = forms.IntegerField(min_value=1)
    code = forms.ChoiceField(choices=Palms.choices)
    substitute_name = forms.CharField(max_length=150, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("code") == Palms.SUBSTITUTE and not cleaned.get("substitute_name"):
            self.add_error("substitute_name", "Name the substitute.")
        return cleaned


class AttendanceCorrectionForm(forms.Form):
    code = forms.ChoiceField(choices=Palms.choices, widget=forms.RadioSelect, label="PALMS code")
    substitute_name = forms.CharField(
        max_length=150, required=False, help_text="Only for S: who came in their place."
    )
    reason = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept with the change."
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("code") == Palms.SUBSTITUTE and not cleaned.get("substitute_name"):
            self.add_error("substitute_name", "Name the substitute.")
        return cleaned


class ReportCompleteForm(forms.Form):
    send_absence_notices = forms.BooleanField(
        required=False,
        initial=True,
        label="Send the chapter's absence notice to the members listed above",
    )


class VisitorForm(forms.Form):
    """The Visitor Host's quick entry at the door."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    company = forms.CharField(max_length=200, required=False)
    classification = forms.ModelChoiceField(
        queryset=Classification.objects.order_by("name"),
        required=False,
        empty_label="Choose, or type below",
    )
    classification_text = forms.CharField(
        max_length=120, required=False, label="What they do (if not in the list)"
    )
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(
        max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    invited_by = forms.ModelChoiceField(
        queryset=Member.objects.none(), required=False, empty_label="Nobody in particular"
    )

    def __init__(self, *args, chapter, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["invited_by"].queryset = (
            Member.objects.current().for_chapter(chapter).select_related("user")
        )
        self.fields["invited_by"].label_from_instance = lambda member: member.full_name

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("classification_text") or "").strip()
        if not cleaned.get("classification") and text:
            # A typed name that is a known classification is that classification.
            cleaned["classification"] = Classification.objects.filter(name__iexact=text).first()
        return cleaned


class VisitorFollowUpForm(forms.Form):
    follow_up = forms.ChoiceField(choices=Visitor.FollowUp.choices, label="Follow-up")
    notes = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
