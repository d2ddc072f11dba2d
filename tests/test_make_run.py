"""`make run` links its emails to the host and port it serves."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_commands(*arguments: str) -> list[str]:
    """The commands `make run` would start (printed, not run)."""
    result = subprocess.run(["make", "-n", "run", *arguments], cwd=ROOT, capture_output=True,
                            text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    return [line for line in result.stdout.splitlines()
            if "celery -A config worker" in line or "manage.py runserver" in line]


def test_the_web_server_and_the_worker_take_site_url_from_host_and_port():
    worker, web = run_commands("HOST=127.0.0.1", "PORT=8611")
    assert worker.lstrip().startswith("SITE_URL=http://127.0.0.1:8611 ")
    assert web.lstrip().startswith("SITE_URL=http://127.0.0.1:8611 ")
    assert "runserver 127.0.0.1:8611" in web


def test_a_site_url_given_is_kept():
    worker, web = run_commands("SITE_URL=https://chapters.example.org")
    assert "SITE_URL=https://chapters.example.org " in worker
    assert "SITE_URL=https://chapters.example.org " in web
