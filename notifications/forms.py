"""Forms of the notification pages: a member's email choices, the leaders' delivery log."""

from django import forms

from notifications.models import Delivery, NotificationKind

KIND_HELP = {
    NotificationKind.REMINDER: "Before each meeting: when, where, the agenda and a calendar "
    "event.",
    NotificationKind.TALLY: "After each meeting: your referrals, TYFCB, one-to-ones, visitors, "
    "CEUs, attendance and traffic light.",
    NotificationKind.SUMMARY: "After each meeting: the chapter's totals and everyone's lights "
    "(leadership team).",
    NotificationKind.REFERRAL_NEWS: "When a referral you gave moves along, or you are thanked "
    "for closed business.",
}


class PreferencesForm(forms.Form):
    """One checkbox per kind of email the member can get."""

    def __init__(self, *args, offered: list[NotificationKind], wanted: set[str], **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.offered = offered
        for kind in offered:
            self.fields[kind.value] = forms.BooleanField(
                label=kind.label,
                required=False,
                initial=kind.value in wanted,
                help_text=KIND_HELP[kind],
            )

    def wanted(self) -> set[str]:
        return {kind.value for kind in self.offered if self.cleaned_data.get(kind.value)}


class DeliveryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *NotificationKind.choices]
    )
    state = forms.ChoiceField(
        label="State", required=False, choices=[("", "All states"), *Delivery.State.choices]
    )
    q = forms.CharField(label="Member name or email", required=False, max_length=100)


class ResendForm(forms.Form):
    # The resend count the leader saw: a double click posts the same number twice.
    resends = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
