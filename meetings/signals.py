"""What the meetings app announces to the apps above it (notifications), which act on it in the
same transaction."""

from django.dispatch import Signal

# A weekly report was completed: `meeting`, and `send_absence_notices` (the leader asked for
# them). Sent inside the completing transaction.
report_completed = Signal()
