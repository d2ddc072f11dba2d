"""Plain builders for test data: each call makes one believable object."""

import datetime
import itertools

from django.utils import timezone

from chapters.models import Chapter, Classification, Industry, TrafficLightRuleSet
from meetings.models import Meeting
from meetings.services import meeting_times, schedule_slots
from members.models import LeadershipRole, Member, User

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def industry(name: str | None = None) -> Industry:
    return Industry.objects.get_or_create(name=name or f"Industry {next(_seq)}")[0]


def classification(name: str | None = None, industry_name: str = "Services") -> Classification:
    return Classification.objects.get_or_create(
        name=name or f"Classification {next(_seq)}", defaults={"industry": industry(industry_name)}
    )[0]


def chapter(name: str | None = None, **fields) -> Chapter:
    number = next(_seq)
    name = name or f"Chapter {number}"
    fields.setdefault("slug", f"{name.lower().replace(' ', '-')}-{number}")
    fields.setdefault("time_zone", "Europe/London")
    fields.setdefault(
        "traffic_light_rule_set", TrafficLightRuleSet.objects.filter(slug="uk-100-point").first()
    )
    return Chapter.objects.create(name=name, **fields)


def user(email: str | None = None, **fields) -> User:
    number = next(_seq)
    fields.setdefault("first_name", f"First{number}")
    fields.setdefault("last_name", f"Last{number}")
    account = User.objects.create_user(
        email=email or f"person{number}@example.test", password=PASSWORD, **fields
    )
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=account, email=account.email, verified=True, primary=True)
    return account


def member(
    chapter: Chapter,
    *,
    roles: tuple[str, ...] = (),
    email: str | None = None,
    status: str = Member.Status.ACTIVE,
    classification_name: str | None = None,
    **fields,
) -> Member:
    fields.setdefault("business_name", f"Business {next(_seq)} Ltd")
    created = Member.objects.create(
        user=user(
            email,
            first_name=fields.pop("first_name", None) or f"First{next(_seq)}",
            last_name=fields.pop("last_name", None) or f"Last{next(_seq)}",
        ),
        chapter=chapter,
        classification=classification(classification_name),
        status=status,
        joined_on=timezone.localdate() - datetime.timedelta(days=200),
        renewal_due_on=timezone.localdate() + datetime.timedelta(days=165),
        **fields,
    )
    for role in roles:
        LeadershipRole.objects.create(
            member=created, role=role, starts_on=timezone.localdate() - datetime.timedelta(days=30)
        )
    return created


def admin(email: str | None = None) -> User:
    account = user(email)
    account.is_staff = True
    account.is_superuser = True
    account.save(update_fields=["is_staff", "is_superuser"])
    return account


def meeting(chapter: Chapter, local_date: datetime.date | None = None, **fields) -> Meeting:
    """A meeting of the chapter: by default its next regular one that has not ended, as the
    schedule would make it (next week's when today's is over)."""
    if local_date is None:
        now = timezone.now()
        slots = schedule_slots(chapter, today=now.astimezone(chapter.zone).date(), weeks=2)
        local_date = next(slot for slot in slots if meeting_times(chapter, slot)[1] > now)
    starts_at, ends_at = meeting_times(chapter, local_date)
    fields.setdefault("starts_at", starts_at)
    fields.setdefault("ends_at", ends_at)
    return Meeting.objects.create(
        chapter=chapter, local_date=local_date, slot_date=local_date, **fields
    )
