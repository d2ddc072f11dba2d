"""Export a chapter report for scheduled jobs, in the same layouts as the browser exports."""

import datetime
import shutil
import sys

from django.core.management.base import BaseCommand, CommandError

from chapters.models import Chapter
from reports import exports


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date like 2026-01-31.") from error


class Command(BaseCommand):
    help = "Export the PALMS summary, slips audit or attendance matrix as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=exports.KINDS)
        parser.add_argument("--chapter", required=True, help="The chapter's slug.")
        parser.add_argument("--start", required=True, type=_date, help="YYYY-MM-DD")
        parser.add_argument("--end", required=True, type=_date, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=exports.FORMATS, default="csv")
        parser.add_argument("--output", help="File to write; standard output when left out.")
        parser.add_argument("--include-provisional", action="store_true",
                            help="Count weeks whose report is still a draft.")

    def handle(self, *args, kind, chapter, start, end, format, output, include_provisional,
               **options):
        try:
            found = Chapter.objects.get(slug=chapter)
        except Chapter.DoesNotExist:
            raise CommandError(f"No chapter with the slug {chapter!r}.") from None
        if start > end:
            raise CommandError("--start must be on or before --end.")
        rows = exports.table(kind, chapter=found, start=start, end=end,
                             include_provisional=include_provisional)
        if format == "xlsx":
            handle = exports.xlsx_file(rows, exports.TITLES[kind])
            if output:
                with open(output, "wb") as target:
                    shutil.copyfileobj(handle, target)
            else:
                shutil.copyfileobj(handle, sys.stdout.buffer)
            return
        if output:
            with open(output, "w", encoding="utf-8", newline="") as target:
                target.writelines(exports.csv_lines(rows))
        else:
            self.stdout.ending = ""
            for line in exports.csv_lines(rows):
                self.stdout.write(line)
