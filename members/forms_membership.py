"""Forms of membership management: deciding applications, lifecycle actions, roles, roster
import."""

import datetime

from django import forms
from django.utils import timezone

from chapters.models import Chapter, Classification
from members.models import AuditEntry, Member, Role


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def classification_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Classification.objects.select_related("industry").order_by("name"), **kwargs
    )


def holding_members(chapter: Chapter):
    return Member.objects.current().for_chapter(chapter).select_related("user").order_by(
        "user__first_name", "user__last_name", "pk"
    )


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return obj.full_name


class ReclassifyForm(forms.Form):
    classification = classification_field(label="Another classification")


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label="Note (optional)", required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why is it declined?", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActionForm(forms.Form):
    """An action with nothing to fill in (reinstate, back from leave)."""


class RenewForm(forms.Form):
    # The due date the leader saw: a second click finds it moved on and renews nothing.
    expected_due_on = forms.DateField(required=False, widget=forms.HiddenInput)


class LeaveForm(forms.Form):
    starts_on = forms.DateField(label="First day of leave", widget=DateInput)
    ends_on = forms.DateField(
        label="Back on", widget=DateInput, help_text="The member is back at meetings this day."
    )
    reason = forms.CharField(
        label="Reason", max_length=255, required=False, initial="Medical",
    )

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", "The leave must end after it starts.")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500)


class TransferForm(forms.Form):
    to_chapter = forms.ModelChoiceField(label="Move to chapter", queryset=Chapter.objects.none())
    classification = classification_field(
        label="Classification there", required=False,
        help_text="Leave empty to keep the same classification.",
    )

    def __init__(self, *args, chapter: Chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_chapter"].queryset = Chapter.objects.exclude(pk=chapter.pk).order_by(
            "name"
        )


class AnonymiseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand this erases their name and contact details for good",
    )


class RoleAssignForm(forms.Form):
    member = MemberChoiceField(label="Member", queryset=Member.objects.none())
    # No role is chosen for the leader: a slip of the thumb must not make someone President.
    role = forms.ChoiceField(label="Role", choices=[("", "Choose a role…"), *Role.choices])
    starts_on = forms.DateField(label="First day", widget=DateInput)
    ends_on = forms.DateField(
        label="Last day", widget=DateInput, required=False,
        help_text="Terms usually run 6 or 12 months; leave empty for no end date.",
    )

    def __init__(self, *args, chapter: Chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = holding_members(chapter)
        today = timezone.now().astimezone(chapter.zone).date()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = (
            today.replace(year=today.year + 1) - datetime.timedelta(days=1)
            if not (today.month == 2 and today.day == 29)
            else today + datetime.timedelta(days=364)
        )

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The term must end on or after its first day.")
        return cleaned


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster file (.csv or .xlsx)",
        help_text="Columns: First name, Last name, Email, Phone, Business, Classification; "
        "optional Industry, Joined, Renewal due. Nothing changes until you confirm.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    send_emails = forms.BooleanField(
        label="Email each new member a link to set their password", required=False,
        initial=True,
    )


class AuditFilterForm(forms.Form):
    member = MemberChoiceField(
        label="Member", queryset=Member.objects.none(), required=False, empty_label="Everyone"
    )
    action = forms.ChoiceField(
        label="Change", required=False, choices=[("", "Every change"), *AuditEntry.Action.choices]
    )

    def __init__(self, *args, chapter: Chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = (
            Member.objects.for_chapter(chapter)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "pk")
        )
