"""Spreadsheet bombs: small crafted files that once took hundreds of MB or tens of seconds per
upload are refused with a clear 400 by both imports (the roster and the official tool's
reports), and nothing of them is stored."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chapters import spreadsheets
from members import roster_import
from members.models import RosterImport
from reports.models import ImportBatch
from tests import spreadsheet_bombs as bombs

pytestmark = pytest.mark.django_db

# Each bomb and the words its refusal gives.
EXPECTED = {
    "sparse last row": "rows: split it",
    "huge dimension": "column XFD",
    "500,000 shared strings": "different texts",
    "100 MB cell": "unpacks to more than",
    "1,000,000-row CSV": "rows: split it",
}


@pytest.fixture(scope="module")
def bomb_files():
    return {name: (filename, build()) for name, (filename, build) in bombs.BOMBS.items()}


@pytest.mark.parametrize("bomb", list(bombs.BOMBS))
def test_a_roster_bomb_is_refused_with_a_clear_400_and_nothing_is_stored(
    client, chapter, president, bomb, bomb_files
):
    filename, content = bomb_files[bomb]
    assert len(content) < roster_import.MAX_BYTES
    client.force_login(president.user)
    answer = client.post(reverse("roster_import_upload", args=[chapter.slug]), {
        "file": SimpleUploadedFile(filename, content), "send_emails": "on",
    })
    assert answer.status_code == 400
    page = answer.content.decode()
    assert EXPECTED[bomb] in page, page[-3000:]
    assert 'type="file"' in page  # the form again, to try another file
    assert not RosterImport.objects.exists()


@pytest.mark.parametrize("bomb", list(bombs.BOMBS))
def test_a_report_import_bomb_is_refused_with_a_clear_400_and_nothing_is_stored(
    client, chapter, president, bomb, bomb_files
):
    filename, content = bomb_files[bomb]
    client.force_login(president.user)
    answer = client.post(reverse("reports_import", args=[chapter.slug]), {
        "kind": ImportBatch.Kind.SLIPS, "file": SimpleUploadedFile(filename, content),
    })
    assert answer.status_code == 400
    page = answer.content.decode()
    assert EXPECTED[bomb] in page, page[-3000:]
    assert not ImportBatch.objects.exists()


# --- Each limit, counted while streaming, below the coarser ones --------------------------------

SMALL = spreadsheets.Limits(
    max_bytes=1024 * 1024, max_unpacked=8 * 1024 * 1024, max_rows=20, max_columns=10,
    max_cell_chars=100, max_shared_strings=30, max_cells=100, max_text=1000,
)


def read(content: bytes, suffix=".xlsx"):
    return spreadsheets.read_table(content, suffix, SMALL)


def test_a_file_within_the_limits_reads_as_its_rows():
    content = bombs.xlsx({"xl/worksheets/sheet1.xml": bombs.sheet(
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Alice</t></is></c></row>')})
    assert read(content) == [bombs.HEADER, ["Alice"]]
    assert read(b"a,b\n1,2\n", ".csv") == [["a", "b"], ["1", "2"]]


def test_a_long_cell_is_stopped_while_streaming_below_the_unpacked_size():
    content = bombs.huge_cell(megabytes=2)  # 2 MB: under the unpacked limit, over a cell's
    with pytest.raises(spreadsheets.TooLarge, match="longer than 100 characters"):
        read(content)
    with pytest.raises(spreadsheets.TooLarge, match="longer than 100 characters"):
        read(b"a,b\n" + b"x" * 500 + b",y\n", ".csv")


def test_a_long_shared_string_is_stopped_too():
    content = bombs.xlsx({"xl/worksheets/sheet1.xml": bombs.sheet(""),
                          "xl/sharedStrings.xml": bombs._shared_strings(["y" * 101])})
    with pytest.raises(spreadsheets.TooLarge, match="longer than 100 characters"):
        read(content)


def test_a_line_of_a_million_commas_is_refused_before_the_row_is_built():
    with pytest.raises(spreadsheets.TooLarge, match="Line 2 is longer"):
        read(b"a,b\n" + b"," * 1_000_000 + b"\n", ".csv")


def test_too_many_columns_rows_and_cells_are_each_refused():
    wide = "".join(f'<c r="{spreadsheets.column_letters(n)}2"><v>1</v></c>' for n in range(1, 12))
    with pytest.raises(spreadsheets.TooLarge, match="column K"):
        read(bombs.xlsx({"xl/worksheets/sheet1.xml": bombs.sheet(f'<row r="2">{wide}</row>')}))
    with pytest.raises(spreadsheets.TooLarge, match="more than 20 rows"):
        read(b"a\n" * 21, ".csv")
    # Ten columns of one shared text, row after row: few characters, many cells.
    with pytest.raises(spreadsheets.TooLarge, match="more than 100 cells"):
        read(b"a,b,c,d,e,f,g,h,i,j\n" * 11, ".csv")


def test_a_document_type_is_refused_so_no_entity_can_expand():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              "<si><t>&lol;</t></si></sst>")
    content = bombs.xlsx({"xl/worksheets/sheet1.xml": bombs.sheet(""),
                          "xl/sharedStrings.xml": laughs})
    with pytest.raises(spreadsheets.TooLarge, match="XML entities"):
        read(content)


def test_a_sheet_hidden_under_another_name_is_counted_as_well():
    """Every XML part is counted, wherever the workbook says its sheet is."""
    content = bombs.xlsx({"xl/worksheets/sheet1.xml": bombs.sheet(""),
                          "xl/elsewhere.dat": bombs.sheet('<row r="900000"/>')})
    with pytest.raises(spreadsheets.TooLarge, match="more than 20 rows"):
        read(content)


def test_a_picture_in_the_file_is_not_mistaken_for_a_sheet():
    buffer = io.BytesIO(bombs.xlsx({"xl/worksheets/sheet1.xml": bombs.sheet("")}))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert read(buffer.getvalue()) == [bombs.HEADER]

