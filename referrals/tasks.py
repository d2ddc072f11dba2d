"""The referrals app has no Celery tasks of its own: the emails to givers are the notifications
app's (notifications/tasks.py keeps `referrals.tasks.giver_notice_send` for queued messages)."""
