"""Meeting reminders, weekly tallies and the leaders' summary: what is due, who gets it, and the
delivery ledger that sends each email at most once.

How an email goes out:
1. Beat ticks `notifications_dispatch` every minute; nothing far in the future waits in the
   broker. The dispatcher finds meetings whose reminders or tallies are due and that have no
   NotificationBatch yet, and in one transaction per meeting records the batch and one pending
   Delivery row per recipient (the unique batch row means a second dispatcher adds nothing).
   Send tasks, one per chunk of rows, are enqueued after the commit.
2. `notifications_send(delivery_ids)` sends its chunk over one connection to the mail server
   (Django's mail backend: SMTP in production, files under var/mail in development); before
   each email it claims that row with one conditional UPDATE (pending and due -> sending). A
   second task for the same row, a retry or a redelivered message loses the claim and sends
   nothing. A retry (`notification_send(delivery_id)`) is one row's task.
3. The row is marked sent once the mail server accepted the message, never before.
4. A transient failure (connection refused, 4xx, timeout) puts the row back to pending with
   exponential backoff; a permanent one (5xx, a bad address) marks it failed with the error.
5. Every tick also sweeps: pending rows nobody picked up are enqueued again, and a claim older
   than twice the send task's hard time limit (its worker was killed mid-send) is taken back.

The one duplicate left possible: the server accepted the message and the worker died in the
few milliseconds before the ledger said sent. Such a copy carries the same deterministic
Message-ID as the first, so receiving systems that deduplicate by Message-ID drop it.
"""

import datetime
import email.policy
import logging
import random
import secrets
import smtplib
import time
import uuid
from dataclasses import dataclass
from email.message import MIMEPart
from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone

from chapters.models import Chapter
from meetings import calendar
from meetings.models import Meeting
from members.models import LEADING_ROLES, LeadershipRole, Member
from notifications import tallies
from notifications.models import (
    MEETING_KINDS,
    OPTIONAL_KINDS,
    Delivery,
    NotificationBatch,
    NotificationKind,
    NotificationOptOut,
)

logger = logging.getLogger(__name__)

# The dispatcher looks this far past a chapter's lead time, so a reminder whose wall-clock
# moment moved across a daylight-saving change is still among the candidates.
REMINDER_SLACK = datetime.timedelta(hours=3)
# Tallies go out at most this long after they fell due; older weeks are left alone (after an
# outage or on the first deployment nobody wants last month's tallies).
TALLY_GRACE = datetime.timedelta(days=2)
# A retry waits in the broker at most this long, far inside Redis's visibility timeout, so a
# waiting retry is never handed out twice.
RETRY_CAP_SECONDS = 900
SWEEP_LIMIT = 5000
# A retry's message may come due a moment before its row does (two clocks read in turn).
CLAIM_EARLY = datetime.timedelta(seconds=2)
# The salt of the links already in members' inboxes (from when this module was in members).
UNSUBSCRIBE_SALT = "members.notifications.unsubscribe"

SUBSCRIBABLE = [NotificationKind(kind) for kind in OPTIONAL_KINDS]
KIND_PLURALS = {
    NotificationKind.REMINDER: "meeting reminders",
    NotificationKind.TALLY: "weekly tallies",
    NotificationKind.SUMMARY: "chapter summaries",
    NotificationKind.REFERRAL_NEWS: "referral news",
}


class Deferred(Exception):  # noqa: N818 - a state, not an error
    """A transient failure: the row is pending again and due in `countdown` seconds."""

    def __init__(self, countdown: int, reason: str):
        super().__init__(reason)
        self.countdown = countdown


# --- When things are due ---------------------------------------------------------------------


def reminder_at(meeting) -> datetime.datetime:
    """The reminder's moment: the meeting's local start minus the lead hours on the chapter's
    wall clock, so a 24-hour lead is the same local time the day before, even across a
    daylight-saving change."""
    chapter = meeting.chapter
    wall_start = meeting.starts_at.astimezone(chapter.zone).replace(tzinfo=None)
    wall = wall_start - datetime.timedelta(hours=chapter.reminder_lead_hours)
    return wall.replace(tzinfo=chapter.zone).astimezone(datetime.UTC)


def tally_at(meeting) -> datetime.datetime:
    """When tallies go out if nobody completed the week's report: the chapter's tally hour,
    local time, the day after the meeting."""
    chapter = meeting.chapter
    day = meeting.local_date + datetime.timedelta(days=1)
    local = datetime.datetime.combine(day, datetime.time(chapter.tally_hour), tzinfo=chapter.zone)
    return local.astimezone(datetime.UTC)


# Rows a send task takes: one connection to the mail server for many emails.
SEND_CHUNK = 50


def claim_timeout() -> datetime.timedelta:
    """A claim older than this belongs to a worker that died: the hard time limit killed any
    live one long before."""
    return datetime.timedelta(seconds=2 * settings.NOTIFICATIONS_SEND_TIME_LIMIT)


def retry_countdown(attempts: int) -> int:
    """Exponential backoff with jitter after the n-th failed try, capped."""
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return max(1, int(min(base, RETRY_CAP_SECONDS) * random.uniform(0.8, 1.0)))


# --- Dispatch -----------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    reminders: int = 0
    tallies: int = 0
    requeued: int = 0


def dispatch(*, now: datetime.datetime | None = None) -> DispatchResult:
    """One beat tick: hand out what is due, then sweep up what was lost. Safe to run twice,
    at once or in a row."""
    now = now or timezone.now()
    return DispatchResult(
        reminders=reminders_dispatch(now=now),
        tallies=tallies_dispatch(now=now),
        requeued=deliveries_sweep(),
    )


def _recipients(kind: str, chapter_id: int, on: datetime.date):
    members = Member.objects.active().filter(chapter_id=chapter_id)
    if kind == NotificationKind.SUMMARY:
        # The team in office on the meeting's date (the chapter's own calendar).
        leaders = LeadershipRole.objects.current(on).filter(role__in=LEADING_ROLES)
        members = members.filter(pk__in=leaders.values("member"))
    return members.exclude(
        Exists(NotificationOptOut.objects.filter(member=OuterRef("pk"), kind=kind))
    )


class SendQueue:
    """The committed rows of a dispatch run's batches, handed to send tasks SEND_CHUNK at a
    time as they fill (a meeting's reminders are often fewer than a chunk, and every chunk is a
    task, a read and a connection to the mail server), the rest when the run ends."""

    def __init__(self):
        self.waiting: list[int] = []

    def add(self, ids: list[int]) -> None:
        self.waiting += ids
        full = len(self.waiting) - len(self.waiting) % SEND_CHUNK
        _enqueue_sends(self.waiting[:full])
        self.waiting = self.waiting[full:]

    def __enter__(self) -> "SendQueue":
        return self

    def __exit__(self, *exc) -> None:
        # Also when a later batch failed: what committed is sent. After the batches' own
        # callbacks, when the run itself is inside a transaction.
        transaction.on_commit(self.flush)

    def flush(self) -> None:
        _enqueue_sends(self.waiting)
        self.waiting = []


def _batch_open(*, meeting, batch_kind: str, kinds: list[str], reason: str,
                sends: "SendQueue | None" = None) -> int:
    """Record the meeting's batch and one pending row per recipient, then enqueue the sends
    after commit (to `sends`, when a dispatch run hands out several meetings' rows together).
    Returns how many rows were created: 0 when another dispatcher was first."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                NotificationBatch.objects.create(kind=batch_kind, meeting=meeting, reason=reason)
        except IntegrityError:
            return 0
        now = timezone.now()
        created = sum(_rows_create(meeting=meeting, kind=kind, now=now) for kind in kinds)
        ids = list(
            Delivery.objects.filter(
                meeting=meeting, kind__in=kinds, state=Delivery.State.PENDING
            ).values_list("pk", flat=True)
        )
        if sends is None:
            _enqueue_sends(ids)
        else:
            transaction.on_commit(lambda: sends.add(ids))
    logger.info("Dispatched %s %s email(s) for meeting %s (%s)", created, batch_kind,
                meeting.pk, reason)
    return created


def _rows_create(*, meeting, kind: str, now: datetime.datetime) -> int:
    """A pending row of `kind` for each of its recipients in the meeting's chapter; a row that
    exists is left alone (bulk_create ignoring conflicts on the ledger's unique row). Returns
    how many rows were created."""
    existing = set(
        Delivery.objects.filter(kind=kind, meeting=meeting).values_list("member_id", flat=True)
    )
    recipients = _recipients(kind, meeting.chapter_id, meeting.local_date).values_list(
        "pk", flat=True
    )
    rows = [
        Delivery(kind=kind, chapter_id=meeting.chapter_id, meeting=meeting, member_id=member_id,
                 due_at=now)
        for member_id in recipients
        if member_id not in existing
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reminders_dispatch(*, now: datetime.datetime) -> int:
    """Hand out the reminders of every meeting whose lead time has come."""
    leads = set(
        Chapter.objects.order_by().values_list("reminder_lead_hours", flat=True).distinct()
    )
    window = Q()
    for lead in leads - {0}:  # a lead of 0 means the chapter sends no reminders
        window |= Q(
            chapter__reminder_lead_hours=lead,
            starts_at__lte=now + datetime.timedelta(hours=lead) + REMINDER_SLACK,
        )
    if not window:
        return 0
    candidates = (
        Meeting.objects.filter(window, status=Meeting.Status.SCHEDULED, starts_at__gt=now)
        .exclude(
            Exists(
                NotificationBatch.objects.filter(
                    meeting=OuterRef("pk"), kind=NotificationKind.REMINDER
                )
            )
        )
        .select_related("chapter")
        .order_by("starts_at")
    )
    created = 0
    with SendQueue() as sends:
        for meeting in candidates:
            if reminder_at(meeting) <= now:
                created += _batch_open(
                    meeting=meeting,
                    batch_kind=NotificationKind.REMINDER,
                    kinds=[NotificationKind.REMINDER],
                    reason=NotificationBatch.Reason.SCHEDULE,
                    sends=sends,
                )
    return created


def _tally_reason(meeting, now: datetime.datetime) -> str | None:
    """Why the meeting's tallies are due now, or None while they are not."""
    if not meeting.counts_for_attendance:
        return None
    if meeting.is_completed:
        completed_at = meeting.report_completed_at or now
        if completed_at >= now - TALLY_GRACE:
            return NotificationBatch.Reason.REPORT_COMPLETED
        return None
    due = tally_at(meeting)
    if due <= now < due + TALLY_GRACE:
        return NotificationBatch.Reason.TALLY_HOUR
    return None


def tallies_dispatch_for_meeting(meeting_id: int, *, now: datetime.datetime | None = None) -> int:
    """Hand out one meeting's tallies (and the leaders' summary) if they are due and were not
    handed out yet: the weekly report was just completed, or the tally hour passed.

    The meetings app calls this when a report is completed, inside the completing transaction:
    the batch commits with the completion and the emails are enqueued after the commit. The
    dispatcher would find the week within a minute anyway; this makes it prompt.
    """
    now = now or timezone.now()
    meeting = Meeting.objects.select_related("chapter").filter(pk=meeting_id).first()
    if meeting is None:
        return 0
    reason = _tally_reason(meeting, now)
    if reason is None:
        return 0
    created = _batch_open(
        meeting=meeting,
        batch_kind=NotificationKind.TALLY,
        kinds=[NotificationKind.TALLY, NotificationKind.SUMMARY],
        reason=reason,
    )
    if reason == NotificationBatch.Reason.REPORT_COMPLETED:
        created += corrections_open(meeting)
    return created


def corrections_open(meeting) -> int:
    """Once a week's report is completed (or completed again): a corrected tally to each member
    whose last tally stated other figures than the week's final ones, and a corrected summary
    to each leader whose last one did. Only sent emails are compared: one still waiting states
    the final figures when it goes. Running it again adds nothing, as the corrections' own
    figures are the final ones. Returns how many rows were created."""
    latest: dict[tuple[str, int], Delivery] = {}
    for row in Delivery.objects.filter(
        meeting=meeting, kind__in=[NotificationKind.TALLY, NotificationKind.SUMMARY]
    ).order_by("edition"):
        latest[(row.kind, row.member_id)] = row
    stated = [row for row in latest.values()
              if row.state == Delivery.State.SENT and row.figures is not None]
    if not stated:
        return 0
    week = tallies.ChapterWeek(meeting)
    summary = week.summary_figures()
    corrections = [
        Delivery(kind=row.kind, chapter_id=meeting.chapter_id, meeting=meeting,
                 member_id=row.member_id, edition=row.edition + 1)
        for row in stated
        if row.figures != (week.tally_figures(row.member_id) if row.kind == NotificationKind.TALLY
                           else summary)
    ]
    Delivery.objects.bulk_create(corrections, ignore_conflicts=True)
    ids = list(Delivery.objects.filter(
        meeting=meeting, state=Delivery.State.PENDING,
        kind__in=[NotificationKind.TALLY, NotificationKind.SUMMARY], edition__gt=0,
    ).values_list("pk", flat=True))
    _enqueue_sends(ids)
    if corrections:
        logger.info("Corrected %s tally/summary email(s) for meeting %s", len(corrections),
                    meeting.pk)
    return len(corrections)


# --- Any other email ------------------------------------------------------------------------


def enqueue(*, kind: str, chapter_id: int, ref: int, member_id: int | None = None,
            to_email: str = "") -> int | None:
    """Owe one email announcing row `ref` of its kind's own table (an absence notice, a giver
    notice...): a pending outbox row written in the caller's transaction, its send queued once
    that commits (and by the dispatcher's sweep if the queueing is lost, say the broker was
    down). Owing it twice writes one row. Returns the new row's id, or None if it was there."""
    try:
        with transaction.atomic():
            row = Delivery.objects.create(kind=kind, chapter_id=chapter_id, ref=ref,
                                          member_id=member_id, to_email=to_email)
    except IntegrityError:
        return None
    _enqueue_sends([row.pk])
    return row.pk


def enqueue_many(*, kind: str, rows: list[dict]) -> int:
    """`enqueue` for many rows at once (`rows`: ref, chapter_id, member_id): one insert that
    leaves existing rows alone, then the waiting ones queued. Returns how many were new."""
    refs = [row["ref"] for row in rows]
    existing = set(Delivery.objects.filter(kind=kind, ref__in=refs).values_list("ref", flat=True))
    new = [Delivery(kind=kind, **row) for row in rows if row["ref"] not in existing]
    Delivery.objects.bulk_create(new, ignore_conflicts=True)
    _enqueue_sends(list(Delivery.objects.filter(
        kind=kind, ref__in=refs, state=Delivery.State.PENDING).values_list("pk", flat=True)))
    return len(new)


def tallies_dispatch(*, now: datetime.datetime) -> int:
    """Hand out the tallies of every recent week that was completed or reached its tally
    hour."""
    today = now.date()
    candidates = (
        Meeting.objects.counted()
        .filter(
            local_date__gte=today - TALLY_GRACE - datetime.timedelta(days=7),
            local_date__lte=today + datetime.timedelta(days=1),
        )
        .filter(
            Q(
                report_status=Meeting.ReportStatus.COMPLETED,
                report_completed_at__gte=now - TALLY_GRACE,
            )
            | Q(report_status=Meeting.ReportStatus.DRAFT, local_date__lte=today)
        )
        .exclude(
            Exists(
                NotificationBatch.objects.filter(
                    meeting=OuterRef("pk"), kind=NotificationKind.TALLY
                )
            )
        )
        .select_related("chapter")
        .order_by("starts_at")
    )
    created = 0
    with SendQueue() as sends:
        for meeting in candidates:
            reason = _tally_reason(meeting, now)
            if reason is not None:
                created += _batch_open(
                    meeting=meeting,
                    batch_kind=NotificationKind.TALLY,
                    kinds=[NotificationKind.TALLY, NotificationKind.SUMMARY],
                    reason=reason,
                    sends=sends,
                )
    return created


def deliveries_sweep() -> int:
    """Enqueue again what was lost: claims of workers that died mid-send, and pending rows that
    no task picked up (an enqueue lost with a crash, or a retry lost with a worker)."""
    now = timezone.now()
    stale = list(
        Delivery.objects.filter(
            state=Delivery.State.SENDING, claimed_at__lt=now - claim_timeout()
        ).values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    if stale:
        Delivery.objects.filter(
            pk__in=stale, state=Delivery.State.SENDING, claimed_at__lt=now - claim_timeout()
        ).update(
            state=Delivery.State.PENDING,
            claim="",
            due_at=now,
            last_error="The worker stopped during the send; sending again.",
        )
    grace = datetime.timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER_SECONDS)
    lost = list(
        Delivery.objects.filter(state=Delivery.State.PENDING, due_at__lte=now - grace)
        .exclude(pk__in=stale)
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    if lost:
        # Pushing due_at forward keeps the next ticks from enqueuing the same rows again
        # while these messages wait in the queue.
        Delivery.objects.filter(pk__in=lost, state=Delivery.State.PENDING).update(due_at=now)
    _enqueue_sends(stale + lost)
    if stale or lost:
        logger.warning("Swept %s stale claim(s) and %s lost row(s)", len(stale), len(lost))
    return len(stale) + len(lost)


# --- Sending ------------------------------------------------------------------------------------

# --- Sending ------------------------------------------------------------------------------------


def delivery_claim(*, delivery_id: int, seen: Delivery | None = None) -> str | None:
    """Take the row for this send with one conditional update (pending and due -> sending),
    or None when it is not ours to send. With `seen` (the row as its chunk read it), the update
    also requires the row to be unchanged since, so what was read is what is sent."""
    token = uuid.uuid4().hex
    now = timezone.now()
    rows = Delivery.objects.filter(
        pk=delivery_id, state=Delivery.State.PENDING, due_at__lte=now + CLAIM_EARLY
    )
    if seen is not None:
        rows = rows.filter(attempts=seen.attempts, resends=seen.resends)
    claimed = rows.update(
        state=Delivery.State.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
    )
    return token if claimed else None


def _finish(delivery: Delivery, token: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk, claim=token).update(claim="", **fields)


def _enqueue_sends(ids: list[int]) -> None:
    """Send tasks for these rows once the transaction commits, SEND_CHUNK rows a task. A
    broker that cannot be reached fails nothing that committed: the rows wait, and the
    dispatcher's sweep queues them again."""
    for first in range(0, len(ids), SEND_CHUNK):
        transaction.on_commit(partial(_send_later, ids[first:first + SEND_CHUNK]), robust=True)


def _send_later(ids: list[int]) -> None:
    notifications_send.delay(ids)


def deliveries_send(*, delivery_ids: list[int], budget: float) -> list[int]:
    """Send a chunk of rows over one connection to the mail server, each row claimed on its
    own just before its send, as `delivery_send` does. A row whose send failed for now is
    handed back for a retry of its own. Stops once `budget` seconds have gone, so the task
    stays inside its time limit, and returns the ids it did not reach."""
    started = time.monotonic()
    loaded = _chunk_for_sending(delivery_ids)
    shared: dict = {}  # what the chunk's emails for one meeting have in common, built once
    mailer = mailers.default
    try:
        for index, delivery_id in enumerate(delivery_ids):
            if time.monotonic() - started > budget:
                return delivery_ids[index:]
            if delivery_id not in loaded:
                continue  # no such row (anymore): nothing to send
            try:
                delivery_send(delivery_id=delivery_id, mailer=mailer,
                              loaded=loaded[delivery_id], shared=shared)
            except Deferred as deferred:
                notification_send.apply_async(args=[delivery_id], countdown=deferred.countdown)
    finally:
        _close_quietly(mailer)
    return []


# What an email says of its meeting: its chapter and who presents.
MEETING_RELATED = ("chapter", "feature_presenter__user", "second_feature_presenter__user")


def _for_sending():
    """Rows with what their email needs, in one query."""
    return Delivery.objects.select_related(
        "member__user", *(f"meeting__{related}" for related in MEETING_RELATED)
    ).annotate(opted_out=_opted_out())


def _opted_out() -> Exists:
    return Exists(
        NotificationOptOut.objects.filter(member=OuterRef("member"), kind=OuterRef("kind"))
    )


def _chunk_for_sending(delivery_ids: list[int]) -> dict[int, Delivery]:
    """A chunk's rows by id, as `_for_sending` reads them."""
    return _for_sending().in_bulk(delivery_ids)


def delivery_send(*, delivery_id: int, mailer=None, loaded: Delivery | None = None,
                  shared: dict | None = None) -> str:
    """Send one row's email if this call wins the claim. Returns the row's new state, or ""
    when another task has it or it is done. Raises Deferred on a transient failure.
    With `mailer` (an open connection shared by a chunk), the connection is left open; with
    `loaded` (the row read with the rest of its chunk), the row is not read again unless it
    changed since; `shared` keeps what the chunk's emails have in common (see build_message)."""
    token = delivery_claim(delivery_id=delivery_id, seen=loaded)
    if token is None and loaded is not None:
        loaded = None  # changed since the chunk read it (a resend, a failed try): as it is now
        token = delivery_claim(delivery_id=delivery_id)
    if token is None:
        return ""
    if loaded is None:
        delivery = _for_sending().get(pk=delivery_id)
    else:
        delivery = loaded
        delivery.attempts += 1  # as the claim counted it
    now = timezone.now()
    reason = _skip_reason(delivery, now)
    if reason:
        _finish(delivery, token, state=Delivery.State.SKIPPED, last_error=reason)
        return Delivery.State.SKIPPED
    try:
        message = build_message(delivery, now=now, shared=shared)
    except Skip as skip:
        _finish(delivery, token, state=Delivery.State.SKIPPED, last_error=str(skip))
        return Delivery.State.SKIPPED
    except (SoftTimeLimitExceeded, DatabaseError) as error:  # slow or unreachable: try later
        return _send_failed(delivery, token, error)
    except Exception as error:  # a broken template must show in the log, not loop forever
        logger.exception("Could not build email for delivery %s", delivery.pk)
        _finish(delivery, token, state=Delivery.State.FAILED, last_error=f"Not built: {error}")
        return Delivery.State.FAILED
    own_connection = mailer is None
    mailer = mailer or mailers.default
    try:
        mailer.open()
        mailer.send_messages([message])
    except Exception as error:
        _close_quietly(mailer)  # a shared connection opens anew for the next row
        return _send_failed(delivery, token, error)
    try:
        _mark_sent(delivery.pk, to_email=message.to[0],
                   message_id=message.extra_headers["Message-ID"], figures=delivery.figures)
        if delivery.kind in WHEN_SENT:
            WHEN_SENT[delivery.kind](delivery.ref, timezone.now())
    finally:
        if own_connection:
            _close_quietly(mailer)
    return Delivery.State.SENT


def _close_quietly(mailer) -> None:
    try:
        mailer.close()
    except Exception:  # noqa: S110 - the message is already accepted or already failed
        pass


def _mark_sent(delivery_id: int, *, to_email: str, message_id: str,
               figures: dict | None = None) -> None:
    """Record the server's acceptance. A sent row is never claimed again, so whoever holds the
    claim, the ledger must say sent (one already sent keeps its first record); a brief
    database hiccup is retried rather than risking a second copy through the sweep."""
    for attempt in range(5):
        try:
            Delivery.objects.filter(pk=delivery_id).exclude(state=Delivery.State.SENT).update(
                state=Delivery.State.SENT, sent_at=timezone.now(), claim="", to_email=to_email,
                message_id=message_id, last_error="", figures=figures,
            )
            return
        except DatabaseError:
            if attempt == 4:
                raise
            connection.close()  # a broken connection is replaced on the next query
            time.sleep(0.2 * 2**attempt)


def _skip_reason(delivery: Delivery, now: datetime.datetime) -> str:
    """Why this email should not go out after all, or "" (a kind's builder may find more)."""
    member, meeting = delivery.member, delivery.meeting
    if member is not None and not member.user.email:
        return "No email address."
    if delivery.kind in OPTIONAL_KINDS and delivery.opted_out:
        return "Unsubscribed from this kind of email."
    if delivery.kind not in MEETING_KINDS:
        return ""
    if member.status != Member.Status.ACTIVE:
        return "No longer an active member."
    if not meeting.counts_for_attendance:
        return f"The meeting is {meeting.get_status_display().lower()}."
    if delivery.kind == NotificationKind.REMINDER and meeting.starts_at <= now:
        return "The meeting had already started."
    return ""


def _is_permanent(error: Exception) -> bool:
    """5xx answers and unusable addresses will not get better by trying again; connection
    trouble, 4xx answers, timeouts and authentication (a setting to fix) may."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return isinstance(error, ValueError | UnicodeError)


def _send_failed(delivery: Delivery, token: str, error: Exception) -> str:
    description = f"{type(error).__name__}: {error}"[:1000]
    attempts = delivery.attempts  # read after the claim, so this try is counted
    if _is_permanent(error):
        _finish(delivery, token, state=Delivery.State.FAILED, last_error=description)
        logger.warning("Delivery %s failed for good: %s", delivery.pk, description)
        return Delivery.State.FAILED
    if attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        _finish(
            delivery,
            token,
            state=Delivery.State.FAILED,
            last_error=f"Gave up after {attempts} tries. {description}",
        )
        logger.warning("Delivery %s gave up after %s tries: %s", delivery.pk, attempts,
                       description)
        return Delivery.State.FAILED
    countdown = retry_countdown(attempts)
    _finish(
        delivery,
        token,
        state=Delivery.State.PENDING,
        due_at=timezone.now() + datetime.timedelta(seconds=countdown),
        last_error=description,
    )
    raise Deferred(countdown, description)


# --- The emails ---------------------------------------------------------------------------------


def message_id(delivery: Delivery) -> str:
    """The same Message-ID for every try of one send, so a copy can be recognised."""
    resend = f".r{delivery.resends}" if delivery.resends else ""
    edition = f".c{delivery.edition}" if delivery.edition else ""
    if delivery.kind in MEETING_KINDS:
        about = f"{delivery.meeting_id}.{delivery.member_id}"
    else:
        about = str(delivery.ref)
    return f"<chapterhouse.{delivery.kind}.{about}{edition}{resend}@{calendar.site_host()}>"


def unsubscribe_token(member_id: int, kind: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(f"{member_id}.{kind}")


def unsubscribe_token_read(token: str) -> tuple[int, str] | None:
    """The (member id, kind) a signed unsubscribe token stands for, or None."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    member_id, _, kind = value.partition(".")
    if not (member_id.isascii() and member_id.isdigit()) or kind not in OPTIONAL_KINDS:
        return None
    return int(member_id), kind


def site_url(name: str, *args) -> str:
    """An absolute link to one of the site's pages: every link in every email is built here,
    from settings.SITE_URL (`make run` sets it to the host and port it serves)."""
    return settings.SITE_URL + reverse(name, args=args)


def unsubscribe_url(member_id: int, kind: str) -> str:
    return site_url("notification_unsubscribe", unsubscribe_token(member_id, kind))


@dataclass
class Letter:
    """What one email says before it is an email: its kind's builder makes it from the row.
    `template` names the pair of templates (`<template>.txt`, `<template>.html`)."""

    subject: str
    template: str
    context: dict
    to: str
    chapter: Chapter
    list_id: str = ""
    attachment: MIMEPart | None = None


class Skip(Exception):  # noqa: N818 - a decision, not an error
    """The email should not go out after all (the reason is recorded on the row)."""


# The kinds other than a meeting's (notifications/emails.py): the function that makes each
# one's Letter from its row, and the one that records on what it announces that it was sent.
BUILDERS: dict[str, object] = {}
WHEN_SENT: dict[str, object] = {}


def builds(kind: str):
    """Register the function that makes the Letter of one kind of email from its row."""

    def register(function):
        BUILDERS[kind] = function
        return function

    return register


def when_sent(kind: str):
    """Register the function that records, on what an email of this kind announces, that the
    mail server accepted it (called with the row's `ref` and the moment)."""

    def register(function):
        WHEN_SENT[kind] = function
        return function

    return register


def _meeting_context(delivery: Delivery, week) -> dict:
    """What every recipient's email of this kind for this meeting says alike."""
    meeting = delivery.meeting
    chapter = meeting.chapter
    context = {
        "meeting": meeting,
        "chapter": chapter,
        "chapter_url": site_url("chapter_home", chapter.slug),
    }
    if delivery.kind == NotificationKind.REMINDER:
        context |= reminder_context(meeting)
    elif delivery.kind == NotificationKind.SUMMARY:
        context |= week.summary_context()
    return context


@dataclass
class MeetingEmail:
    """What one kind of email for one meeting says alike to every recipient, and the week's
    figures for the whole chapter: built once for a chunk of rows, not once a member."""

    context: dict
    subject: str
    list_id: str
    ics: MIMEPart | None  # the reminder's calendar attachment
    week: object = None  # tallies.ChapterWeek for a tally or a summary

    @classmethod
    def build(cls, delivery: Delivery, *, now: datetime.datetime) -> "MeetingEmail":
        meeting = delivery.meeting
        week = (tallies.ChapterWeek(meeting) if delivery.kind != NotificationKind.REMINDER
                else None)
        context = _meeting_context(delivery, week)
        chapter = meeting.chapter
        if delivery.kind == NotificationKind.REMINDER:
            subject = f"Reminder: {chapter.name} meets {context['local_start']:%A %-d %B at %H:%M}"
        elif delivery.kind == NotificationKind.TALLY:
            subject = f"Your week at {chapter.name}: {meeting.local_date:%-d %B %Y}"
        else:
            subject = f"Chapter summary for {chapter.name}: {meeting.local_date:%-d %B %Y}"
        ics = (_ics_part(calendar.meeting_ics(meeting, stamp=now))
               if delivery.kind == NotificationKind.REMINDER else None)
        return cls(
            context=context,
            subject=subject,
            list_id=f"{chapter.name} <{chapter.slug}.{delivery.kind}.{calendar.site_host()}>",
            ics=ics,
            week=week,
        )


def _meeting_letter(delivery: Delivery, *, now: datetime.datetime, shared: dict) -> Letter:
    key = (delivery.kind, delivery.meeting_id)
    if key not in shared:
        shared[key] = MeetingEmail.build(delivery, now=now)
    common: MeetingEmail = shared[key]
    member = delivery.member
    context = dict(common.context)
    subject = common.subject
    if delivery.kind == NotificationKind.TALLY:
        context |= common.week.tally_context(member)
        delivery.figures = common.week.tally_figures(member.pk)
    elif delivery.kind == NotificationKind.SUMMARY:
        delivery.figures = common.week.summary_figures()
    if delivery.edition:
        context["correction"] = True
        subject = f"Corrected: {subject}"
    return Letter(subject=subject, template=f"notifications/email/{delivery.kind}",
                  context=context, to=member.user.email, chapter=common.context["chapter"],
                  list_id=common.list_id, attachment=common.ics)


class OutboxEmail(EmailMultiAlternatives):
    """Django's email, written with header lines up to RFC 5322's limit of 998 characters.

    Python's standard policies fold at 78, and folding cannot break a URL (it has no spaces),
    so they write a long List-Unsubscribe as RFC 2047 encoded words, which mail providers do
    not act on. Every backend (SMTP, file, console) writes what `message()` gives."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=HEADER_LINE_LIMIT))


HEADER_LINE_LIMIT = 998


def build_message(delivery: Delivery, *, now: datetime.datetime,
                  shared: dict | None = None) -> OutboxEmail:
    """The email for one outbox row: plain text and HTML in the one email layout, a
    deterministic Message-ID, one-click unsubscribe headers for a kind the member can turn off
    and, for reminders, the meeting as an .ics attachment. `shared` keeps what a chunk's emails
    for one meeting have in common. Raises Skip when the email should not go out after all."""
    shared = {} if shared is None else shared
    if delivery.kind in MEETING_KINDS:
        letter = _meeting_letter(delivery, now=now, shared=shared)
    else:
        letter = BUILDERS[delivery.kind](delivery)
    if not letter.to:
        raise Skip("No email address.")
    member = delivery.member
    chapter = letter.chapter
    context = letter.context | {
        "chapter": chapter,
        "member": member,
        "site_url": settings.SITE_URL,
        "chapter_url": site_url("chapter_home", chapter.slug),
        "kind_label": NotificationKind(delivery.kind).label,
        "kind_plural": KIND_PLURALS.get(delivery.kind, ""),
    }
    headers = {
        "Message-ID": message_id(delivery),
        "Auto-Submitted": "auto-generated",
        "X-Chapterhouse-Kind": delivery.kind,
    }
    if member is not None:
        context["greeting"] = member.first_name or member.full_name
        if delivery.kind in OPTIONAL_KINDS:
            context["unsubscribe_url"] = unsubscribe_url(member.pk, delivery.kind)
            context["preferences_url"] = site_url("notification_preferences", chapter.slug)
            headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if letter.list_id:
        headers["List-Id"] = letter.list_id
    text, html = render_email(letter.template, context).values()
    message = OutboxEmail(subject=letter.subject, body=text, to=[letter.to], headers=headers)
    message.attach_alternative(html, "text/html")
    if letter.attachment is not None:
        message.attach(letter.attachment)
    return message


def render_email(template: str, context: dict) -> dict[str, str]:
    """The email's text and HTML, by form ("txt", "html"), with the dates and times in it in
    the chapter's local time. `template` is a kind (a meeting's emails) or a template path
    without its extension."""
    if "/" not in template:
        template = f"notifications/email/{template}"
    with timezone.override(context["chapter"].zone):
        return {form: render_to_string(f"{template}.{form}", context)
                for form in ("txt", "html")}


def _ics_part(ics: bytes) -> MIMEPart:
    part = MIMEPart()
    part.set_content(
        ics.decode(),
        subtype="calendar",
        params={"method": "PUBLISH"},
        disposition="attachment",
        filename="meeting.ics",
    )
    return part


def reminder_context(meeting) -> dict:
    """What a reminder says: when (local), where, and who presents."""
    local_start = meeting.local_start
    return {
        "local_start": local_start,
        "local_end": meeting.local_end,
        # Formatted once a meeting here, not by the templates' filters once a recipient
        # (a fifth of a reminder's rendering, measured); the same formats, the same text.
        "day": formats.date_format(local_start, "l j F Y"),
        "day_no_year": formats.date_format(local_start, "l j F"),
        "start_time": formats.time_format(local_start, "H:i"),
        "end_time": formats.time_format(meeting.local_end, "H:i"),
        "zone_name": local_start.tzname(),
        "where": meeting.where,
        "link": meeting.link,
        "presenters": meeting.feature_slots,  # one a presentation, None while unconfirmed
    }


# --- Preferences, unsubscribe, calendar feed, resend ---------------------------------------


def kinds_offered(*, is_leader: bool) -> list[NotificationKind]:
    return [kind for kind in SUBSCRIBABLE if is_leader or kind != NotificationKind.SUMMARY]


def kinds_wanted(member: Member) -> set[str]:
    refused = set(NotificationOptOut.objects.filter(member=member).values_list("kind", flat=True))
    return set(NotificationKind.values) - refused


def preferences_set(*, member: Member, offered: list[str], wanted: set[str]) -> None:
    """Save which of the offered kinds the member wants."""
    refused = [kind for kind in offered if kind not in wanted]
    with transaction.atomic():
        NotificationOptOut.objects.filter(member=member, kind__in=wanted).delete()
        NotificationOptOut.objects.bulk_create(
            [NotificationOptOut(member=member, kind=kind) for kind in refused],
            ignore_conflicts=True,
        )


def unsubscribe(*, member: Member, kind: str) -> None:
    NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(member=member, kind=kind)], ignore_conflicts=True
    )


def _new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_feed_create(*, member: Member) -> None:
    """Give the member a private feed URL unless they already have one."""
    Member.objects.filter(pk=member.pk, calendar_token__isnull=True).update(
        calendar_token=_new_calendar_token()
    )


def calendar_feed_reset(*, member: Member, current: str) -> None:
    """Replace the feed URL the member saw; the old one stops working. A second click that
    still names the old token changes nothing."""
    Member.objects.filter(pk=member.pk, calendar_token=current).exclude(
        calendar_token__isnull=True
    ).update(calendar_token=_new_calendar_token())


def calendar_feed_revoke(*, member: Member) -> None:
    Member.objects.filter(pk=member.pk).update(calendar_token=None)


def delivery_resend(*, delivery: Delivery, seen_resends: int, by) -> bool:
    """Send a sent or failed email again, by hand. The leader's page posts the resend count it
    showed, so a double click matches once and sends once."""
    now = timezone.now()
    updated = Delivery.objects.filter(
        pk=delivery.pk,
        resends=seen_resends,
        state__in=[Delivery.State.SENT, Delivery.State.FAILED],
    ).update(
        state=Delivery.State.PENDING,
        resends=F("resends") + 1,
        attempts=0,
        due_at=now,
        claim="",
        last_error="",
        resent_by=by,
        resent_at=now,
    )
    if updated:
        notification_send.delay_on_commit(delivery.pk)
    return bool(updated)


# --- The Celery tasks ---------------------------------------------------------------------------
#
# Named as they were when the outbox lived in the members app, so messages queued before a
# deploy still find their task. They are safe to run twice (the outbox decides), so they are
# acknowledged only once done: a worker killed mid-task leaves the message for another one.
# Their time limits stay far inside Redis's visibility timeout, so a running task is never
# handed out again; a message of a killed worker comes back only after that timeout, and by
# then the dispatcher's sweep has already sent its email, so it finds nothing to do.


@shared_task(name="members.tasks.notifications_dispatch", acks_late=True, time_limit=120,
             soft_time_limit=100)
def notifications_dispatch() -> dict:
    """Beat's tick: hand out due reminders and tallies, and sweep up lost sends."""
    return vars(dispatch())


@shared_task(name="members.tasks.tallies_dispatch", acks_late=True, time_limit=120,
             soft_time_limit=100)
def tallies_dispatch_task(meeting_id: int) -> int:
    """Hand out one meeting's tallies now (a message queued when reports were completed
    before tallies were owed in the completion's own transaction)."""
    return tallies_dispatch_for_meeting(meeting_id)


# A send task's limits: its claims are taken back at twice the hard one (claim_timeout).
SEND_LIMITS = {
    "time_limit": settings.NOTIFICATIONS_SEND_TIME_LIMIT,
    "soft_time_limit": max(settings.NOTIFICATIONS_SEND_TIME_LIMIT - 10,
                           settings.NOTIFICATIONS_SEND_TIME_LIMIT * 3 // 4),
}


@shared_task(name="members.tasks.notification_send", bind=True, acks_late=True,
             max_retries=None, **SEND_LIMITS)
def notification_send(self, delivery_id: int) -> str:
    """Send one outbox row's email if it is still ours to send."""
    try:
        return delivery_send(delivery_id=delivery_id)
    except Deferred as deferred:
        # The row says when; this retry is only the prompt way back (the sweep is the sure one).
        raise self.retry(countdown=deferred.countdown, exc=deferred) from None


@shared_task(name="members.tasks.notifications_send", acks_late=True, **SEND_LIMITS)
def notifications_send(delivery_ids: list[int]) -> int:
    """Send a chunk of outbox rows over one connection; what the time budget did not reach
    goes back on the queue. Each row is claimed on its own, so running twice sends nothing
    twice. Returns how many rows were handed on."""
    rest = deliveries_send(
        delivery_ids=delivery_ids, budget=settings.NOTIFICATIONS_SEND_TIME_LIMIT / 4
    )
    if rest:
        notifications_send.delay(rest)
    return len(rest)
