"""The Celery worker forks its processes warm (config/celery.py)."""

import gc

from config import celery as celery_config
from members import notifications


def test_the_worker_loads_what_emails_need_then_freezes_its_heap(monkeypatch):
    done = []
    get_template = notifications.get_template
    monkeypatch.setattr(notifications, "get_template",
                        lambda name: done.append(name) or get_template(name))
    monkeypatch.setattr(notifications, "reverse",
                        lambda name, args: done.append(name) or "/")
    monkeypatch.setattr(gc, "freeze", lambda: done.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: done.append(thresholds))
    celery_config._worker_warm_up()
    templates = [f"notifications/email/{kind}.{form}" for kind in ("reminder", "tally", "summary")
                 for form in ("txt", "html")]
    assert sorted(done[1:7]) == sorted(templates)  # each one compiled before the fork
    assert done[0] == "notification_preferences"  # the URLconf loaded
    # Frozen after everything is loaded, so the children's collector never walks it.
    assert done[7:] == ["freeze", celery_config.GC_THRESHOLDS]
