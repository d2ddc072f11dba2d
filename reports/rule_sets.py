"""Choosing and adjusting the traffic-light rule set a chapter is scored by."""

from django.db import transaction
from django.db.models import Q

from chapters.models import Chapter, TrafficLightRuleSet


def rule_set_choices(chapter: Chapter):
    """The variants a chapter can pick: the shipped ones and its own adjusted copies."""
    return TrafficLightRuleSet.objects.filter(Q(owner__isnull=True) | Q(owner=chapter))


def rule_set_choose(*, chapter: Chapter, rule_set: TrafficLightRuleSet) -> None:
    """Score the chapter by this variant from now on."""
    if rule_set.owner_id not in (None, chapter.pk):
        raise ValueError("A chapter can only use shipped variants or its own copies.")
    Chapter.objects.filter(pk=chapter.pk).update(traffic_light_rule_set=rule_set)
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
    chapter.traffic_light_rule_set = own
    return own
