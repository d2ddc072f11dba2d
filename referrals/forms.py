"""Forms for the slips. They validate; the views hand `cleaned_data` to `referrals.services`."""

import uuid

from django import forms
from django.utils.formats import date_format

from meetings.models import Meeting
from members.models import Member
from referrals.models import (
    CEU_MAX_CREDITS,
    CEU_MIN_CREDITS,
    TEMPERATURE_LABELS,
    Referral,
    ThankYou,
    Tier,
)
from referrals.services import ZERO_TYFCB, tyfcb_confirm_above, visitor_meetings

TEMPERATURE_CHOICES = [(value, f"{value} · {label}") for value, label in TEMPERATURE_LABELS.items()]
TIER_CHOICES = [
    (Tier.INSIDE, "Inside (Tier 1): I am the customer"),
    (Tier.OUTSIDE, "Outside (Tier 2): someone I know needs them"),
]
OUTSIDE_NEEDS_PROSPECT = "Needed for an outside referral."
# Notes and other free text: room for a full account, never a page 12,000 px tall.
TEXT_MAX_LENGTH = 2000


def long_text(label: str, *, rows: int = 3, required: bool = False, help_text: str = ""):
    """A free-text field of at most TEXT_MAX_LENGTH characters, with a message that says so."""
    limit = f"{TEXT_MAX_LENGTH:,}"
    return forms.CharField(
        label=label, required=required, max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=" ".join(filter(None, [help_text, f"Up to {limit} characters."])),
        error_messages={"max_length": (
            f"Keep it to {limit} characters: this has %(show_value)s. Your text is still "
            "here; shorten it and save again."
        )},
    )


def is_id(value: str) -> bool:
    """A database id as typed in a URL: ASCII digits only ("²".isdigit() is true, too)."""
    return value.isascii() and value.isdigit() and len(value) < 19


def member_label(member: Member, *, with_chapter: bool = False) -> str:
    parts = [member.full_name, member.business_name, member.classification.name]
    if with_chapter:
        parts.append(member.chapter.name)
    return " · ".join(parts)


class SubmissionTokenField(forms.UUIDField):
    """The hidden token that makes a resubmitted form find its first slip (see services).

    A missing or mangled token must not block the member: it just gets a fresh one."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        try:
            return super().clean(value) or uuid.uuid4()
        except forms.ValidationError:
            return uuid.uuid4()


class SlipDetailsForm(forms.Form):
    """The fields of a slip its author may still change; also the leaders' correction form."""

    # Optional extras the slip form folds away under "More details".
    folded_fields = ("notes",)

    def __init__(self, *args, chapter=None, **kwargs):
        self.chapter = chapter
        super().__init__(*args, **kwargs)


class SlipForm(SlipDetailsForm):
    """A new slip: renders with a fresh submission token."""

    token = SubmissionTokenField()

    def __init__(self, *args, author: Member, **kwargs):
        self.author = author
        kwargs.setdefault("chapter", author.chapter)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())


class MemberField(forms.ModelChoiceField):
    """Another member: a select of the author's chapter, plus one member of another chapter when
    cross-chapter slips are allowed and one was picked (from the search, never listed)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", "Choose a member…")
        super().__init__(queryset=Member.objects.none(), **kwargs)

    def label_from_instance(self, obj):
        return member_label(obj)

    def setup(self, *, author: Member, chosen: str | int | None, other_chapters: bool) -> None:
        people = Member.objects.active().exclude(pk=author.pk).select_related(
            "user", "classification", "chapter"
        )
        own = list(people.filter(chapter=author.chapter_id))
        self.queryset = people if other_chapters else people.filter(chapter=author.chapter_id)
        choices = [("", self.empty_label)] + [(m.pk, member_label(m)) for m in own]
        chosen = str(chosen or "")
        if other_chapters and is_id(chosen) and int(chosen) not in {m.pk for m in own}:
            # Only the four fields a member of another chapter may see: name, business,
            # classification, chapter.
            picked = people.exclude(chapter=author.chapter_id).filter(pk=int(chosen)).first()
            if picked is not None:
                choices.append((picked.pk, member_label(picked, with_chapter=True)))
        # Set after the queryset: assigning a queryset resets the widget's choices.
        self.widget.choices = choices


def _setup_member_field(form: SlipForm, name: str, *, other_chapters: bool) -> None:
    chosen = form.data.get(form.add_prefix(name)) if form.is_bound else form.initial.get(name)
    form.fields[name].setup(author=form.author, chosen=chosen, other_chapters=other_chapters)


# Referrals ----------------------------------------------------------------------------------


class ReferralDetailsForm(SlipDetailsForm):
    """What a giver can still change on a referral while its week is open."""

    tier = forms.ChoiceField(
        label="Inside or outside?", choices=TIER_CHOICES, widget=forms.RadioSelect
    )
    prospect_name = forms.CharField(
        label="Prospect's name", max_length=150, required=False,
        help_text="Who needs the receiver. Required for an outside referral.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    prospect_phone = forms.CharField(
        label="Prospect's phone", max_length=40, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text="A phone number or an email is required for an outside referral.",
    )
    prospect_email = forms.EmailField(
        label="Prospect's email", required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    temperature = forms.TypedChoiceField(
        label="How warm is it?", choices=TEMPERATURE_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    notes = long_text("Notes")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("tier") == Tier.OUTSIDE:
            if not cleaned.get("prospect_name", "").strip():
                self.add_error("prospect_name", OUTSIDE_NEEDS_PROSPECT)
            if not (cleaned.get("prospect_phone", "").strip() or cleaned.get("prospect_email")):
                if "prospect_email" not in self.errors:
                    self.add_error(
                        "prospect_phone", "Give the prospect's phone or email (or both)."
                    )
        return cleaned


class ReferralForm(SlipForm, ReferralDetailsForm):
    receiver = MemberField(
        label="Receiver",
        help_text="The member you are passing the business to.",
    )
    field_order = ["receiver", "tier", "prospect_name", "prospect_phone", "prospect_email",
                   "temperature", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Members pass business to the same few people: start from the last referral.
            last = Referral.objects.filter(giver=self.author).values("receiver", "tier").first()
            if last is not None:
                self.initial.setdefault("receiver", last["receiver"])
            self.initial.setdefault("tier", last["tier"] if last else Tier.INSIDE)
        _setup_member_field(self, "receiver", other_chapters=True)


class ReferralStatusForm(forms.Form):
    """The receiver moves a referral along: contacted, meeting booked, closed won or not."""

    status = forms.ChoiceField(label="New status", widget=forms.RadioSelect)
    amount = forms.DecimalField(
        label="Amount of closed business", min_value=0, max_digits=14, decimal_places=2,
        required=False, help_text="Invoice total excluding tax; recorded as TYFCB for the giver.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
    )
    business_type = forms.ChoiceField(
        label="New or repeat business", choices=ThankYou.BusinessType.choices,
        initial=ThankYou.BusinessType.NEW, required=False, widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why it did not close", max_length=255, required=False,
        help_text="Required when the referral did not close.",
    )

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.fields["status"].choices = referral.next_statuses()

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status == Referral.Status.CLOSED_WON:
            if cleaned.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", "Enter the amount of the closed business.")
            check_tyfcb_amount(self, self.referral.receiver.chapter)
            cleaned["business_type"] = cleaned.get("business_type") or ThankYou.BusinessType.NEW
        if status == Referral.Status.NOT_CLOSED and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why the referral did not close.")
        return cleaned


# Thank-yous for closed business ----------------------------------------------------------

AMOUNT_CONFIRMED = "amount_confirmed"


def check_tyfcb_amount(form: forms.Form, chapter) -> None:
    """Zero is refused; an amount above the chapter's threshold is asked again with a box to
    tick, keeping what was typed."""
    amount = form.cleaned_data.get("amount")
    if amount is None or "amount" in form.errors:
        return
    if amount <= 0:
        form.add_error("amount", ZERO_TYFCB)
        return
    if chapter is None or form.data.get(AMOUNT_CONFIRMED):
        return
    limit = tyfcb_confirm_above(chapter)
    if amount > limit:
        form.fields[AMOUNT_CONFIRMED] = forms.BooleanField(
            label=f"Yes, {chapter.currency} {amount:,.2f} is right", required=False
        )
        form.add_error(
            AMOUNT_CONFIRMED,
            f"{chapter.currency} {amount:,.2f} is far above this chapter's usual TYFCB "
            f"(more than {chapter.currency} {limit:,.2f}). Check the amount, and tick the box "
            "if it is right.",
        )


class ThankYouDetailsForm(SlipDetailsForm):
    amount = forms.DecimalField(
        label="Amount", min_value=0, max_digits=14, decimal_places=2,
        help_text="Invoice total excluding tax.",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
    )
    business_type = forms.ChoiceField(
        label="New or repeat business", choices=ThankYou.BusinessType.choices,
        initial=ThankYou.BusinessType.NEW, widget=forms.RadioSelect,
    )
    notes = long_text("Notes")

    def clean(self):
        cleaned = super().clean()
        check_tyfcb_amount(self, self.chapter)
        return cleaned


class ThankYouForm(SlipForm, ThankYouDetailsForm):
    credited_to = MemberField(
        label="Who passed you the business?", help_text="The member you thank for it."
    )
    field_order = ["credited_to", "amount", "business_type", "notes"]

    def __init__(self, *args, referral: Referral | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        if referral is not None:
            # Thanks for a referral go to its giver.
            del self.fields["credited_to"]
        else:
            _setup_member_field(self, "credited_to", other_chapters=True)


# One-to-ones, CEUs, testimonials, visitors -------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class OneToOneDetailsForm(SlipDetailsForm):
    folded_fields = ("location", "notes")

    met_on = forms.DateField(label="When did you meet?", widget=DateInput)
    location = forms.CharField(label="Where", max_length=200, required=False)
    notes = long_text("Notes")

    def clean_met_on(self):
        met_on = self.cleaned_data["met_on"]
        if met_on > self.chapter.today():
            raise forms.ValidationError("Log a one-to-one once it has happened.")
        return met_on


class OneToOneForm(SlipForm, OneToOneDetailsForm):
    met_with = MemberField(label="Who did you meet?")
    field_order = ["met_with", "met_on", "location", "notes"]

    def __init__(self, *args, author: Member, **kwargs):
        super().__init__(*args, author=author, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("met_on", author.chapter.today())
        _setup_member_field(self, "met_with", other_chapters=True)


class CEUDetailsForm(SlipDetailsForm):
    description = forms.CharField(
        label="What did you learn?", max_length=255,
        help_text="E.g. the education moment, a training or a podcast.",
    )
    credits = forms.TypedChoiceField(
        label="Credits", coerce=int, initial=1,
        choices=[(n, str(n)) for n in range(CEU_MIN_CREDITS, CEU_MAX_CREDITS + 1)],
    )
    earned_on = forms.DateField(label="When", widget=DateInput)

    def clean_earned_on(self):
        earned_on = self.cleaned_data["earned_on"]
        if earned_on > self.chapter.today():
            raise forms.ValidationError("That date is in the future.")
        return earned_on


class CEUForm(SlipForm, CEUDetailsForm):
    def __init__(self, *args, author: Member, **kwargs):
        super().__init__(*args, author=author, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("earned_on", author.chapter.today())


class TestimonialDetailsForm(SlipDetailsForm):
    text = long_text(
        "What you said", rows=4, required=True,
        help_text="A few lines about their work, as you told the chapter.",
    )


class TestimonialForm(SlipForm, TestimonialDetailsForm):
    about = MemberField(label="About whom?")
    field_order = ["about", "text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _setup_member_field(self, "about", other_chapters=False)


class VisitorDetailsForm(SlipDetailsForm):
    name = forms.CharField(label="Visitor's name", max_length=150)
    company = forms.CharField(label="Company", max_length=200, required=False)
    classification_text = forms.CharField(
        label="What they do", max_length=120, required=False,
        help_text="Their trade or profession, e.g. \"Wedding photographer\".",
    )
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(
        label="Phone", max_length=40, required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text="An email or a phone number is required.",
    )
    notes = long_text("Notes", rows=2)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("email") or cleaned.get("phone", "").strip()) and not (
            {"email", "phone"} & set(self.errors)
        ):
            self.add_error("phone", "Give the visitor's email or phone (or both).")
        return cleaned


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return date_format(obj.local_start, "l j F Y, H:i")


class VisitorForm(SlipForm, VisitorDetailsForm):
    meeting = MeetingChoiceField(label="Which meeting?", queryset=Meeting.objects.none())
    field_order = ["meeting", "name", "company", "classification_text", "email", "phone", "notes"]

    def __init__(self, *args, author: Member, **kwargs):
        super().__init__(*args, author=author, **kwargs)
        meetings = visitor_meetings(author.chapter)
        self.fields["meeting"].queryset = meetings
        if not self.is_bound and "meeting" not in self.initial:
            self.initial["meeting"] = meetings.values_list("pk", flat=True).first()


# Leaders' corrections ---------------------------------------------------------------------


class CorrectionReasonForm(forms.Form):
    reason = long_text(
        "Why is this slip corrected?", rows=2, required=True,
        help_text="Kept with the record of the change.",
    )
