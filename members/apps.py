from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self) -> None:
        # Imported once the models are loaded, as Django asks of checks and receivers.
        from members import (
            audit,  # noqa: F401 - records chapters' changes in the audit trail
            checks,  # noqa: F401 - registers the system checks
        )
