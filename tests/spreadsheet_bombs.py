"""Small crafted files that unpack into huge work: each built here by hand (an .xlsx is a zip of
XML), so the tests and the benchmark hold the exact shapes and stay small on disk."""

import io
import zipfile

HEADER = ["First name", "Last name", "Email", "Business", "Classification", "From", "To",
          "Slip Type"]

PACKAGE = "http://schemas.openxmlformats.org/package/2006/"
RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Types xmlns="{PACKAGE}content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEETML}sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{SPREADSHEETML}worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    f'ContentType="{SPREADSHEETML}sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{PACKAGE}relationships">'
    f'<Relationship Id="rId1" Type="{RELATION}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<workbook xmlns="{MAIN}" xmlns:r="{RELATION}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{PACKAGE}relationships">'
    f'<Relationship Id="rId1" Type="{RELATION}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATION}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_START = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'


def _text_cell(reference: str, value: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def header_row() -> str:
    cells = "".join(_text_cell(f"{chr(ord('A') + i)}1", name) for i, name in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def xlsx(parts: dict[str, object]) -> bytes:
    """A workbook of one sheet; `parts` gives the sheet (and shared strings) as text, or as an
    iterable of text pieces written one by one (so a 100 MB part is never whole in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        parts = {"xl/sharedStrings.xml": _shared_strings([])} | parts
        for name, content in parts.items():
            if isinstance(content, str):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w", force_zip64=True) as part:
                for piece in content:
                    part.write(piece.encode())
    return buffer.getvalue()


def _shared_strings(strings) -> str:
    items = "".join(f"<si><t>{text}</t></si>" for text in strings)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<sst xmlns="{MAIN}">{items}</sst>')


def sheet(rows: str, *, dimension: str = "") -> str:
    dimension = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f"{SHEET_START}{dimension}<sheetData>{header_row()}{rows}</sheetData></worksheet>"


def sparse_last_row() -> bytes:
    """One cell at the sheet's very last row: readers pad the million rows before it."""
    return xlsx({"xl/worksheets/sheet1.xml": sheet(
        f'<row r="1048576">{_text_cell("A1048576", "x")}</row>')})


def huge_dimension() -> bytes:
    """A sheet that says it spans A1:XFD5100: read-only readers pad every row to 16,384."""
    rows = "".join(f'<row r="{n}">{_text_cell(f"A{n}", "x")}</row>' for n in range(2, 50))
    return xlsx({"xl/worksheets/sheet1.xml": sheet(rows, dimension="A1:XFD5100")})


def many_shared_strings(count: int = 500_000) -> bytes:
    """Half a million distinct texts, listed once and all loaded before the first row."""
    return xlsx({"xl/worksheets/sheet1.xml": sheet(""),
                 "xl/sharedStrings.xml": _shared_strings(range(count))})


def huge_cell(megabytes: int = 100) -> bytes:
    """One cell of 100 MB of text, in a file of about 100 KB."""
    piece = "a" * (1024 * 1024)

    def pieces():
        yield f'{SHEET_START}<sheetData>{header_row()}<row r="2"><c r="A2" t="inlineStr"><is><t>'
        for _ in range(megabytes):
            yield piece
        yield "</t></is></c></row></sheetData></worksheet>"

    return xlsx({"xl/worksheets/sheet1.xml": pieces()})


def million_row_csv(rows: int = 1_000_000) -> bytes:
    return (",".join(HEADER) + "\n").encode() + b"a\n" * rows


BOMBS = {
    "sparse last row": ("bomb.xlsx", sparse_last_row),
    "huge dimension": ("bomb.xlsx", huge_dimension),
    "500,000 shared strings": ("bomb.xlsx", many_shared_strings),
    "100 MB cell": ("bomb.xlsx", huge_cell),
    "1,000,000-row CSV": ("bomb.csv", million_row_csv),
}
