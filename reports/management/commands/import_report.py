"""Import the official tool's slips audit or attendance matrix from the command line."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from chapters.management.arguments import chapter_argument, date_argument
from reports import imports
from reports.models import ImportBatch


class Command(BaseCommand):
    help = "Import a slips audit or attendance matrix (.xlsx, .xls or .csv) into a chapter."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[k for k, _ in ImportBatch.Kind.choices])
        parser.add_argument("file")
        parser.add_argument("--chapter", required=True, help="The chapter's slug.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would be imported, import nothing.")
        parser.add_argument("--week", type=date_argument,
                            help="The week (YYYY-MM-DD) of rows that carry no date.")

    def handle(self, *args, kind, file, chapter, dry_run, week, **options):
        found = chapter_argument(chapter)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            batch = imports.batch_create(chapter=found, kind=kind, filename=path.name,
                                         content=path.read_bytes())
        except imports.UnreadableFile as problem:
            raise CommandError(str(problem)) from None
        plan = imports.plan_batch(batch, week=week)
        self._describe(plan)
        if dry_run:
            batch.delete()
            self.stdout.write("Dry run: nothing imported.")
            return
        if not plan.new:
            batch.delete()
            self.stdout.write(self.style.SUCCESS("Nothing new: every row is already in "
                                                 "Chapterhouse."))
            return
        if plan.needs_week and week is None:
            batch.delete()
            raise CommandError(f"{plan.needs_week} rows have no date: give --week YYYY-MM-DD.")
        # The bar goes to the terminal's stderr: Django's output wrapper would break its lines.
        with tqdm(total=len(plan.new), unit="row", file=sys.stderr) as bar:
            try:
                result = imports.import_batch(batch=batch, week=week, progress=bar.update)
            except imports.ImportConflict as conflict:
                raise CommandError(str(conflict)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported {result.imported} rows ({result.already} already there, "
            f"{result.skipped} skipped)."))

    def _describe(self, plan) -> None:
        self.stdout.write(f"{plan.total} rows recognised: {len(plan.new)} to import, "
                          f"{len(plan.already)} already in Chapterhouse, "
                          f"{len(plan.skipped)} skipped.")
        if plan.large:
            self.stdout.write(f"{len(plan.large)} TYFCB amounts are above "
                              f"{plan.large_above}: check lines "
                              f"{', '.join(str(row['line']) for row in plan.large)}.")
        if plan.one_sided:
            self.stdout.write(f"{plan.one_sided} rows are with someone outside the chapter "
                              f"and count for our member only.")
        for reason, count in plan.skip_reasons():
            self.stdout.write(f"  skipped {count} x {reason}")
        for name, why in plan.unmatched.items():
            self.stdout.write(f"  {name}: {why}")
