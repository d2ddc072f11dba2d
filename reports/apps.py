from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from meetings.services import slip_kind_register
        from reports.models import ImportedSlip

        # Imported slips count for a meeting like the members' own: cancelling their week
        # moves them with the rest (meetings sits below reports, so reports says so here).
        slip_kind_register("imported", ImportedSlip, ("meeting",))
