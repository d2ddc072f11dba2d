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
import re
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from io import BytesIO

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


# --- Writing ---------------------------------------------------------------------------------

NEWLINES = re.compile(r"\r\n|\r|\n")  # what Python's generator takes for a line end


class LedgerMessage(EmailMessage):
    """A ledger email as NotificationEmail.message() returns it: the standard message object,
    written out by `write` below. `kept` holds the written form of parts a chunk's copies share
    (the reminder's .ics), keyed by the part object itself (messages hash by identity), so a
    copy of the message, whose parts are copies, never takes another part's bytes."""

    kept: dict[Message, tuple] | None = None

    def as_bytes(self, unixfrom=False, policy=None):
        if unixfrom:
            return super().as_bytes(unixfrom=True, policy=policy)
        return write(self, self.policy if policy is None else policy, self.kept)


def write(message: EmailMessage, policy: EmailPolicy, kept: dict | None = None) -> bytes:
    """The bytes Python's BytesGenerator writes for `message` (as `as_bytes()` does), with a
    fraction of the work: it copies each part into a new buffer, one write call per line.
    Only what our emails are made of is written here (text and multipart parts, 8-bit
    policies); anything else is handed to the generator itself. The tests compare the two."""
    if policy.cte_type != "8bit":  # the generator re-encodes 8-bit parts for 7-bit policies
        return _generated(message, policy)
    chunks: list[bytes] = []
    _write_part(message, policy, chunks, kept)
    return b"".join(chunks)


def _write_part(part: Message, policy: EmailPolicy, chunks: list[bytes], kept) -> None:
    if kept is not None and part in kept:  # by the part itself: messages hash by identity
        written_with, written = kept[part]
        if written_with is not policy:
            written = _write_alone(part, policy, None)
            kept[part] = (policy, written)
        chunks.append(written)
        return
    maintype, subtype = part.get_content_maintype(), part.get_content_subtype()
    payload = part._payload  # noqa: SLF001 - what the generator itself reads
    newline = policy.linesep
    if maintype == "multipart":
        boundary = part.get_boundary()
        if subtype == "signed" or not boundary or not isinstance(payload, list):
            chunks.append(_generated(part, policy))  # the generator's own rules apply
            return
        _write_headers(part, policy, chunks)
        if part.preamble is not None:
            chunks.append(_lines(part.preamble, newline) + newline.encode())
        separator = f"--{boundary}{newline}".encode()
        for index, subpart in enumerate(payload):
            chunks.append(separator if index == 0 else newline.encode() + separator)
            _write_part(subpart, policy, chunks, kept)
        chunks.append(f"{newline}--{boundary}--{newline}".encode())
        if part.epilogue is not None:
            chunks.append(_lines(part.epilogue, newline))
    elif maintype == "message" or not (payload is None or isinstance(payload, str)):
        chunks.append(_generated(part, policy))
    else:  # text and every other leaf: its (already encoded) payload, line ends made policy's
        _write_headers(part, policy, chunks)
        if payload:
            chunks.append(_lines(payload, newline))


def _write_alone(part: Message, policy: EmailPolicy, kept) -> bytes:
    chunks: list[bytes] = []
    _write_part(part, policy, chunks, kept)
    return b"".join(chunks)


def _write_headers(part: Message, policy: EmailPolicy, chunks: list[bytes]) -> None:
    chunks.extend(policy.fold_binary(name, value) for name, value in part.raw_items())
    chunks.append(policy.linesep.encode())


def _lines(text: str, newline: str) -> bytes:
    return newline.join(NEWLINES.split(text)).encode("ascii", "surrogateescape")


def _generated(part: Message, policy: EmailPolicy) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=policy).flatten(part, linesep=policy.linesep)
    return out.getvalue()
