"""The application form: anyone's, or a visitor's handed over from the meeting's visitor list
(the visitor is what this layer adds to membership's form fields)."""

import uuid

from django import forms

from chapters.models import Chapter
from meetings.models import Visitor
from members.forms_membership import MemberChoiceField, classification_field, holding_members
from members.models import Member
from members.roster_import import phone_is_valid


class ApplicationForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="Email")
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    business_name = forms.CharField(label="Business name", max_length=200)
    classification = classification_field(
        label="Classification", help_text="The one classification they would hold in the chapter."
    )
    sponsor = MemberChoiceField(
        label="Sponsor", queryset=Member.objects.none(), required=False,
        help_text="The member who invited them, if any.",
    )
    note = forms.CharField(
        label="Notes for the Membership Committee", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    visitor = forms.ModelChoiceField(
        queryset=Visitor.objects.none(), required=False, widget=forms.HiddenInput
    )
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, chapter: Chapter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsor"].queryset = holding_members(chapter)
        self.fields["visitor"].queryset = Visitor.objects.for_chapter(chapter)

    @staticmethod
    def initial_from_visitor(visitor: Visitor) -> dict:
        """A visitor handed over from the meeting's visitor list: what we know of them."""
        first, _, last = visitor.name.strip().partition(" ")
        return {
            "first_name": first, "last_name": last, "email": visitor.email,
            "phone": visitor.phone, "business_name": visitor.company,
            "classification": visitor.classification_id, "sponsor": visitor.invited_by_id,
            "visitor": visitor.pk,
            "note": f"Visited on {visitor.meeting.local_date:%d %b %Y}."
            + (f" Does: {visitor.classification_text}." if visitor.classification_text else ""),
        }

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not phone_is_valid(phone):
            raise forms.ValidationError("Enter a phone number of 7 to 15 digits.")
        return phone
