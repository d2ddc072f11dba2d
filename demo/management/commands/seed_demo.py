"""`manage.py seed_demo`: a believable demo region, or benchmark-size data with options."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from demo.seed import (
    ADMIN_EMAIL,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    MAX_MEMBERS,
    MEMBER_EMAIL,
    MIN_MEMBERS,
    PRESIDENT_EMAIL,
    demo_is_seeded,
    demo_region_seed,
)


class Command(BaseCommand):
    help = (
        "Seed a demo region (2 chapters x 25 members x 26 weeks by default) with demo logins. "
        "Does nothing when the demo is already there. Refuses to run with DEBUG off unless "
        "--force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chapters", type=int, default=2, help="Chapters (default 2).")
        parser.add_argument(
            "--members", type=int, default=25,
            help=f"Members per chapter, {MIN_MEMBERS}-{MAX_MEMBERS} (default 25).",
        )
        parser.add_argument("--weeks", type=int, default=26, help="Past weeks (default 26).")
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed; same seed, same data."
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Run even with DEBUG off (the demo logins have a published password).",
        )

    def handle(self, *args, chapters, members, weeks, seed, force, verbosity, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: seed_demo creates logins with a published password "
                f"({DEMO_PASSWORD!r}) and is meant for demos only. Use --force to run it anyway."
            )
        if chapters < 1:
            raise CommandError("--chapters must be at least 1.")
        if not MIN_MEMBERS <= members <= MAX_MEMBERS:
            raise CommandError(f"--members must be between {MIN_MEMBERS} and {MAX_MEMBERS}.")
        if weeks < 1:
            raise CommandError("--weeks must be at least 1.")
        if demo_is_seeded():
            self.stdout.write(f"The demo is already seeded ({ADMIN_EMAIL} exists); nothing to do.")
            return

        started = time.monotonic()
        summary = demo_region_seed(
            chapters=chapters,
            members=members,
            weeks=weeks,
            seed=seed,
            progress=lambda it: tqdm(
                it, desc="Chapters", unit="chapter", disable=verbosity < 1 or chapters < 3
            ),
        )
        if connection.vendor == "postgresql":
            # Fresh planner statistics: without them a bulk-loaded region gets plans meant
            # for empty tables until autovacuum comes round.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started

        counts = ", ".join(f"{number} {name}" for name, number in summary.counts.items())
        first = summary.chapters[0]
        self.stdout.write(self.style.SUCCESS(f"Demo region seeded in {elapsed:.1f} s: {counts}."))
        self.stdout.write(
            f"\nSign in at /accounts/login/ with password {DEMO_PASSWORD}:\n"
            f"  {ADMIN_EMAIL:<36} site admin (back office at /admin/)\n"
            f"  {PRESIDENT_EMAIL:<36} President of {first.name}\n"
            f"  {MEMBER_EMAIL:<36} member of {first.name}\n"
        )
