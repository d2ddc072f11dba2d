"""manage.py export_report / import_report: the same files and results as the browser."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from members.models import Member
from referrals.models import Referral
from reports.models import ImportBatch
from reports.palms import palms_rows
from tests import factories, reports_data
from tests.reports_data import END, START

WINDOW = ["--start", START.isoformat(), "--end", END.isoformat()]


@pytest.fixture
def source(chapter, other_chapter):
    return reports_data.build(chapter, other_chapter)


@pytest.fixture
def target(db):
    chapter = factories.chapter("Fresh Start")
    for first, last in (("Alice", "Archer"), ("Ben", "Baker"), ("Cara", "Cole")):
        factories.member(chapter, first_name=first, last_name=last)
    factories.member(chapter, first_name="Dan", last_name="Dyer", status=Member.Status.DROPPED)
    return chapter


def test_export_writes_csv_to_stdout_and_xlsx_to_a_file(source, tmp_path):
    out = io.StringIO()
    call_command("export_report", "palms", "--chapter", source.chapter.slug, *WINDOW,
                 stdout=out)
    lines = out.getvalue().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("First Name,Last Name,P,A,L,M,S,RGI,RGO,RRI,RRO,V,1-2-1,TYFCB")
    assert lines[-1] == "Total,,3,2,1,1,1,4,2,3,3,3,3,1800.49,3,1"
    path = tmp_path / "slips.xlsx"
    call_command("export_report", "slips", "--chapter", source.chapter.slug, *WINDOW,
                 "--format", "xlsx", "--output", str(path))
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0] == ("From", "To", "Slip Type", "Inside/Outside", "TYFCB", "CEU Credits",
                       "Detail")
    assert len(rows) == 20


@pytest.mark.parametrize(("args", "message"), [
    (["--chapter", "nowhere", *WINDOW], "No chapter"),
    (["--start", "2026-02-01", "--end", "2026-01-01"], "on or before"),
    (["--start", "31/01/2026", "--end", "2026-01-01"], "not a date"),
])
def test_export_refuses_bad_arguments(source, args, message):
    if "--chapter" not in args:
        args = ["--chapter", source.chapter.slug, *args]
    with pytest.raises(CommandError, match=message):
        call_command("export_report", "palms", *args)


def test_import_into_an_empty_chapter_then_again(source, target, tmp_path):
    for kind in ("attendance", "slips"):
        path = tmp_path / f"{kind}.csv"
        call_command("export_report", kind, "--chapter", source.chapter.slug, *WINDOW,
                     "--output", str(path))
        out = io.StringIO()
        call_command("import_report", kind, str(path), "--chapter", target.slug, stdout=out)
        assert "Imported" in out.getvalue()
        again = io.StringIO()
        call_command("import_report", kind, str(path), "--chapter", target.slug, stdout=again)
        assert "Nothing new" in again.getvalue()

    def cells(chapter):
        return [row.cells() for row in palms_rows(chapter=chapter, start=START, end=END)]

    assert cells(target) == cells(source.chapter)
    assert ImportBatch.objects.filter(chapter=target, status="imported").count() == 2


def test_dry_run_imports_nothing(source, target, tmp_path):
    path = tmp_path / "slips.csv"
    call_command("export_report", "slips", "--chapter", source.chapter.slug, *WINDOW,
                 "--output", str(path))
    out = io.StringIO()
    call_command("import_report", "slips", str(path), "--chapter", target.slug, "--dry-run",
                 stdout=out)
    assert "19 to import" in out.getvalue() and "Dry run" in out.getvalue()
    assert not Referral.objects.filter(giver__chapter=target).exists()
    assert not ImportBatch.objects.exists()


def test_rows_without_a_date_need_a_week(target, tmp_path):
    path = tmp_path / "audit.csv"
    path.write_text("From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
                    "Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Kitchen refit\n")
    with pytest.raises(CommandError, match="--week"):
        call_command("import_report", "slips", str(path), "--chapter", target.slug,
                     stdout=io.StringIO())
    call_command("import_report", "slips", str(path), "--chapter", target.slug,
                 "--week", "2026-03-04", stdout=io.StringIO())
    referral = Referral.objects.get(giver__chapter=target)
    assert referral.meeting.local_date.isoformat() == "2026-03-04"
    assert referral.notes == "Kitchen refit"


def test_import_refuses_a_file_it_cannot_read(target, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CommandError, match="xlsx, .xls or .csv"):
        call_command("import_report", "slips", str(path), "--chapter", target.slug)
