from django.apps import AppConfig


class ChaptersConfig(AppConfig):
    name = "chapters"

    def ready(self):
        from chapters import freshness

        freshness.connect()
