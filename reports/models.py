"""Imports of the official tool's reports: each upload, the rows already imported, and the
slips whose other side is not a member of this chapter.

The tables keep the names they had when these models lived in `chapters`.
"""

from django.db import models
from django.db.models import Q

from chapters.models import Chapter


class ImportBatch(models.Model):
    """One uploaded report of the official tool: parsed on upload, imported on confirmation."""

    class Kind(models.TextChoices):
        SLIPS = "slips", "Slips audit"
        ATTENDANCE = "attendance", "Attendance matrix"

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for confirmation"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="import_batches")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    filename = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    # The recognised rows as parsed from the file, so confirming does not need the file again.
    rows = models.JSONField(default=list)
    created_by = models.ForeignKey(
        "members.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    already_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "chapters_importbatch"
        verbose_name_plural = "import batches"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["slips", "attendance"]), name="import_batch_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["preview", "importing", "imported"]),
                name="import_batch_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"


class ImportedRow(models.Model):
    """The fingerprint of one row already imported, so importing the same file twice adds
    nothing: the unique constraint is the last word, even for two imports racing."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ImportBatch.Kind.choices)
    fingerprint = models.CharField(max_length=64)
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="imported_rows")

    class Meta:
        db_table = "chapters_importedrow"
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "kind", "fingerprint"], name="row_imported_once"
            )
        ]

    def __str__(self) -> str:
        return self.fingerprint


class ImportedSlip(models.Model):
    """A slip of an imported report whose other side is not a member of this chapter (e.g. a
    referral to another chapter): it counts in the PALMS summary for our side only."""

    class Kind(models.TextChoices):
        REFERRAL_GIVEN = "referral_given", "Referral given"
        REFERRAL_RECEIVED = "referral_received", "Referral received"
        ONE_TO_ONE = "one_to_one", "One-to-one"
        # Logged by the member of the other chapter: our member is the one met (To).
        ONE_TO_ONE_MET = "one_to_one_met", "One-to-one (met with)"
        TYFCB_CREDITED = "tyfcb_credited", "TYFCB credited"
        TYFCB_THANKED = "tyfcb_thanked", "TYFCB thanked"

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="imported_slips")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="imported_slips"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="imported_slips"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    tier = models.CharField(max_length=8, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    counterpart_name = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "chapters_importedslip"
        ordering = ["meeting", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="imported_slip_amount_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=["referral_given", "referral_received", "one_to_one",
                                      "one_to_one_met", "tyfcb_credited", "tyfcb_thanked"]),
                name="imported_slip_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["", "inside", "outside"]), name="imported_slip_tier_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.member_id} with {self.counterpart_name}"
