from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        from meetings import emails  # noqa: F401 - registers the absence notice's builder
