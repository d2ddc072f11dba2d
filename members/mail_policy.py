"""An email policy for sending many copies of much the same email: the ledger's reminders,
tallies and summaries.

Python's modern email API parses every header it is given into a structured object and, when
the message is written out, folds that object back into text: about 50 microseconds a header,
some thirty headers an email (the parts' Content-Type and Content-Transfer-Encoding included).
The copies of one meeting's reminder share most of those headers word for word (From, List-Id,
Auto-Submitted, every part's Content-Type...), so this policy parses and folds each distinct
header once per process and reuses the result. The bytes written are the same as with the
standard policy it stands in for; only the work is saved.
"""

import functools
from email.policy import EmailPolicy

# Distinct headers kept: a chunk's shared ones stay (its multiparts' Content-Type with their
# boundaries among them), each email's own ones (To, Message-ID, List-Unsubscribe) pass through.
REMEMBERED = 4096


class RememberingPolicy(EmailPolicy):
    """EmailPolicy that parses and folds a header value it has seen before only once."""

    def header_store_parse(self, name, value):
        if type(value) is str:  # header objects and dates take the standard way
            return _stored(self, name, value)
        return super().header_store_parse(name, value)

    def fold_binary(self, name, value):
        if hasattr(value, "name"):  # a header object parsed by this policy, not a raw line
            return _folded(self, name, value)
        return super().fold_binary(name, value)

    def header_max_count(self, name):
        # The standard lookup builds a new header class on every call, for every header set.
        return _max_count(self, name.lower())

    def clone(self, **kw):
        # The generator clones the policy for every part; an identical clone would miss what
        # this one remembers. A policy is immutable, so the same settings can be the same one.
        if all(hasattr(self, key) and getattr(self, key) == value for key, value in kw.items()):
            return self
        return super().clone(**kw)


@functools.lru_cache(maxsize=REMEMBERED)
def _stored(policy: RememberingPolicy, name: str, value: str):
    return EmailPolicy.header_store_parse(policy, name, value)


# Typed: keyed by the header object's class as well as its text. One class and text come
# from one parse, so they fold the same.
@functools.lru_cache(maxsize=REMEMBERED, typed=True)
def _folded(policy: RememberingPolicy, name: str, value) -> bytes:
    return EmailPolicy.fold_binary(policy, name, value)


@functools.lru_cache(maxsize=256)
def _max_count(policy: RememberingPolicy, name: str):
    return EmailPolicy.header_max_count(policy, name)


# RFC 5322's limit for a header line. Folding at 78 cannot break a long URL, which has no
# spaces, so the standard policy writes it as RFC 2047 encoded words instead: a
# List-Unsubscribe header in that form is not one mail providers can act on.
LINE_LIMIT = 998


@functools.cache
def remembering(policy: EmailPolicy) -> EmailPolicy:
    """The remembering twin of a standard policy (SMTP, default): the same settings, but header
    lines up to RFC 5322's limit, so a URL in a header is written as itself."""
    if type(policy) is not EmailPolicy:
        return policy  # someone's own policy: leave it alone
    return RememberingPolicy(**(vars(policy) | {"max_line_length": LINE_LIMIT}))
