"""Import a roster file into a chapter: `manage.py import_roster --chapter SLUG FILE`.

Every row is checked first and each problem printed with its line; `--dry-run` stops there.
Importing the same file again changes nothing (people already in the chapter are left alone).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from chapters.management.arguments import chapter_argument
from members import roster_import
from members.models import User


class Command(BaseCommand):
    help = "Import members from a CSV or XLSX roster file into a chapter."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--chapter", required=True, help="The chapter's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and change nothing."
        )
        parser.add_argument(
            "--no-email", action="store_true",
            help="Do not email new members a link to set their password.",
        )
        parser.add_argument("--by", help="Email of the admin recorded in the audit trail.")

    def handle(self, *args, file: Path, chapter: str, dry_run: bool, no_email: bool,
               by: str | None, **options):
        target = chapter_argument(chapter)
        actor = None
        if by:
            actor = User.objects.filter(email__iexact=by).first()
            if actor is None:
                raise CommandError(f"No account has the email {by!r}.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            rows = roster_import.parse_roster(file.name, data)
        except roster_import.RosterFileError as error:
            raise CommandError(str(error)) from None

        with tqdm(total=len(rows), unit="row", disable=options["verbosity"] == 0,
                  file=self.stderr._out) as bar:
            outcome = roster_import.import_rows(
                chapter=target, rows=rows, by=actor, send_emails=not no_email,
                dry_run=dry_run, progress=bar.update,
            )
        for result in outcome.results:
            if result["verdict"] not in (roster_import.CREATED, roster_import.NEW,
                                         roster_import.UNCHANGED):
                label = roster_import.VERDICTS.get(result["verdict"], result["verdict"])
                self.stdout.write(f"line {result['line']}: {label}: {result['message']}")
        verb = "would be added" if dry_run else "added"
        self.stdout.write(self.style.SUCCESS(
            f"{target}: {outcome.created} {verb}, {outcome.unchanged} already in the chapter, "
            f"{outcome.rejected} refused{' (dry run: nothing changed)' if dry_run else ''}."
        ))
