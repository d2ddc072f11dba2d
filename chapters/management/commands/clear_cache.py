from django.core.cache import cache
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Empty the cache (sessions stay: they are kept in the database too). Run it after "
        "restoring or replacing the database, so no page or permission cached from the old "
        "rows is served."
    )

    def handle(self, *args, **options):
        cache.clear()
        self.stdout.write(self.style.SUCCESS("Cache emptied."))
