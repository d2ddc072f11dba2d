from django.core.cache import cache
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Empty the cache (sessions stay: they are kept in the database too). Run it after "
        "restoring or replacing the database, so no session of the old rows is served from "
        "the cache."
    )

    def handle(self, *args, **options):
        cache.clear()
        self.stdout.write(self.style.SUCCESS("Cache emptied."))
