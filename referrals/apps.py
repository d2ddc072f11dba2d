from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        from referrals import emails  # noqa: F401 - registers the giver notices' builder
