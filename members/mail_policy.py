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

import email.charset
import functools
import re
from email import contentmanager
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


# --- Writing a ledger email without building it --------------------------------------------
#
# Building the message objects is most of what writing costs: Django sets some twenty headers
# on an EmailMessage, each parsed into a header object, and the contentmanager makes a part of
# each body. `write_alternatives` writes the bytes that building and `write` would give for the
# one shape the ledger sends (a text body, its HTML alternative, perhaps one attachment part),
# from the pieces; the tests compare the two for every kind of email.

# An ASCII addr-spec that needs no quoting, IDNA or parsing: dot-atoms of letters, digits and
# `_+-` on both sides of the @, a dotted domain. It is written, and handed to the mail server,
# as it is.
_DOT_ATOM = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
PLAIN_ADDRESS = re.compile(rf"{_DOT_ATOM}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# A copy's own header values that the standard policy parses and folds back to the same text:
# written as they are, not parsed (some 50 microseconds a header). Anything else takes the
# policy's way. Unstructured values: visible ASCII with no space and no "=?" (which could
# start an encoded word).
_PLAIN_VALUES = {
    "to": PLAIN_ADDRESS,
    "message-id": re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>"),
    "list-unsubscribe": re.compile(r"<[!-~]+>"),
}


def write_alternatives(*, headers: list[tuple[str, str]], text: str, html: str, charset: str,
                       attachment: Message | None, boundaries: dict[str, str],
                       kept: dict | None, policy: EmailPolicy) -> bytes:
    """What Django's EmailMultiAlternatives builds from these pieces, written by `write`:
    `headers` are the message's own after its MIME-Version and Content-Type (Subject, From,
    To, then the extra ones, in Django's order), the multiparts take `boundaries` (by subtype),
    `attachment` is a finished part, `policy` a RememberingPolicy writing 8-bit."""
    alternative = _multipart(policy, "alternative", boundaries["alternative"], [
        _text_part(policy, "plain", text, charset, mime_version=False),
        _text_part(policy, "html", html, charset, mime_version=True),
    ])
    if attachment is None:
        top = alternative
    else:
        written: list[bytes] = []
        _write_part(attachment, policy, written, kept)
        top = _multipart(policy, "mixed", boundaries["mixed"], [alternative, b"".join(written)])
    head, body = top
    lines = [_line(policy, "MIME-Version", "1.0"), head]
    lines += [_line(policy, name, value) for name, value in headers]
    return b"".join([*lines, body])


def _multipart(policy: EmailPolicy, subtype: str, boundary: str, parts: list) -> tuple:
    """A multipart's Content-Type line and the rest of it (what follows its headers)."""
    newline = policy.linesep
    chunks = [newline.encode()]  # the blank line that ends its headers
    separator = f"--{boundary}{newline}".encode()
    for index, part in enumerate(parts):
        chunks.append(separator if index == 0 else newline.encode() + separator)
        chunks.extend(part if isinstance(part, tuple) else (part,))
    chunks.append(f"{newline}--{boundary}--{newline}".encode())
    head = _line(policy, "Content-Type", f'multipart/{subtype}; boundary="{boundary}"')
    return head, b"".join(chunks)


def _text_part(policy: EmailPolicy, subtype: str, text: str, charset: str, *,
               mime_version: bool) -> bytes:
    # As contentmanager.set_text_content sets it; a part added as an alternative is an
    # EmailMessage, which says its MIME-Version too.
    cte, body = _encoded_text(text, charset, policy)
    named = email.charset.ALIASES.get(charset, charset)
    lines = [_line(policy, "Content-Type", f'text/{subtype}; charset="{named}"'),
             _line(policy, "Content-Transfer-Encoding", cte)]
    if mime_version:
        lines.append(_line(policy, "MIME-Version", "1.0"))
    lines += [policy.linesep.encode(), body]
    return b"".join(lines)


def _encoded_text(text: str, charset: str, policy: EmailPolicy) -> tuple[str, bytes]:
    """The transfer encoding contentmanager chooses for `text` and the body as written. Text
    whose lines fit goes as 7bit or 8bit: its lines joined by the policy's line end, without
    the round trip through a str of "\n" lines that the generator then splits again."""
    lines = text.encode(charset).splitlines()
    if max(map(len, lines), default=0) <= policy.max_line_length and (
            policy.cte_type == "8bit" or text.isascii()):
        newline = policy.linesep.encode()
        body = newline.join(lines) + newline
        return ("7bit" if body.isascii() else "8bit"), body
    cte, payload = contentmanager._encode_text(text, charset, None, policy)  # noqa: SLF001
    return cte, _lines(payload, policy.linesep) if payload else b""


def _line(policy: EmailPolicy, name: str, value: str) -> bytes:
    plain = _PLAIN_VALUES.get(name.lower())
    if (plain is not None and plain.fullmatch(value) and "=?" not in value
            and len(name) + 2 + len(value) <= policy.max_line_length):
        return f"{name}: {value}{policy.linesep}".encode()
    return _folded_line(policy, name, value)


@functools.lru_cache(maxsize=REMEMBERED)
def _folded_line(policy: EmailPolicy, name: str, value: str) -> bytes:
    """A header line as the policy writes it, for the values a chunk's copies share."""
    return policy.fold_binary(name, policy.header_store_parse(name, value)[1])
