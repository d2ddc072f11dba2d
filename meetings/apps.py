from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        # Imported once the models are loaded, as Django asks of receivers.
        from meetings import receivers  # noqa: F401 - follows chapters' schedule changes
