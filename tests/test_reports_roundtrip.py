"""Export then import into an empty chapter reproduces the same PALMS summary, cell for cell."""

import io

import pytest
from openpyxl import load_workbook

from members.models import Member
from reports.exports import csv_lines, table, xlsx_file
from reports.imports import batch_create, import_batch
from reports.models import ImportBatch
from reports.palms import palms_rows, palms_totals
from tests import factories, reports_data
from tests.reports_data import END, START


@pytest.fixture
def source(chapter, other_chapter):
    return reports_data.build(chapter, other_chapter)


@pytest.fixture
def empty_chapter(db):
    """A new chapter with members of the same names (and none of their history)."""
    target = factories.chapter("Riverside Again")
    for first, last in (("Alice", "Archer"), ("Ben", "Baker"), ("Cara", "Cole")):
        factories.member(target, first_name=first, last_name=last)
    factories.member(target, first_name="Dan", last_name="Dyer", status=Member.Status.DROPPED)
    return target


def exported(kind: str, fmt: str, chapter, **window) -> bytes:
    rows = table(kind, chapter=chapter, start=START, end=END, **window)
    if fmt == "csv":
        return "".join(csv_lines(rows)).encode("utf-8")
    return xlsx_file(rows, kind).read()


def palms_cells(chapter, **window):
    rows = palms_rows(chapter=chapter, start=START, end=END, **window)
    return [row.cells() for row in rows] + [palms_totals(rows).cells()]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_reproduces_palms_cell_for_cell(source, empty_chapter, fmt):
    for kind in ("attendance", "slips"):
        content = exported(kind, fmt, source.chapter)
        batch = batch_create(chapter=empty_chapter, kind=kind, filename=f"{kind}.{fmt}",
                             content=content)
        result = import_batch(batch=batch)
        assert result.imported > 0 and result.skipped == 0, batch.rows
    assert palms_cells(empty_chapter) == palms_cells(source.chapter)


def test_reimporting_the_same_file_imports_nothing(source, empty_chapter):
    content = exported("slips", "csv", source.chapter)
    first = import_batch(batch=batch_create(
        chapter=empty_chapter, kind=ImportBatch.Kind.SLIPS, filename="s.csv", content=content))
    again = import_batch(batch=batch_create(
        chapter=empty_chapter, kind=ImportBatch.Kind.SLIPS, filename="s.csv", content=content))
    assert first.imported == 19 and again.nothing_new and again.already == 19


def test_exported_xlsx_has_the_official_palms_layout(source):
    workbook = load_workbook(io.BytesIO(exported("palms", "xlsx", source.chapter)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == ["First Name", "Last Name", "P", "A", "L", "M", "S", "RGI", "RGO",
                             "RRI", "RRO", "V", "1-2-1", "TYFCB", "CEU", "T"]
    assert rows[1][:2] == ("Alice", "Archer") and rows[-1][0] == "Total"


def test_an_imported_chapter_exports_the_same_files_again(source, empty_chapter):
    """Slips with someone outside the chapter survive a second export and import."""
    for kind in ("attendance", "slips"):
        import_batch(batch=batch_create(chapter=empty_chapter, kind=kind, filename=f"{kind}.csv",
                                        content=exported(kind, "csv", source.chapter)))
    third = factories.chapter("Riverside Third")
    for first, last in (("Alice", "Archer"), ("Ben", "Baker"), ("Cara", "Cole")):
        factories.member(third, first_name=first, last_name=last)
    factories.member(third, first_name="Dan", last_name="Dyer", status=Member.Status.DROPPED)
    for kind in ("attendance", "slips"):
        import_batch(batch=batch_create(chapter=third, kind=kind, filename=f"{kind}.csv",
                                        content=exported(kind, "csv", empty_chapter)))
    assert palms_cells(third) == palms_cells(source.chapter)
    assert exported("slips", "csv", third) == exported("slips", "csv", empty_chapter)
