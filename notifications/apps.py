from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Registers each kind's builder with the outbox, and the receivers of the lower apps'
        # signals that owe emails.
        from notifications import emails, receivers  # noqa: F401
