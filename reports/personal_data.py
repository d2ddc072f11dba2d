"""A person's own data, for them to download (JSON and CSV): account, memberships, roles,
leaves, slips given and received, attendance, applications and invitations.

Each section is one query, so the download costs the same whatever its size.
"""

import csv
import datetime
import io
from decimal import Decimal

from django.db.models import Q

from chapters.spreadsheets import formula_guard
from meetings.models import Attendance
from members.models import (
    Application,
    AuditEntry,
    Invitation,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    User,
)
from referrals.models import CEU, OneToOne, Referral, Testimonial, ThankYou


def _value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _rows(queryset, fields: dict) -> list[dict]:
    """Each object as {label: value}; `fields` maps labels to callables on the object."""
    return [
        {label: _value(read(item)) for label, read in fields.items()} for item in queryset
    ]


def _name(member: Member) -> str:
    return member.full_name


# A referral's own fields, given or received.
REFERRAL = {
    "tier": lambda r: r.get_tier_display(),
    "temperature": lambda r: r.temperature,
    "prospect_name": lambda r: r.prospect_name,
    "prospect_phone": lambda r: r.prospect_phone,
    "prospect_email": lambda r: r.prospect_email,
    "notes": lambda r: r.notes,
    "status": lambda r: r.get_status_display(),
}
# The fields an application and an invitation share: where, when and as what.
ASKED_TO_JOIN = {
    "chapter": lambda row: row.chapter.name,
    "date": lambda row: row.created_at,
    "classification": lambda row: row.classification.name,
}


def personal_data(user: User) -> dict:
    """Everything Chapterhouse holds about this person, as plain JSON-ready values."""
    members = Member.objects.filter(user=user)
    people = ("user", "chapter", "classification")
    return {
        "exported_at": _value(datetime.datetime.now(datetime.UTC)),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _value(user.date_joined),
            "last_login": _value(user.last_login),
        },
        "memberships": _rows(
            members.select_related("chapter", "classification", "sponsor__user")
            .order_by("created_at"),
            {
                "chapter": lambda m: m.chapter.name,
                "classification": lambda m: m.classification.name,
                "business_name": lambda m: m.business_name,
                "phone": lambda m: m.phone,
                "website": lambda m: m.website,
                "ideal_referral": lambda m: m.ideal_referral,
                "target_market": lambda m: m.target_market,
                "status": lambda m: m.get_status_display(),
                "joined_on": lambda m: m.joined_on,
                "renewal_due_on": lambda m: m.renewal_due_on,
                "sponsor": lambda m: m.sponsor.full_name if m.sponsor_id else "",
            },
        ),
        "roles": _rows(
            LeadershipRole.objects.filter(member__in=members).select_related("member__chapter"),
            {
                "chapter": lambda r: r.member.chapter.name,
                "role": lambda r: r.get_role_display(),
                "starts_on": lambda r: r.starts_on,
                "ends_on": lambda r: r.ends_on,
            },
        ),
        "leaves_of_absence": _rows(
            LeaveOfAbsence.objects.filter(member__in=members).select_related("member__chapter"),
            {
                "chapter": lambda leave: leave.member.chapter.name,
                "starts_on": lambda leave: leave.starts_on,
                "ends_on": lambda leave: leave.ends_on,
                "reason": lambda leave: leave.reason,
            },
        ),
        "referrals_given": _rows(
            Referral.objects.filter(giver__in=members).select_related(
                *[f"receiver__{part}" for part in people]
            ),
            {
                "date": lambda r: r.created_at,
                "to": lambda r: _name(r.receiver),
                **REFERRAL,
            },
        ),
        "referrals_received": _rows(
            Referral.objects.filter(receiver__in=members).select_related(
                *[f"giver__{part}" for part in people]
            ),
            {
                "date": lambda r: r.created_at,
                "from": lambda r: _name(r.giver),
                **REFERRAL,
            },
        ),
        "thank_yous_given": _rows(
            ThankYou.objects.filter(thanked_by__in=members).select_related(
                *[f"credited_to__{part}" for part in people]
            ),
            {
                "date": lambda t: t.created_at,
                "to": lambda t: _name(t.credited_to),
                "amount": lambda t: t.amount,
                "business_type": lambda t: t.get_business_type_display(),
                "notes": lambda t: t.notes,
            },
        ),
        "thank_yous_received": _rows(
            ThankYou.objects.filter(credited_to__in=members).select_related(
                *[f"thanked_by__{part}" for part in people], "meeting__chapter"
            ),
            {
                "date": lambda t: t.created_at,
                # The thanker's chapter decides whether the giver learns who thanked them.
                "from": lambda t: _name(t.thanked_by) if t.names_thanker else "",
                "amount": lambda t: t.amount,
                "business_type": lambda t: t.get_business_type_display(),
            },
        ),
        "one_to_ones": _rows(
            OneToOne.objects.filter(Q(member__in=members) | Q(met_with__in=members))
            .select_related(*[f"member__{part}" for part in people],
                            *[f"met_with__{part}" for part in people]),
            {
                "met_on": lambda o: o.met_on,
                "with": lambda o: _name(o.met_with if o.member.user_id == user.pk else o.member),
                "location": lambda o: o.location,
                "notes": lambda o: o.notes if o.member.user_id == user.pk else "",
            },
        ),
        "ceus": _rows(
            CEU.objects.filter(member__in=members),
            {
                "earned_on": lambda c: c.earned_on,
                "credits": lambda c: c.credits,
                "description": lambda c: c.description,
            },
        ),
        "testimonials_given": _rows(
            Testimonial.objects.filter(giver__in=members).select_related(
                *[f"about__{part}" for part in people]
            ),
            {"date": lambda t: t.created_at, "about": lambda t: _name(t.about),
             "text": lambda t: t.text},
        ),
        "testimonials_received": _rows(
            Testimonial.objects.filter(about__in=members).select_related(
                *[f"giver__{part}" for part in people]
            ),
            {"date": lambda t: t.created_at, "from": lambda t: _name(t.giver),
             "text": lambda t: t.text},
        ),
        "attendance": _rows(
            Attendance.objects.filter(member__in=members)
            .select_related("meeting__chapter")
            .order_by("meeting__starts_at"),
            {
                "chapter": lambda a: a.meeting.chapter.name,
                "meeting_date": lambda a: a.meeting.local_date,
                "code": lambda a: a.code,
                "substitute": lambda a: a.substitute_name,
            },
        ),
        "applications": _rows(
            Application.objects.filter(Q(email__iexact=user.email) | Q(member__in=members))
            .select_related("chapter", "classification"),
            {
                **ASKED_TO_JOIN,
                "business_name": lambda a: a.business_name,
                "phone": lambda a: a.phone,
                "status": lambda a: a.get_status_display(),
                "decided_at": lambda a: a.decided_at,
            },
        ),
        "invitations": _rows(
            Invitation.objects.filter(Q(email__iexact=user.email) | Q(member__in=members))
            .select_related("chapter", "classification"),
            {
                **ASKED_TO_JOIN,
                "accepted_at": lambda i: i.accepted_at,
            },
        ),
        "membership_history": _rows(
            AuditEntry.objects.filter(member__in=members).select_related("chapter"),
            {
                "chapter": lambda e: e.chapter.name,
                "at": lambda e: e.at,
                "change": lambda e: e.get_action_display(),
                "detail": lambda e: e.summary,
            },
        ),
    }


def personal_data_csv(data: dict) -> str:
    """The same data as one CSV: a row per value (section, item number, field, value)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "item", "field", "value"])
    for section, content in data.items():
        if isinstance(content, dict):
            for field, value in content.items():
                writer.writerow([section, 1, field, _safe(value)])
        elif isinstance(content, list):
            for number, item in enumerate(content, start=1):
                for field, value in item.items():
                    writer.writerow([section, number, field, _safe(value)])
        else:
            writer.writerow([section, "", "", _safe(content)])
    return buffer.getvalue()


def _safe(value) -> str:
    """The value as text a spreadsheet will not run as a formula."""
    return formula_guard("" if value is None else str(value))
