"""Report windows and the operations of the reports area (choosing and adjusting the
traffic-light rule set)."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chapters.freshness import catalog_changed
from chapters.models import Chapter, TrafficLightRuleSet

PRESETS = [
    ("week", "This week"),
    ("30d", "Last 30 days"),
    ("6m", "Last 6 months"),
    ("custom", "Custom range"),
]
# A range longer than this is almost certainly a typo in a year.
MAX_RANGE_DAYS = 5 * 366


def chapter_today(chapter: Chapter) -> datetime.date:
    return timezone.now().astimezone(chapter.zone).date()


def preset_window(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The dates a preset covers, ending today in the chapter's time zone."""
    if preset == "week":
        monday = today - datetime.timedelta(days=today.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if preset == "6m":
        return today - datetime.timedelta(weeks=26) + datetime.timedelta(days=1), today
    return today - datetime.timedelta(days=29), today


def rule_set_choices(chapter: Chapter):
    """The variants a chapter can pick: the shipped ones and its own adjusted copies."""
    return TrafficLightRuleSet.objects.filter(Q(owner__isnull=True) | Q(owner=chapter))


def rule_set_choose(*, chapter: Chapter, rule_set: TrafficLightRuleSet) -> None:
    """Score the chapter by this variant from now on."""
    if rule_set.owner_id not in (None, chapter.pk):
        raise ValueError("A chapter can only use shipped variants or its own copies.")
    Chapter.objects.filter(pk=chapter.pk).update(traffic_light_rule_set=rule_set)
    catalog_changed()
    chapter.traffic_light_rule_set = rule_set


def rule_set_adjust(*, chapter: Chapter, rules: dict) -> TrafficLightRuleSet:
    """Save adjusted thresholds in the chapter's own copy of its variant (made on first
    adjustment, so the shipped variants stay as published for everyone else)."""
    with transaction.atomic():
        locked = Chapter.objects.select_for_update(of=("self",)).select_related(
            "traffic_light_rule_set").get(pk=chapter.pk)
        current = locked.traffic_light_rule_set
        if current is not None and current.owner_id == chapter.pk:
            current.rules = rules
            current.save(update_fields=["rules"])
            own = current
        else:
            base = current or TrafficLightRuleSet.objects.get(slug="uk-100-point")
            own, _ = TrafficLightRuleSet.objects.update_or_create(
                slug=f"chapter-{chapter.pk}-{base.slug}"[:100],
                defaults={
                    "name": f"{base.name} (adjusted)",
                    "description": f"{chapter.name}'s thresholds, based on {base.name}.",
                    "rules": rules,
                    "owner": chapter,
                    "based_on": base,
                },
            )
            Chapter.objects.filter(pk=chapter.pk).update(traffic_light_rule_set=own)
            catalog_changed()
    chapter.traffic_light_rule_set = own
    return own
