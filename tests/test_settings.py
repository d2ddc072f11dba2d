"""Settings come from the environment and a malformed value stops start-up, naming it."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_python(program: str, **env) -> subprocess.CompletedProcess:
    """Run `program` with the settings loaded in a fresh process, only the given variables set."""
    clean = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    clean["CHAPTERHOUSE_VAR_DIR"] = str(ROOT / "var")
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
            " 'config.settings'); django.setup(); " + program,
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start_up(**env) -> subprocess.CompletedProcess:
    return run_python(
        "from django.conf import settings;"
        " print(settings.DEBUG, settings.DATABASES['default']['ENGINE'],"
        " settings.CACHES['default']['BACKEND'], settings.CELERY_BROKER_URL)",
        **env,
    )


def test_embedded_default_is_debug_sqlite_file_cache_and_filesystem_broker():
    result = start_up()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.cache.backends.filebased.FileBasedCache",
        "filesystem://",
    ]


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    result = start_up(
        DATABASE_URL="postgres://app:s%40cret@db.internal:5433/chapterhouse",
        REDIS_URL="redis://cache.internal:6379/0",
        SECRET_KEY="x" * 50,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/0",
    ]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://root@localhost/app"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://localhost:notaport/app"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://localhost:5432/"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
        ({"TIME_ZONE": "Mars/Olympus_Mons"}, "TIME_ZONE"),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DATABASE_URL": "postgres://localhost/app"}, "SECRET_KEY"),
        ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_CLIENT_IP_HEADER": "HTTP_X_REAL_IP"}, "TRUSTED_CLIENT_IP_HEADER"),
        ({"TRUSTED_PROXY_COUNT": "1", "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}, "not both"),
    ],
)
def test_malformed_setting_stops_start_up_naming_the_variable(env, named):
    result = start_up(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def check_deploy(**env) -> subprocess.CompletedProcess:
    """`check --deploy` as CI runs it, with production settings and the given variables."""
    clean = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    clean.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="chapterhouse.example.org",
        EMAIL_HOST="smtp.example.org",
        CHAPTERHOUSE_VAR_DIR=str(ROOT / "var"),
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_behind_a_proxy_without_the_trusted_proxy_setting():
    result = check_deploy(SECURE_PROXY_SSL="true")
    assert result.returncode != 0
    assert "members.W001" in result.stderr
    assert "TRUSTED_PROXY_COUNT" in result.stderr


@pytest.mark.parametrize(
    "told", [{"TRUSTED_PROXY_COUNT": "1"}, {"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}]
)
def test_check_deploy_is_clean_behind_a_proxy_it_was_told_about(told):
    result = check_deploy(SECURE_PROXY_SSL="true", **told)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "allauth_reads"),
    [
        ({}, "0 None"),
        ({"TRUSTED_PROXY_COUNT": "2"}, "2 None"),
        ({"TRUSTED_CLIENT_IP_HEADER": " CF-Connecting-IP "}, "0 CF-Connecting-IP"),
    ],
)
def test_proxy_settings_reach_allauth(env, allauth_reads):
    result = run_python(
        "from allauth import app_settings as allauth;"
        " print(allauth.TRUSTED_PROXY_COUNT, allauth.TRUSTED_CLIENT_IP_HEADER)",
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == allauth_reads


def test_content_security_policy_forbids_inline_code(client, db):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
