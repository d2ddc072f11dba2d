"""The kinds of slip, for the pages that treat them alike: my slips, edit, delete, the leaders'
corrections. Each kind names its author field, the other member on it and what may change."""

from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.formats import number_format

from meetings.models import Visitor
from members.models import Member
from referrals import forms
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou
from referrals.services import slip_is_locked

_PERSON = ("user", "classification", "chapter")


@dataclass(frozen=True)
class SlipKind:
    slug: str  # the URL segment and `SlipCorrection.slip_type`
    label: str  # as a heading or badge: "Referral", "TYFCB"
    noun: str  # inside a sentence: "referral", "TYFCB"
    model: type[Model]
    author: str  # the member who logged it
    other: str | None  # the other member on it
    other_meeting: str | None  # the other member's meeting, when a chapter apart
    edit_form: type[forms.SlipDetailsForm]
    new_url: str  # the name of the page that logs one
    kept: tuple[str, ...]  # what a correction record keeps when a leader removes one

    @property
    def edit_fields(self) -> list[str]:
        return list(self.edit_form.base_fields)

    def queryset(self) -> QuerySet:
        related = [f"{self.author}__{part}" for part in _PERSON] + ["meeting__chapter"]
        if self.other:
            related += [f"{self.other}__{part}" for part in _PERSON]
        if self.other_meeting:
            related.append(self.other_meeting)
        return self.model.objects.select_related(*related)

    def authored_by(self, member: Member) -> QuerySet:
        return self.queryset().filter(**{self.author: member})

    def initial(self, slip: Model) -> dict:
        return {name: getattr(slip, name) for name in self.edit_fields}

    def describe(self, slip: Model) -> str:
        """One line that tells the author which slip this is."""
        return _DESCRIBE[self.slug](slip)


def _money(amount, chapter) -> str:
    return f"{chapter.currency} {number_format(amount, 2, force_grouping=True)}"


_DESCRIBE = {
    "referral": lambda s: (
        f"To {s.receiver.full_name} ({s.receiver.business_name}) · {s.get_tier_display()}"
        + (f" · {s.prospect_name}" if s.prospect_name else "")
        + f" · {s.get_status_display()}"
    ),
    "thank-you": lambda s: (
        f"Thanked {s.credited_to.full_name}: {_money(s.amount, s.meeting.chapter)}"
        f" ({s.get_business_type_display().lower()})"
    ),
    "one-to-one": lambda s: f"With {s.met_with.full_name} on {s.met_on:%d %b %Y}",
    "ceu": lambda s: f"{s.credits} credit{'s' if s.credits != 1 else ''}: {s.description}",
    "testimonial": lambda s: f"About {s.about.full_name}",
    "visitor": lambda s: f"{s.name}" + (f" ({s.company})" if s.company else "")
    + f" for {s.meeting.local_date:%d %b %Y}",
}

KINDS = {
    kind.slug: kind
    for kind in [
        SlipKind(
            slug="referral", label="Referral", noun="referral", model=Referral,
            author="giver", other="receiver", other_meeting="receiver_meeting",
            edit_form=forms.ReferralDetailsForm, new_url="referral_new",
            kept=("giver", "receiver", "tier", "prospect_name", "prospect_phone",
                  "prospect_email", "temperature", "notes", "status"),
        ),
        SlipKind(
            slug="thank-you", label="TYFCB", noun="TYFCB", model=ThankYou,
            author="thanked_by", other="credited_to", other_meeting="credited_meeting",
            edit_form=forms.ThankYouDetailsForm, new_url="thank_you_new",
            kept=("thanked_by", "credited_to", "amount", "business_type", "notes"),
        ),
        SlipKind(
            slug="one-to-one", label="One-to-one", noun="one-to-one", model=OneToOne,
            author="member", other="met_with", other_meeting="met_with_meeting",
            edit_form=forms.OneToOneDetailsForm, new_url="one_to_one_new",
            kept=("member", "met_with", "met_on", "location", "notes"),
        ),
        SlipKind(
            slug="ceu", label="CEU", noun="CEU", model=CEU,
            author="member", other=None, other_meeting=None,
            edit_form=forms.CEUDetailsForm, new_url="ceu_new",
            kept=("member", "credits", "description", "earned_on"),
        ),
        SlipKind(
            slug="testimonial", label="Testimonial", noun="testimonial", model=Testimonial,
            author="giver", other="about", other_meeting=None,
            edit_form=forms.TestimonialDetailsForm, new_url="testimonial_new",
            kept=("giver", "about", "text"),
        ),
        SlipKind(
            slug="visitor", label="Visitor", noun="visitor", model=Visitor,
            author="invited_by", other=None, other_meeting=None,
            edit_form=forms.VisitorDetailsForm, new_url="visitor_new",
            kept=("invited_by", "name", "company", "classification_text", "email", "phone",
                  "notes"),
        ),
    ]
}


@dataclass(frozen=True)
class SlipItem:
    """A slip in a mixed list, with its kind."""

    kind: SlipKind
    slip: Model

    @property
    def summary(self) -> str:
        return self.kind.describe(self.slip)

    @property
    def author(self) -> Member | None:
        return getattr(self.slip, self.kind.author)

    @property
    def is_locked(self) -> bool:
        return slip_is_locked(self.slip)


def recent_slips(member: Member, *, per_kind: int = 10, limit: int = 20) -> list[SlipItem]:
    """The member's latest slips of every kind, newest first: one query per kind."""
    items = [
        SlipItem(kind, slip)
        for kind in KINDS.values()
        for slip in kind.authored_by(member).order_by("-created_at")[:per_kind]
    ]
    items.sort(key=lambda item: item.slip.created_at, reverse=True)
    return items[:limit]


def week_slips(meeting) -> list[SlipItem]:
    """Every slip the chapter's members logged for one meeting: one query per kind."""
    return [
        SlipItem(kind, slip)
        for kind in KINDS.values()
        for slip in kind.queryset().filter(meeting=meeting).order_by("created_at")
    ]
