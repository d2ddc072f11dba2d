"""What the referrals app announces to the apps above it (notifications), which act on it in
the same transaction."""

from django.dispatch import Signal

# A giver is owed news of their referral (`notice`, a GiverNotice). Sent inside the change's
# transaction.
giver_notice_created = Signal()
