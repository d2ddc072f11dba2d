"""Importing the official tool's reports: reading real-world files, matching names, skipping
with reasons, never importing twice."""

import datetime
import io

import pytest
from openpyxl import Workbook

from meetings.models import Attendance, Meeting
from referrals.models import Referral, Tier
from reports import imports
from reports.exports import csv_lines, table
from reports.imports import batch_create, import_batch, parse_date, plan_batch
from reports.models import ImportBatch, ImportedRow
from tests import factories, reports_data

WEDNESDAY = 2


@pytest.fixture
def people(chapter):
    return {
        "alice": factories.member(chapter, first_name="Alice", last_name="Archer"),
        "ben": factories.member(chapter, first_name="Ben", last_name="Baker"),
    }


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-07", datetime.date(2026, 1, 7)),
    ("04/02/2026", datetime.date(2026, 2, 4)),  # 4 February is a Wednesday, 2 April is not
    ("02/04/2026", datetime.date(2026, 2, 4)),  # the same, written month first
    ("7 Jan 2026", datetime.date(2026, 1, 7)),
    ("Jan 7, 2026", datetime.date(2026, 1, 7)),
    (datetime.datetime(2026, 1, 7, 0, 0), datetime.date(2026, 1, 7)),
    ("Total", None),
    ("31/02/2026", None),
])
def test_dates_in_the_forms_spreadsheets_use(value, expected):
    assert parse_date(value, WEDNESDAY) == expected


def test_attendance_matrix_with_title_rows_and_a_name_column(chapter, people):
    content = _xlsx([
        ["PALMS Report", None, None, None],
        ["Riverside Business Builders", None, None, None],
        ["Name", datetime.datetime(2026, 1, 7), datetime.datetime(2026, 1, 14), "Notes"],
        ["Alice Archer", "p", "L", ""],
        ["archer, alice", None, None, None],
        ["Ben Baker", "X", "a", ""],
        ["Zed Unknown", "P", "P", ""],
        ["Total", "2", "2", ""],
    ])
    batch = batch_create(chapter=chapter, kind="attendance", filename="palms.xlsx",
                         content=content)
    plan = plan_batch(batch)
    assert len(plan.new) == 3
    assert dict(plan.skip_reasons()) == {
        "'X' is not a PALMS letter": 1,
        "'Zed Unknown' is not a member of this chapter": 2,
    }
    result = import_batch(batch=batch)
    assert result.imported == 3
    marks = set(Attendance.objects.values_list("member__user__first_name",
                                               "meeting__local_date", "code"))
    assert marks == {("Alice", datetime.date(2026, 1, 7), "P"),
                     ("Alice", datetime.date(2026, 1, 14), "L"),
                     ("Ben", datetime.date(2026, 1, 14), "A")}
    meeting = Meeting.objects.get(chapter=chapter, local_date=datetime.date(2026, 1, 7))
    assert meeting.status == Meeting.Status.HELD and meeting.is_completed


def test_attendance_already_recorded_is_not_imported_again(chapter, people):
    meeting = reports_data.completed(chapter, datetime.date(2026, 1, 7))
    Attendance.objects.create(meeting=meeting, member=people["alice"], code="M")
    content = b"First Name,Last Name,2026-01-07\nAlice,Archer,P\nBen,Baker,P\n"
    batch = batch_create(chapter=chapter, kind="attendance", filename="a.csv", content=content)
    result = import_batch(batch=batch)
    assert (result.imported, result.already) == (1, 1)
    assert Attendance.objects.get(member=people["alice"]).code == "M"


def test_slips_of_a_holiday_week_are_skipped_with_the_reason(chapter, people):
    factories.meeting(chapter, datetime.date(2026, 1, 21), status=Meeting.Status.HOLIDAY)
    content = (b"From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
               b"Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Week: 2026-01-21\n")
    plan = plan_batch(batch_create(chapter=chapter, kind="slips", filename="s.csv",
                                   content=content))
    assert [row["reason"] for row in plan.skipped] == [
        "that week's meeting was a holiday or cancelled"]


def test_two_members_with_the_same_name_are_not_guessed(chapter, people):
    factories.member(chapter, first_name="Ben", last_name="Baker", status="on_leave",
                     classification_name="Second Ben's trade")
    content = (b"From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
               b"Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Week: 2026-01-07\n")
    plan = plan_batch(batch_create(chapter=chapter, kind="slips", filename="s.csv",
                                   content=content))
    assert plan.skipped[0]["reason"] == "2 members are called 'Ben Baker'"


def test_slips_already_logged_in_chapterhouse_are_not_counted_twice(chapter, other_chapter):
    """A chapter running both tools imports the official audit of weeks it also logged here."""
    reports_data.build(chapter, other_chapter)
    rows = table("slips", chapter=chapter, start=reports_data.START, end=reports_data.END)
    content = "".join(csv_lines(rows)).encode()
    before = Referral.objects.count()
    result = import_batch(batch=batch_create(chapter=chapter, kind="slips", filename="s.csv",
                                             content=content))
    assert result.nothing_new and result.already == 19
    assert Referral.objects.count() == before


def test_double_click_imports_once(chapter, people):
    content = (b"From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
               b"Alice Archer,Ben Baker,Referral,Tier 2 (outside),,,Week: 2026-01-07\n")
    batch = batch_create(chapter=chapter, kind="slips", filename="s.csv", content=content)
    first, second = import_batch(batch=batch), import_batch(batch=batch)
    assert first.imported == 1 and second.repeated and second.imported == 1
    referral = Referral.objects.get()
    assert referral.tier == Tier.OUTSIDE and referral.prospect_name == imports.NOT_RECORDED


def test_two_imports_of_one_file_racing_import_it_once(chapter, people, monkeypatch):
    content = (b"From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
               b"Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Week: 2026-01-07\n")
    first = batch_create(chapter=chapter, kind="slips", filename="s.csv", content=content)
    # The same file uploaded by another leader at the same moment.
    second = ImportBatch.objects.create(chapter=chapter, kind="slips", filename="s.csv",
                                        file_sha256=first.file_sha256, rows=first.rows)
    stale = plan_batch(second)  # planned before the first import committed
    import_batch(batch=first)
    monkeypatch.setattr(imports, "plan_batch", lambda batch, week=None: stale)
    with pytest.raises(imports.ImportConflict):
        import_batch(batch=second)
    assert Referral.objects.count() == 1
    second.refresh_from_db()
    assert second.status == ImportBatch.Status.PREVIEW
    assert ImportedRow.objects.count() == 1


def test_text_a_spreadsheet_would_run_is_guarded_and_read_back(chapter, people):
    meeting = reports_data.completed(chapter, datetime.date(2026, 1, 7))
    Referral.objects.create(giver=people["alice"], receiver=people["ben"], tier=Tier.INSIDE,
                            temperature=4, meeting=meeting, receiver_meeting=meeting,
                            notes="=HYPERLINK(\"http://evil.test\")")
    rows = list(table("slips", chapter=chapter, start=datetime.date(2026, 1, 1),
                      end=datetime.date(2026, 1, 31)))
    line = "".join(csv_lines(rows))
    assert "Notes: =HYPERLINK" in line  # inside the Detail cell, which starts with "Week:"
    target = factories.chapter("Copy")
    for first, last in (("Alice", "Archer"), ("Ben", "Baker")):
        factories.member(target, first_name=first, last_name=last)
    import_batch(batch=batch_create(chapter=target, kind="slips", filename="s.csv",
                                    content=line.encode()))
    copy = Referral.objects.get(giver__chapter=target)
    assert copy.notes == "=HYPERLINK(\"http://evil.test\")" and copy.temperature == 4
    guarded = "".join(csv_lines([["=1+1", "-3", "plain"]]))
    assert guarded.strip("\ufeff\r\n") == "'=1+1,'-3,plain"


def test_old_excel_xls_attendance_matrix(chapter, people):
    """The official tool's older exports are .xls (BIFF): dates as date cells, read by xlrd."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("PALMS")
    dated = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    sheet.write(0, 0, "First Name")
    sheet.write(0, 1, "Last Name")
    sheet.write(0, 2, datetime.date(2026, 1, 7), dated)
    sheet.write(0, 3, datetime.date(2026, 1, 14), dated)
    for row, (first, last, *codes) in enumerate(
        [("Alice", "Archer", "P", "S"), ("Ben", "Baker", "A", "")], start=1
    ):
        for column, value in enumerate([first, last, *codes]):
            sheet.write(row, column, value)
    buffer = io.BytesIO()
    book.save(buffer)
    batch = batch_create(chapter=chapter, kind="attendance", filename="PALMS.XLS",
                         content=buffer.getvalue())
    assert import_batch(batch=batch).imported == 3
    assert sorted(Attendance.objects.values_list("member__user__first_name", "code")) == [
        ("Alice", "P"), ("Alice", "S"), ("Ben", "A")]


def test_a_double_click_on_upload_gives_one_preview(chapter, people):
    content = b"First Name,Last Name,2026-01-07\nAlice,Archer,P\n"
    first = batch_create(chapter=chapter, kind="attendance", filename="a.csv", content=content)
    second = batch_create(chapter=chapter, kind="attendance", filename="a.csv", content=content)
    assert first.pk == second.pk


def test_a_file_with_too_many_rows_is_refused(chapter, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    content = b"First Name,Last Name,2026-01-07\n" + b"A,B,P\n" * 5
    with pytest.raises(imports.UnreadableFile, match="more than 3 rows"):
        batch_create(chapter=chapter, kind="attendance", filename="a.csv", content=content)
