"""Exports stay in bounded memory however large the chapter, and big XLSX files read back.

Memory is compared as a ratio of tracemalloc peaks (never a time): producing ten times the
rows must not need twice the memory.
"""

import datetime
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from referrals.models import Referral, Tier
from reports import exports
from reports.exports import SLIPS_HEADERS, csv_lines, detail, table, xlsx_file
from tests import factories
from tests.reports_data import completed

WEEK = datetime.date(2026, 1, 7)


def synthetic_slips(count: int):
    """A slips audit of `count` rows, every Detail cell different."""
    yield SLIPS_HEADERS
    for n in range(count):
        yield [f"Giver {n % 30}", f"Receiver {n % 29}", "TYFCB", "", Decimal(f"{n}.50"), "",
               detail(WEEK, ("Business", f"Business {n}"), notes=f"Distinct note number {n}. " * 4)]


def produce(fmt: str, rows) -> None:
    if fmt == "csv":
        for _line in csv_lines(rows):
            pass
    else:
        xlsx_file(rows, "Slips audit").close()


def peak(fmt: str, rows) -> int:
    tracemalloc.start()
    try:
        produce(fmt, rows)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_writers_need_no_more_memory_for_ten_times_the_rows(fmt):
    produce(fmt, synthetic_slips(10))  # first-use imports and caches are not the export's
    small = peak(fmt, synthetic_slips(500))
    large = peak(fmt, synthetic_slips(5000))
    assert large / small < 2, (small, large)


def test_slips_audit_memory_does_not_grow_with_the_slips(chapter, monkeypatch):
    """Slips come from the database a chunk at a time: 10x the slips, not 2x the memory."""
    # Streamed as CSV, the thinnest writer, so the rows' own memory is not lost in the XLSX
    # writer's fixed cost (the writers are measured alone above).
    monkeypatch.setattr(exports, "CHUNK", 25)
    giver = factories.member(chapter, first_name="Alice", last_name="Archer")
    receiver = factories.member(chapter, first_name="Ben", last_name="Baker")
    week = completed(chapter, WEEK)

    def log(count: int) -> None:
        Referral.objects.bulk_create(
            Referral(giver=giver, receiver=receiver, tier=Tier.INSIDE, temperature=3,
                     meeting=week, receiver_meeting=week,
                     notes=f"Referral {n}: " + "a fairly long note " * 25)
            for n in range(count)
        )

    def audit():
        return table("slips", chapter=chapter, start=WEEK, end=WEEK)

    log(100)
    produce("csv", audit())
    small = peak("csv", audit())
    log(900)
    assert sum(1 for _ in audit()) == 1 + 1000
    large = peak("csv", audit())
    assert large / small < 2, (small, large)


def test_xlsx_with_many_distinct_strings_reads_back_the_same_cells():
    rows = list(synthetic_slips(3000))
    rows.append(["=1+1", "-3", "@name", "+44 20", Decimal("0.10"), 2, "plain"])
    with xlsx_file(rows, "Slips audit") as handle:
        parts = zipfile.ZipFile(handle)
        # Inline strings: a shared-strings table would be held in memory until the end.
        assert "xl/sharedStrings.xml" not in parts.namelist()
        assert b't="inlineStr"' in parts.read("xl/worksheets/sheet1.xml")
        read = list(load_workbook(handle, read_only=True).active.iter_rows(values_only=True))

    def as_written(cell):
        if isinstance(cell, Decimal):
            return float(cell)
        if cell == "":
            return None
        return cell

    assert read[-1] == ("'=1+1", "'-3", "'@name", "'+44 20", 0.1, 2, "plain")
    assert read[:-1] == [tuple(as_written(cell) for cell in row) for row in rows[:-1]]
    assert len({row[6] for row in read[1:-1]}) == 3000
