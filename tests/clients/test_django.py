"""Django's ORM (ENGINE django.db.backends.postgresql, on psycopg 3) with its defaults, on
PostgreSQL 15 and the gateway: a minimal project (tests/clients/scripts/django_steps.py
configures its settings; the app is tests/clients/scripts/django_matrix/), makemigrations
and migrate, CRUD through the ORM (bulk_create, select_related, F() updates, aggregates,
JSONField lookups, get_or_create), atomic blocks and savepoints, IntegrityError."""

from __future__ import annotations

import importlib.metadata

import pytest

from harness import mark_iris_gaps

CLIENT = "Django"
IRIS_DOUBLES = True


# Tests that differ on the IRIS doubles, and why (harness.mark_iris_gaps). bulk_create's
# UNNEST of array literals is emulated (rows inserted one by one); the JSONField key lookup is not.
IRIS_GAPS = {
    "test_crud": ("IRIS: json is text and IRIS has no JSON operators (-> and @> refused, 0A000), which "
                  "JSONField key lookups (extra__tags__contains=[..]) send: filter those rows in Python"),
}


@pytest.fixture(autouse=True)
def _iris_gaps(request):
    mark_iris_gaps(request, IRIS_GAPS)


def client_version() -> str:
    return (f"Django {importlib.metadata.version('Django')}, "
            f"psycopg {importlib.metadata.version('psycopg')}")


@pytest.fixture
def steps(client_steps, target):
    return client_steps("django", target)


def test_connect(steps):
    assert steps.ok("connect") == [42, True, "psycopg"]


def test_makemigrations_and_migrate(steps):
    assert steps.ok("migrate") == [["0001_initial"], ["django_matrix_author", "django_matrix_book"]]


def test_crud(steps):
    assert steps.ok("crud") == {
        "one": ["Ann", "10.50", "2024-02-29T13:14:15.500000+00:00", {"tags": ["a"]}, 36],
        "updated": 2, "per_author": [["Ann", 2, "19.75"], ["Bob", 1, "3.00"]], "deleted": 1,
        "created_again": False, "json_lookup": ["One"], "left": ["One", "Three"]}


def test_atomic_and_savepoints(steps):
    assert steps.ok("transactions") == ["Ann", "Bob", "Kept"]


def test_integrity_error_sqlstate(steps):
    assert steps.ok("integrity_error") == ["23505", 3]


def test_raw_cursor(steps):
    assert steps.ok("raw_cursor") == [["Ann"]]


def test_migrate_contrib_apps(steps):
    assert steps.ok("migrate_contrib") == [True, True]


def test_migrate_again_is_a_no_op(steps):
    assert steps.ok("migrate_noop") is True
