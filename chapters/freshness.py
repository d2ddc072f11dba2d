"""Versions of what cached pages and lookups were built from, so the busiest reads (the
member dashboard, and who may see which chapter) come from the cache and are still never older
than the last write.

Each chapter, member and user, and the catalog (chapters, classifications, rule sets), has a
version in the cache: a random token. A cached entry's key holds the versions it was built
from; any write that could change it gives those versions new tokens, at once and again when
its transaction commits, so the next request builds afresh. Writes through the ORM (services,
the admin) are caught by the receivers at the bottom; bulk writes, which send no signals, call
the `..._changed` functions themselves. This is cache upkeep only: no rule of the domain lives
here.
"""

import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

# A backstop for a write that somehow slipped past: no cached page outlives this.
PAGE_SECONDS = 300
# The one version of everything every chapter page reads: chapters, classifications, rules.
CATALOG = ("catalog", 0)


def _key(kind: str, pk: int) -> str:
    return f"version:{kind}:{pk}"


def cached(key: str, parts: list[tuple[str, int]], build):
    """The value cached under `key` if it was built from the current versions of `parts`,
    else `build()` afresh: it returns the value and how many seconds it may be kept. The
    entry and the versions come back in one round trip."""
    version_keys = [_key(kind, pk) for kind, pk in parts]
    found = cache.get_many([key, *version_keys])
    if any(name not in found for name in version_keys):
        # Versions never expire on their own; an evicted one simply starts afresh.
        for name in version_keys:
            if name not in found:
                cache.add(name, secrets.token_hex(8), timeout=None)
        found |= cache.get_many(version_keys)
    current = [found.get(name) for name in version_keys]
    entry = found.get(key)
    if entry is not None and entry[0] == current:
        return entry[1]
    # Read after the versions: a write that lands meanwhile leaves them stale, not this.
    value, seconds = build()
    cache.set(key, (current, value), seconds)
    return value


def _renew(kind: str, ids) -> None:
    keys = [_key(kind, pk) for pk in set(ids) if pk is not None]
    if not keys:
        return

    def renew():
        cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)

    # Now, so this transaction's own next read builds afresh, and again after commit, so a
    # page another request built from the old rows meanwhile is not kept under the new tokens.
    renew()
    transaction.on_commit(renew, robust=True)


def chapters_changed(*chapter_ids: int) -> None:
    """Every cached page of these chapters is out of date once this transaction commits."""
    _renew("chapter", chapter_ids)


def members_changed(*member_ids: int) -> None:
    """Every cached page of these members is out of date once this transaction commits."""
    _renew("member", member_ids)


def users_changed(*user_ids: int) -> None:
    """What these people may see (memberships, roles, staff) is to be looked up afresh."""
    _renew("user", user_ids)


def catalog_changed() -> None:
    """A chapter, classification or rule set changed: every page is to be built afresh."""
    _renew(CATALOG[0], [CATALOG[1]])


# Which ids of a saved or deleted row name the members whose pages show it.
MEMBER_FIELDS = {
    ("meetings", "attendance"): ("member_id",),
    ("meetings", "visitor"): ("invited_by_id",),
    ("referrals", "referral"): ("giver_id", "receiver_id"),
    ("referrals", "thankyou"): ("thanked_by_id", "credited_to_id"),
    ("referrals", "onetoone"): ("member_id", "met_with_id"),
    ("referrals", "ceu"): ("member_id",),
    ("referrals", "testimonial"): ("giver_id", "about_id"),
    ("reports", "importedslip"): ("member_id",),
}
CATALOG_MODELS = [
    ("chapters", "chapter"),
    ("chapters", "classification"),
    ("chapters", "trafficlightruleset"),
]


def _slip_written(sender, instance, **kwargs) -> None:
    label = (sender._meta.app_label, sender._meta.model_name)
    members_changed(*(getattr(instance, name) for name in MEMBER_FIELDS[label]))


def _meeting_written(sender, instance, **kwargs) -> None:
    chapters_changed(instance.chapter_id)


def _member_written(sender, instance, **kwargs) -> None:
    # A member's name or status shows on other members' pages too (the chapter's version
    # covers the member's own), and decides what the person may see.
    chapters_changed(instance.chapter_id)
    users_changed(instance.user_id)


def _role_written(sender, instance, **kwargs) -> None:
    users_changed(instance.member.user_id)


def _user_written(sender, instance, update_fields=None, **kwargs) -> None:
    # A sign-in touches only last_login, which no page shows.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    users_changed(instance.pk)
    # Names live on the user, and show on other members' pages.
    memberships = instance.memberships.all()
    chapters_changed(*memberships.values_list("chapter_id", flat=True))


def _catalog_written(sender, instance, **kwargs) -> None:
    catalog_changed()


def connect() -> None:
    from django.apps import apps
    from django.contrib.auth import get_user_model

    receivers = [(apps.get_model(*label), _slip_written) for label in MEMBER_FIELDS]
    receivers += [(apps.get_model(*label), _catalog_written) for label in CATALOG_MODELS]
    receivers += [
        (apps.get_model("meetings", "meeting"), _meeting_written),
        (apps.get_model("members", "member"), _member_written),
        (apps.get_model("members", "leadershiprole"), _role_written),
        (get_user_model(), _user_written),
    ]
    for model, receiver in receivers:
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=model, dispatch_uid=f"freshness-{model._meta.label}")
