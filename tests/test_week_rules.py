"""The official week rules (issue 20): no slip lost to a cancelled week, the slip cut-off,
membership dates, TYFCB anonymity and amounts. Each test is one scenario of the issue."""

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from meetings.models import Attendance, Meeting, Visitor
from members import invitations as member_services
from members import membership
from members.models import Member
from referrals import services
from referrals.models import CEU, OneToOne, Referral, SlipCorrection, ThankYou
from reports import imports
from reports.dashboard import my_numbers
from reports.exports import slips_table
from reports.models import ImportedSlip
from reports.palms import palms_rows
from reports.scoring import member_lights
from tests import factories
from tests.referrals_world import complete, one_of_each, open_week

pytestmark = pytest.mark.django_db


# --- 1. A cancelled or holiday week's slips move to the next meeting held -------------------


def test_cancelling_a_week_with_slips_says_how_many_move_then_moves_them_on_confirm(
    client_for, president, member, chapter
):
    week = open_week(chapter)
    following = factories.meeting(chapter, week.local_date + datetime.timedelta(days=7))
    other = factories.member(chapter)
    one_of_each(member, other)  # five slips and a visitor
    client = client_for(president)
    url = reverse("meeting_status", args=[chapter.slug, week.pk])

    asked = client.post(url, {"status": "cancelled", "note": "Venue flooded"})
    text = asked.content.decode()
    assert asked.status_code == 200
    assert "5 slips and 1 visitor" in text
    assert f"{following.local_date:%A %-d %B %Y}" in text
    assert 'name="move_confirmed"' in text and 'value="Venue flooded"' in text
    week.refresh_from_db()
    assert week.status == Meeting.Status.SCHEDULED
    assert Referral.objects.get().meeting == week

    done = client.post(url, {"status": "cancelled", "note": "Venue flooded",
                             "move_confirmed": "on"})
    assert done.status_code == 302
    week.refresh_from_db()
    assert week.status == Meeting.Status.CANCELLED and week.note == "Venue flooded"
    assert meeting_services.meeting_slip_counts(week) == (0, 0)
    assert meeting_services.meeting_slip_counts(following) == (5, 1)
    moves = SlipCorrection.objects.filter(action=SlipCorrection.Action.MOVED)
    assert sorted(moves.values_list("slip_type", flat=True)) == [
        "ceu", "one-to-one", "referral", "testimonial", "thank-you", "visitor"
    ]
    assert all(move.meeting == following and move.changed_by == president.user
               for move in moves)
    assert moves.first().before == {"meeting": week.local_date.isoformat()}
    record = client.get(reverse("slip_corrections", args=[chapter.slug])).content.decode()
    assert f"meeting: {week.local_date.isoformat()} → {following.local_date.isoformat()}" in (
        record
    )
    complete(following)
    rows = {row.member_id: row for row in palms_rows(
        chapter=chapter, start=week.local_date, end=following.local_date)}
    assert (rows[member.pk].RGO, rows[member.pk].CEU, rows[member.pk].T) == (1, 1, 1)
    assert rows[other.pk].TYFCB == Decimal("120.00")


def test_a_holiday_moves_the_other_chapters_side_of_a_slip_too(chapter, other_chapter, member):
    week = open_week(chapter)
    theirs = open_week(other_chapter)
    following = factories.meeting(chapter, week.local_date + datetime.timedelta(days=7))
    giver = factories.member(other_chapter)
    referral, _ = services.referral_log(
        giver=giver, receiver=member, tier="inside", temperature=3, token=uuid.uuid4()
    )
    assert (referral.meeting, referral.receiver_meeting) == (theirs, week)
    with pytest.raises(meeting_services.SlipsWouldMove) as asked:
        meeting_services.meeting_set_status(meeting=week, status=Meeting.Status.HOLIDAY)
    assert (asked.value.slips, asked.value.visitors, asked.value.to) == (1, 0, following)
    meeting_services.meeting_set_status(
        meeting=week, status=Meeting.Status.HOLIDAY, move_confirmed=True
    )
    referral.refresh_from_db()
    assert (referral.meeting, referral.receiver_meeting) == (theirs, following)


def test_a_week_without_slips_is_cancelled_at_once(client_for, president, chapter):
    week = open_week(chapter)
    response = client_for(president).post(
        reverse("meeting_status", args=[chapter.slug, week.pk]), {"status": "cancelled"}
    )
    assert response.status_code == 302
    week.refresh_from_db()
    assert week.status == Meeting.Status.CANCELLED


def test_slips_of_a_week_that_stays_cancelled_lock_once_the_next_week_is_completed(
    chapter, member
):
    today = timezone.localdate()
    cancelled = factories.meeting(
        chapter, today - datetime.timedelta(days=13), status=Meeting.Status.CANCELLED
    )
    held = factories.meeting(chapter, today - datetime.timedelta(days=6))
    ceu = CEU.objects.create(member=member, description="Podcast", earned_on=today,
                             meeting=cancelled)
    visitor = Visitor.objects.create(meeting=cancelled, name="Vera", invited_by=member)
    assert not ceu.is_locked
    services.slip_update(slip=ceu, by=member, changes={"description": "Webinar"})
    complete(held)
    ceu = CEU.objects.get(pk=ceu.pk)
    assert ceu.is_locked and services.slip_is_locked(Visitor.objects.get(pk=visitor.pk))
    with pytest.raises(services.SlipError, match="locked"):
        services.slip_update(slip=ceu, by=member, changes={"description": "Changed"})


# --- 2. The slip cut-off is the meeting's end ---------------------------------------------


def _held_this_morning(chapter, time_machine) -> tuple[Meeting, Meeting]:
    """The chapter's Wednesday 07:00 meeting of 18 November (report still a draft) and the
    next one; the clock is at 06:00 that day."""
    time_machine.move_to(datetime.datetime(2026, 11, 18, 6, tzinfo=datetime.UTC), tick=False)
    day = datetime.date(2026, 11, 18)
    return (factories.meeting(chapter, day),
            factories.meeting(chapter, day + datetime.timedelta(days=7)))


def test_a_slip_logged_three_hours_after_the_meeting_counts_for_the_following_week(
    time_machine, client_for, chapter, member
):
    this_week, next_week = _held_this_morning(chapter, time_machine)
    time_machine.move_to(this_week.ends_at + datetime.timedelta(hours=3), tick=False)
    receiver = factories.member(chapter)
    page = client_for(member).get(reverse("referral_new", args=[chapter.slug]))
    assert f"counts for the meeting of <strong>{next_week.local_date:%A %-d %B %Y}" in (
        page.content.decode()
    )
    referral, _ = services.referral_log(
        giver=member, receiver=receiver, tier="inside", temperature=2, token=uuid.uuid4()
    )
    assert referral.meeting == next_week
    this_week_numbers = my_numbers(member, this_week.local_date)[0]
    assert this_week_numbers.end == next_week.local_date and this_week_numbers.row.RGI == 1


def test_a_slip_logged_during_the_meeting_counts_for_it(time_machine, chapter, member):
    this_week, _ = _held_this_morning(chapter, time_machine)
    time_machine.move_to(this_week.ends_at - datetime.timedelta(minutes=5), tick=False)
    ceu, _ = services.ceu_log(member=member, credits=1, description="Talk",
                              earned_on=this_week.local_date, token=uuid.uuid4())
    assert ceu.meeting == this_week


def test_a_chapter_keeping_slips_until_the_report_is_completed_counts_them_that_day(
    time_machine, client_for, chapter, member
):
    chapter.slips_until_report_completed = True
    chapter.save(update_fields=["slips_until_report_completed"])
    this_week, _ = _held_this_morning(chapter, time_machine)
    time_machine.move_to(this_week.ends_at + datetime.timedelta(hours=3), tick=False)
    page = client_for(member).get(reverse("ceu_new", args=[chapter.slug]))
    assert f"counts for the meeting of <strong>{this_week.local_date:%A %-d %B %Y}" in (
        page.content.decode()
    )
    ceu, _ = services.ceu_log(member=member, credits=1, description="Talk",
                              earned_on=this_week.local_date, token=uuid.uuid4())
    assert ceu.meeting == this_week


# --- 3. Attendance and scoring follow membership dates, on the chapter's calendar ----------


def test_a_member_joining_at_0710_owes_no_mark_for_the_0700_meeting(
    time_machine, client_for, vice_president, chapter, member
):
    meeting, _ = _held_this_morning(chapter, time_machine)
    time_machine.move_to(meeting.starts_at + datetime.timedelta(minutes=10), tick=False)
    newcomer = factories.member(chapter, first_name="Nora", last_name="Newcomer")
    Member.objects.filter(pk=newcomer.pk).update(joined_on=meeting.local_date)
    meeting_services.attendance_mark(meeting=meeting, member=member, code="P",
                                     by=vice_president.user)
    sheet = client_for(vice_president).get(reverse("attendance", args=[chapter.slug, meeting.pk]))
    assert "Nora Newcomer" not in sheet.content.decode()
    newcomer = Member.objects.get(pk=newcomer.pk)
    with pytest.raises(meeting_services.MeetingError, match="joined after this meeting"):
        meeting_services.attendance_check_in(meeting=meeting, member=newcomer)
    assert meeting_services.attendance_mark_rest(meeting=meeting, by=vice_president.user) == 1
    meeting_services.report_complete(meeting=meeting, by=vice_president.user)
    assert not Attendance.objects.filter(member=newcomer).exists()
    with pytest.raises(meeting_services.MeetingError, match="not a member when"):
        meeting_services.attendance_correct(meeting=meeting, member=newcomer, code="A",
                                            by=vice_president.user, reason="Forgot her")


def test_a_new_york_member_joining_at_2010_local_on_31_march_joined_on_31_march(
    time_machine, db
):
    new_york = factories.chapter("Manhattan Makers", time_zone="America/New_York")
    inviter = factories.member(new_york, roles=("president",))
    time_machine.move_to(
        datetime.datetime(2027, 3, 31, 20, 10, tzinfo=ZoneInfo("America/New_York")), tick=False
    )
    invitation = member_services.invitation_create(
        chapter=new_york, email="nina@example.test", first_name="Nina", last_name="Night",
        classification=factories.classification(), business_name="Night Works",
        invited_by=inviter.user,
    )
    joined = member_services.invitation_accept(invitation=invitation, user=None,
                                               password=factories.PASSWORD)
    assert timezone.now().date() == datetime.date(2027, 4, 1)  # already April in UTC
    assert joined.joined_on == datetime.date(2027, 3, 31)


def test_a_member_transferred_out_after_8_weeks_is_scored_over_8_not_18(
    time_machine, chapter, other_chapter, president
):
    today = timezone.localdate()
    weeks = [factories.meeting(chapter, today - datetime.timedelta(days=7 * back))
             for back in range(18, 0, -1)]
    leaver = factories.member(chapter)
    Member.objects.filter(pk=leaver.pk).update(joined_on=weeks[0].local_date)
    for meeting in weeks[:8]:
        Attendance.objects.create(meeting=meeting, member=leaver, code="P")
    for meeting in weeks:
        complete(meeting)
    time_machine.move_to(weeks[7].ends_at + datetime.timedelta(hours=2), tick=False)
    membership.membership_transfer(member=Member.objects.get(pk=leaver.pk),
                                   to_chapter=other_chapter, by=president.user)
    time_machine.move_to(weeks[-1].ends_at + datetime.timedelta(days=1), tick=False)
    [light] = member_lights(chapter=chapter, member_ids=[leaver.pk])
    assert Member.objects.get(pk=leaver.pk).left_on == weeks[7].local_date
    assert light.weeks == 8
    attendance = next(m for m in light.metrics if m.key == "absences")
    assert attendance.raw == 0


# --- 4. TYFCB: anonymous by default; zero refused; a far larger amount confirmed ------------


def _thank(client, chapter, colleague, amount, **extra):
    return client.post(reverse("thank_you_new", args=[chapter.slug]), {
        "credited_to": colleague.pk, "amount": amount, "business_type": "new",
        "notes": "Kitchen refit", "token": str(uuid.uuid4()), **extra,
    })


def test_a_new_chapter_keeps_who_thanked_from_the_member_thanked_and_from_the_slips_audit(
    client_for, chapter, member
):
    assert chapter.thank_you_names_thanker is False
    open_week(chapter)
    colleague = factories.member(chapter, first_name="Cora", last_name="Credited")
    assert _thank(client_for(member), chapter, colleague, "450").status_code == 302
    thanked_page = client_for(colleague).get(reverse("thank_you_list", args=[chapter.slug]))
    assert member.full_name not in thanked_page.content.decode()
    assert f"a member of {chapter.name}" in thanked_page.content.decode()
    week = ThankYou.objects.get().meeting
    complete(week)
    rows = list(slips_table(chapter=chapter, start=week.local_date, end=week.local_date))
    [tyfcb] = [row for row in rows if row[2] == "TYFCB"]
    assert tyfcb[:5] == ["", "Cora Credited", "TYFCB", "", Decimal("450.00")]
    assert member.full_name not in str(rows)


def test_a_tyfcb_of_zero_is_refused_with_a_clear_message_and_keeps_the_input(
    client_for, chapter, member
):
    open_week(chapter)
    colleague = factories.member(chapter)
    page = _thank(client_for(member), chapter, colleague, "0")
    text = page.content.decode()
    assert page.status_code == 400
    assert "enter an amount above 0" in text and "Kitchen refit" in text
    assert not ThankYou.objects.exists()


def test_a_tyfcb_ten_times_the_chapter_largest_asks_to_confirm_and_keeps_what_was_typed(
    client_for, chapter, member
):
    open_week(chapter)
    colleague = factories.member(chapter)
    client = client_for(member)
    assert _thank(client, chapter, colleague, "1000").status_code == 302
    assert services.tyfcb_confirm_above(chapter) == Decimal("10000.00")
    asked = _thank(client, chapter, colleague, "999999999999")
    text = asked.content.decode()
    assert asked.status_code == 400
    assert "far above this chapter" in text and 'name="amount_confirmed"' in text
    assert 'value="999999999999"' in text and "Kitchen refit" in text
    assert ThankYou.objects.count() == 1
    assert _thank(client, chapter, colleague, "10000").status_code == 302  # at the limit
    confirmed = _thank(client, chapter, colleague, "999999999999", amount_confirmed="on")
    assert confirmed.status_code == 302
    assert ThankYou.objects.order_by("-amount").first().amount == Decimal("999999999999")


def test_a_new_chapter_confirms_above_a_fixed_figure_and_a_chapter_may_set_its_own(chapter):
    assert services.tyfcb_confirm_above(chapter) == services.NEW_CHAPTER_TYFCB_CONFIRM_ABOVE
    chapter.tyfcb_confirm_above = Decimal("2500")
    assert services.tyfcb_confirm_above(chapter) == Decimal("2500")


# --- 5. Imports that never misread ----------------------------------------------------------

AUDIT_HEADER = "From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"


def _import(chapter, content: str, *, week=None, kind="slips", name="slips.csv"):
    batch = imports.batch_create(chapter=chapter, kind=kind, filename=name,
                                 content=content.encode())
    return imports.plan_batch(batch, week=week), batch


@pytest.fixture
def berlin(db):
    chapter = factories.chapter("Berlin Mitte", time_zone="Europe/Berlin", currency="EUR",
                                decimal_comma=True)
    return chapter, factories.member(chapter, first_name="Anna", last_name="Adler"), \
        factories.member(chapter, first_name="Bernd", last_name="Bauer")


def test_1_250_75_in_a_german_locale_chapter_is_one_thousand_two_hundred_and_fifty(berlin):
    chapter, anna, bernd = berlin
    content = AUDIT_HEADER + (
        'Anna Adler,Bernd Bauer,TYFCB,,"1.250,75",,Week: 2026-01-07\n'
        'Anna Adler,Bernd Bauer,TYFCB,,"€ 2.000,00",,Week: 2026-01-07\n'
        'Anna Adler,Bernd Bauer,TYFCB,,"1.250",,Week: 2026-01-07\n'
    )
    plan, batch = _import(chapter, content)
    assert [row["amount"] for row in plan.new] == ["1250.75", "2000.00"]
    [unclear] = plan.skipped
    assert "'1.250' could be 1250 or 1.250" in unclear["reason"]
    imports.import_batch(batch=batch)
    assert sorted(ThankYou.objects.values_list("amount", flat=True)) == [
        Decimal("1250.75"), Decimal("2000.00")]


def test_the_preview_flags_an_ambiguous_amount(client_for, chapter):
    president = factories.member(chapter, roles=("president",), first_name="Pia",
                                 last_name="President")
    factories.member(chapter, first_name="Ben", last_name="Baker")
    client = client_for(president)
    response = client.post(reverse("reports_import", args=[chapter.slug]), {
        "kind": "slips", "file": SimpleUploadedFile("s.csv", (
            AUDIT_HEADER + "Pia President,Ben Baker,TYFCB,,\"1,250\",,Week: 2026-01-07\n"
        ).encode())})
    preview = client.get(response.url).content.decode()
    assert "could be 1250 or 1.250" in preview


def test_the_preview_asks_to_check_an_imported_tyfcb_far_above_the_chapter_usual(
    client_for, chapter
):
    president = factories.member(chapter, roles=("president",), first_name="Pia",
                                 last_name="President")
    factories.member(chapter, first_name="Ben", last_name="Baker")
    client = client_for(president)
    response = client.post(reverse("reports_import", args=[chapter.slug]), {
        "kind": "slips", "file": SimpleUploadedFile("s.csv", (
            AUDIT_HEADER + "Pia President,Ben Baker,TYFCB,,999999999999,,Week: 2026-01-07\n"
            "Pia President,Ben Baker,TYFCB,,1200,,Week: 2026-01-07\n"
        ).encode())})
    preview = client.get(response.url).content.decode()
    assert "Check 1 TYFCB amount far above this chapter" in preview
    assert "Line 2: Pia President → Ben Baker, GBP 999999999999.00" in preview


@pytest.mark.parametrize(("written", "read"), [
    ("1,250.75", "1250.75"), ("$1,250,000", "1250000.00"), ("1250,5", "1250.50"),
    ("99.95", "99.95"), ("1 250,75", "1250.75"),
])
def test_amounts_in_either_convention_are_read_exactly(written, read):
    assert str(imports.parse_amount(written)) == read


def test_a_recurring_one_to_one_imported_for_two_weeks_imports_twice(chapter):
    factories.member(chapter, first_name="Alice", last_name="Archer")
    factories.member(chapter, first_name="Ben", last_name="Baker")
    content = AUDIT_HEADER + "Alice Archer,Ben Baker,One-to-One,,,,Coffee\n"
    first_week, second_week = datetime.date(2026, 1, 7), datetime.date(2026, 1, 14)
    _, batch = _import(chapter, content)
    assert imports.import_batch(batch=batch, week=first_week).imported == 1
    plan, batch = _import(chapter, content)
    plan = imports.plan_batch(batch, week=second_week)
    assert len(plan.new) == 1
    assert imports.import_batch(batch=batch, week=second_week).imported == 1
    again = imports.import_batch(
        batch=_import(chapter, content)[1], week=second_week)
    assert again.imported == 0
    assert sorted(OneToOne.objects.values_list("meeting__local_date", flat=True)) == [
        first_week, second_week]


@pytest.mark.parametrize("slips_first", [True, False])
def test_a_moved_thursday_meetings_slips_land_on_it_whatever_the_import_order(
    chapter, slips_first
):
    factories.member(chapter, first_name="Alice", last_name="Archer")
    factories.member(chapter, first_name="Ben", last_name="Baker")
    thursday = datetime.date(2026, 1, 8)  # the Wednesday chapter met on Thursday that week
    slips = AUDIT_HEADER + "Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Week: 2026-01-08\n"
    matrix = "First Name,Last Name,2026-01-08\nAlice,Archer,P\nBen,Baker,L\n"
    steps = [("slips", slips), ("attendance", matrix)]
    for kind, content in steps if slips_first else reversed(steps):
        imports.import_batch(batch=_import(chapter, content, kind=kind)[1])
    [meeting] = Meeting.objects.filter(chapter=chapter)
    assert meeting.local_date == thursday
    assert Referral.objects.get().meeting == meeting
    assert Attendance.objects.filter(meeting=meeting).count() == 2


def test_a_transferred_members_later_slips_are_not_credited_to_the_old_membership(
    time_machine, chapter, other_chapter, president
):
    mover = factories.member(chapter, first_name="Max", last_name="Mover")
    factories.member(chapter, first_name="Ben", last_name="Baker")
    time_machine.move_to(datetime.datetime(2026, 2, 1, 12, tzinfo=datetime.UTC), tick=False)
    membership.membership_transfer(member=mover, to_chapter=other_chapter, by=president.user)
    content = AUDIT_HEADER + (
        "Max Mover,Ben Baker,Referral,Tier 1 (inside),,,Week: 2026-01-07\n"
        "Max Mover,Ben Baker,Referral,Tier 1 (inside),,,Week: 2026-02-04\n"
    )
    imports.import_batch(batch=_import(chapter, content)[1])
    before = Referral.objects.get()
    assert (before.giver_id, before.meeting.local_date) == (mover.pk, datetime.date(2026, 1, 7))
    after = ImportedSlip.objects.get()
    assert (after.kind, after.counterpart_name) == (ImportedSlip.Kind.REFERRAL_RECEIVED,
                                                    "Max Mover")


def test_a_one_sided_one_to_one_keeps_from_and_to(chapter):
    factories.member(chapter, first_name="Ben", last_name="Baker")
    content = AUDIT_HEADER + (
        "Olga Outsider,Ben Baker,One-to-One,,,,Week: 2026-01-07\n"
        "Ben Baker,Olga Outsider,One-to-One,,,,Week: 2026-01-07\n"
    )
    imports.import_batch(batch=_import(chapter, content)[1])
    rows = list(slips_table(chapter=chapter, start=datetime.date(2026, 1, 7),
                            end=datetime.date(2026, 1, 7)))
    assert sorted(row[:3] for row in rows[1:]) == [
        ["Ben Baker", "Olga Outsider", "One-to-One"],
        ["Olga Outsider", "Ben Baker", "One-to-One"],
    ]
    [row] = palms_rows(chapter=chapter, start=datetime.date(2026, 1, 7),
                       end=datetime.date(2026, 1, 7))
    assert row.one_to_ones == 2
