"""Export a chapter report for scheduled jobs, in the same layouts as the browser exports."""

import shutil
import sys

from django.core.management.base import BaseCommand, CommandError

from chapters.management.arguments import chapter_argument, date_argument
from reports import exports


class Command(BaseCommand):
    help = "Export the PALMS summary, slips audit or attendance matrix as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=exports.KINDS)
        parser.add_argument("--chapter", required=True, help="The chapter's slug.")
        parser.add_argument("--start", required=True, type=date_argument, help="YYYY-MM-DD")
        parser.add_argument("--end", required=True, type=date_argument, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=exports.FORMATS, default="csv")
        parser.add_argument("--output", help="File to write; standard output when left out.")
        parser.add_argument("--include-provisional", action="store_true",
                            help="Count weeks whose report is still a draft.")

    def handle(self, *args, kind, chapter, start, end, format, output, include_provisional,
               **options):
        found = chapter_argument(chapter)
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
