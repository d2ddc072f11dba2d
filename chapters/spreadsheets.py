"""Reading uploaded spreadsheets (.csv, .xlsx, .xls) into a table of rows, within hard limits;
and the guard every export puts before text a spreadsheet would run as a formula, which every
import takes off again.

A small file can unpack into a huge one: an .xlsx is a zip of XML, whose `<dimension>` or one
cell at row 1,048,576 makes a reader pad a million rows of 16,384 columns, whose shared strings
are loaded in full, and whose one cell can hold 100 MB. So every limit is counted while the
file is streamed, before a cell is kept: the unpacked size (from the zip's own sizes, which
reading enforces), rows, columns, the length of each cell, the shared strings and the text kept
in all. The first limit reached stops the reading with a `TooLarge` whose message says what to
do. Parsers' own failures (a damaged file) are left to the caller, which words them for people.
"""

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # the upload itself
    max_unpacked: int  # all parts of an .xlsx, unpacked
    max_rows: int  # rows of the table, counting the heading and blank rows
    max_columns: int
    max_cell_chars: int
    max_shared_strings: int  # the distinct texts an .xlsx lists once
    max_cells: int  # cells kept (references to one shared text are cells too)
    max_text: int  # characters of all cells kept

    def megabytes(self, size: int) -> str:
        return f"{size / (1024 * 1024):g} MB"


# Text starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_guard(value):
    """Text a spreadsheet would run as a formula, behind an apostrophe; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def formula_unguard(text: str) -> str:
    """The text as it was before `formula_guard`."""
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


class TooLarge(ValueError):
    """The file is beyond a limit; the message says which and what to do."""


def read_table(content: bytes, suffix: str, limits: Limits) -> list[list]:
    """The first sheet's cells, row by row (a list of lists, as the file has them)."""
    if len(content) > limits.max_bytes:
        raise TooLarge(f"The file is larger than {limits.megabytes(limits.max_bytes)}: "
                       "split it into smaller files.")
    table = _Table(limits)
    if suffix == ".csv":
        for row in _csv_rows(content, limits):
            table.add(row)
    elif suffix == ".xlsx":
        _xlsx_check(content, limits)
        for row in _xlsx_rows(content):
            table.add(row)
    elif suffix == ".xls":
        for row in _xls_rows(content, limits):
            table.add(row)
    else:
        raise ValueError(f"Not a spreadsheet suffix: {suffix!r}")
    return table.rows


def column_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class _Table:
    """The rows kept, each checked as it is added (what every format shares)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows: list[list] = []
        self.cells = 0
        self.text = 0

    def add(self, row) -> None:
        limits = self.limits
        line = len(self.rows) + 1
        if line > limits.max_rows:
            raise _too_many_rows(limits)
        row = list(row)
        # Trailing empty cells are padding, not columns.
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
        if len(row) > limits.max_columns:
            raise _too_many_columns(limits, line, len(row))
        self.cells += len(row)
        if self.cells > limits.max_cells:
            raise TooLarge(f"The file has more than {limits.max_cells:,} cells: split it into "
                           "smaller files.")
        for cell in row:
            if isinstance(cell, str):
                if len(cell) > limits.max_cell_chars:
                    raise _cell_too_long(limits, line)
                self.text += len(cell)
        if self.text > limits.max_text:
            raise TooLarge(f"The file holds more than {limits.max_text:,} characters of text: "
                           "split it into smaller files.")
        self.rows.append([_no_nul(cell) for cell in row])


def _no_nul(cell):
    """PostgreSQL stores no NUL character (rows are kept as JSON): a stray one is dropped."""
    return cell.replace("\x00", "") if isinstance(cell, str) else cell


def _too_many_rows(limits: Limits) -> TooLarge:
    return TooLarge(f"The file has more than {limits.max_rows:,} rows: split it into smaller "
                    "files.")


def _too_many_columns(limits: Limits, line: int, column: int) -> TooLarge:
    return TooLarge(
        f"Row {line:,} has a cell in column {column_letters(column)}, beyond the "
        f"{limits.max_columns:,} columns a file may have: delete the columns you do not need."
    )


def _cell_too_long(limits: Limits, line: int) -> TooLarge:
    return TooLarge(f"A cell on row {line:,} is longer than {limits.max_cell_chars:,} "
                    "characters: shorten it.")


# -- CSV -----------------------------------------------------------------------------------------

def _csv_rows(content: bytes, limits: Limits):
    """Rows of a UTF-8 (or, failing that, Windows) text file, decoded as they are read."""
    encoding = "utf-8-sig" if _is_utf8(content) else "cp1252"
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, errors="replace",
                            newline="")
    head = text.read(4096)
    text.seek(0)
    # Only the delimiter varies in practice (Excel in some locales writes ";").
    delimiter = max(",;\t", key=head.count) if any(d in head for d in ",;\t") else ","
    # A field longer than a cell may be is refused by the reader itself, before it is built.
    previous = csv.field_size_limit(limits.max_cell_chars + 1)
    try:
        reader = csv.reader(_lines(text, limits), delimiter=delimiter)
        line = 0
        try:
            for line, row in enumerate(reader, start=1):  # noqa: B007 - read after the loop
                yield row
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise _cell_too_long(limits, line + 1) from None
            raise
    finally:
        csv.field_size_limit(previous)


def _lines(text, limits: Limits):
    """The file's lines, none longer than a full row may be: the CSV reader builds a whole
    row before it can be counted, and a line of a million commas is a million cells."""
    longest = limits.max_columns * (limits.max_cell_chars + 3)
    number = 0
    while line := text.readline(longest + 1):
        number += 1
        if len(line) > longest:
            raise TooLarge(f"Line {number:,} is longer than {longest:,} characters: is this "
                           "a table of rows?")
        yield line


def _is_utf8(content: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(content), CHUNK):
            decoder.decode(content[start:start + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# -- XLSX ----------------------------------------------------------------------------------------

CELL_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def _reference(text: str) -> tuple[int, int] | None:
    """(row, column) of a cell reference like "XFD1048576"; None when it is not one."""
    match = CELL_REFERENCE.match(text or "")
    if match is None:
        return None
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match.group(2)), column


def _xlsx_check(content: bytes, limits: Limits) -> None:
    """Stream every XML part of the file once, counting what a reader would build, and stop at
    the first limit. Nothing is kept: memory stays flat whatever the file holds."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = archive.infolist()
        # Reading a part never yields more than its stated size (zipfile stops there and
        # checks the CRC), so the stated sizes bound all the work that follows.
        if sum(part.file_size for part in parts) > limits.max_unpacked:
            raise TooLarge(
                f"The file unpacks to more than {limits.megabytes(limits.max_unpacked)}: "
                "it holds more than a table of rows. Save only the sheet to import, or "
                "export it as .csv."
            )
        for part in parts:
            counter = _XmlCounter(limits)
            with archive.open(part) as stream:
                try:
                    while chunk := stream.read(CHUNK):
                        counter.feed(chunk)
                    counter.feed(b"", final=True)
                except expat.ExpatError:
                    # Not XML (a picture, say): no reader parses it as a sheet. Whatever it
                    # held before that point was counted.
                    if part.filename.lower().endswith((".xml", ".rels")):
                        raise


class _XmlCounter:
    """Counts rows, cells, shared strings and text of one XML part as expat streams it."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = 0
        self.row_cells = 0
        self.row = 0
        self.shared_strings = 0
        self.in_cell = False
        self.chars = 0
        parser = expat.ParserCreate(namespace_separator=" ")
        # Text in pieces of at least 8 kB: fewer calls, the same count.
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.characters
        # No document type, so no entity of any kind can expand.
        parser.StartDoctypeDeclHandler = self.refuse
        parser.EntityDeclHandler = self.refuse
        self.parser = parser

    def feed(self, chunk: bytes, final: bool = False) -> None:
        self.parser.Parse(chunk, final)

    def refuse(self, *args) -> None:
        raise TooLarge("The file declares XML entities, which a spreadsheet never needs: save "
                       "it again from your spreadsheet program.")

    def start(self, name: str, attributes: dict) -> None:
        local = name[name.rfind(" ") + 1:]
        limits = self.limits
        if local == "t" or local == "v":
            # The most common elements first: the text of a cell or a shared string.
            return
        if local == "row":
            self.rows += 1
            self.row_cells = 0
            self.row = self.rows
            number = attributes.get("r", "")
            if number.isascii() and number.isdigit():
                self.row = int(number)
            if self.rows > limits.max_rows or self.row > limits.max_rows:
                raise _too_many_rows(limits)
        elif local == "c":
            self.row_cells += 1
            self.in_cell, self.chars = True, 0
            where = _reference(attributes.get("r", ""))
            column = where[1] if where else self.row_cells
            if where and where[0] > limits.max_rows:
                raise _too_many_rows(limits)
            if column > limits.max_columns or self.row_cells > limits.max_columns:
                raise _too_many_columns(limits, self.row, max(column, self.row_cells))
        elif local == "si":
            self.shared_strings += 1
            self.in_cell, self.chars = True, 0
            if self.shared_strings > limits.max_shared_strings:
                raise TooLarge(
                    f"The file lists more than {limits.max_shared_strings:,} different texts: "
                    "split it into smaller files."
                )
        elif local == "dimension":
            # What the sheet says it spans; readers pad every row to it.
            last = _reference(attributes.get("ref", "").rpartition(":")[2])
            if last is not None and last[1] > limits.max_columns:
                raise _too_many_columns(limits, 1, last[1])
            if last is not None and last[0] > limits.max_rows:
                raise _too_many_rows(limits)
        if not self.in_cell:
            self.chars = 0

    def end(self, name: str) -> None:
        if self.in_cell:
            if name.endswith((" c", " si")) or name in ("c", "si"):
                self.in_cell = False
                self.chars = 0
        else:
            self.chars = 0

    def characters(self, data: str) -> None:
        self.chars += len(data)
        if self.chars > self.limits.max_cell_chars:
            raise _cell_too_long(self.limits, max(self.row, 1))


def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook

    # Checked by _xlsx_check first: within the limits, openpyxl's reading is bounded too.
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


# -- XLS (the older Excel format the official tool still exports) ---------------------------------

def _xls_rows(content: bytes, limits: Limits):
    import xlrd

    # ragged_rows: each row as long as its own cells, not padded to the widest.
    book = xlrd.open_workbook(file_contents=content, ragged_rows=True, on_demand=True)
    try:
        sheet = book.sheet_by_index(0)
        if sheet.nrows > limits.max_rows:
            raise _too_many_rows(limits)
        for index in range(sheet.nrows):
            if sheet.row_len(index) > limits.max_columns:
                raise _too_many_columns(limits, index + 1, sheet.row_len(index))
            row = []
            for cell in sheet.row(index):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                else:
                    row.append(cell.value)
            yield row
    finally:
        book.release_resources()

