"""What the members app announces to the apps above it (notifications), which act on it in the
same transaction."""

from django.dispatch import Signal

# Someone was invited to a chapter (`invitation`).
invitation_created = Signal()
# A roster import added a member who is to be welcomed by email (`member`).
member_imported = Signal()
# Renewal reminders are due (`reminders`: a queryset of RenewalReminder). Receivers return how
# many emails they owed anew.
renewal_reminders_due = Signal()
