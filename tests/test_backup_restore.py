"""The backup drill of README "Backup and restore": pg_dump the database, pg_restore it into a
scratch database, and find every table with the same number of rows."""

import shutil
import subprocess
import uuid

import psycopg
import pytest
from django.apps import apps
from django.db import connection

from tests.world import build_world


def pg_env(settings_dict) -> tuple[list[str], dict]:
    args = [
        "-h",
        settings_dict["HOST"] or "127.0.0.1",
        "-p",
        str(settings_dict["PORT"] or 5432),
        "-U",
        settings_dict["USER"] or "postgres",
    ]
    env = {"PGPASSWORD": settings_dict["PASSWORD"] or "", "PATH": "/usr/bin:/bin"}
    return args, env


def row_counts(cursor) -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        table = model._meta.db_table
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - table names from models
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_pg_dump_and_pg_restore_reproduce_every_table(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the backup drill is for PostgreSQL")
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install -y postgresql-client"
    build_world()
    settings_dict = connection.settings_dict
    args, env = pg_env(settings_dict)
    dump = tmp_path / "chapterhouse.dump"
    scratch = f"restore_drill_{uuid.uuid4().hex[:8]}"

    subprocess.run(
        [
            "pg_dump",
            *args,
            "--format=custom",
            "--no-owner",
            f"--file={dump}",
            settings_dict["NAME"],
        ],
        check=True,
        env=env,
        timeout=120,
    )
    subprocess.run(["createdb", *args, scratch], check=True, env=env, timeout=60)
    try:
        subprocess.run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--exit-on-error",
                f"--dbname={scratch}",
                str(dump),
            ],
            check=True,
            env=env,
            timeout=120,
        )
        with connection.cursor() as cursor:
            original = row_counts(cursor)
        conninfo = psycopg.conninfo.make_conninfo(
            host=args[1], port=args[3], user=args[5], password=env["PGPASSWORD"], dbname=scratch
        )
        with psycopg.connect(conninfo) as restored_connection:
            with restored_connection.cursor() as cursor:
                restored = row_counts(cursor)
    finally:
        subprocess.run(["dropdb", *args, "--if-exists", scratch], check=True, env=env, timeout=60)
    assert sum(original.values()) > 20
    assert restored == original
