"""The instant every test starts at (tests/conftest.py freezes the clock there, ticking)."""

import datetime
import os


def instant(text: str) -> datetime.datetime:
    """An ISO 8601 instant with its offset, e.g. "2026-12-09T23:30:00Z", in UTC."""
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} needs an offset, e.g. Z")
    return moment.astimezone(datetime.UTC)


# An ordinary Tuesday morning by default. CI runs the suite again at a hard instant (a meeting
# day after the meeting, a daylight-saving night...) through CHAPTERHOUSE_TEST_NOW.
TEST_NOW = instant(os.environ.get("CHAPTERHOUSE_TEST_NOW") or "2026-11-17T10:00:00Z")
