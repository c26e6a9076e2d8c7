"""Django's ORM with its defaults (ENGINE django.db.backends.postgresql, which takes psycopg 3)
on a minimal project: settings configured here, the app in django_matrix/, its migration
made by makemigrations, then migrate (with contenttypes and auth, as most projects have),
CRUD through the ORM, atomic blocks with savepoints, IntegrityError with SQLSTATE.
One JSON line (tests/clients/harness.py)."""

import datetime
import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import django
from django.conf import settings

host, port, user, dbname, _table, password = sys.argv[1:7]
migrations = Path(tempfile.mkdtemp(prefix="django-matrix-"))
(migrations / "django_matrix_migrations").mkdir()
(migrations / "django_matrix_migrations" / "__init__.py").touch()
sys.path[:0] = [str(Path(__file__).resolve().parent), str(migrations)]
settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "HOST": host, "PORT": port,
                           "NAME": dbname, "USER": user, "PASSWORD": password,
                           "OPTIONS": {"connect_timeout": 10}}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_matrix"],
    MIGRATION_MODULES={"django_matrix": "django_matrix_migrations"},
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    USE_TZ=True, TIME_ZONE="UTC",
)
django.setup()

from django.core.management import call_command  # noqa: E402  (needs settings)
from django.db import IntegrityError, connection, transaction  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.db.models import Count, F, Sum  # noqa: E402

from django_matrix.models import Author, Book  # noqa: E402

results = {}


def step(name):
    def run(fn):
        try:
            results[name] = {"ok": True, "value": fn()}
        except Exception as e:  # every failure is the step's result
            cause = e.__cause__ or e
            results[name] = {"ok": False, "error": f"{type(e).__name__}: {e}",
                             "sqlstate": getattr(cause, "sqlstate", None)}
    return run


@step("connect")
def _():
    with connection.cursor() as c:
        c.execute("select %s::int + 1", [41])
        return [c.fetchone()[0], connection.pg_version >= 150000, connection.Database.__name__]


@step("migrate")
def _():
    call_command("makemigrations", "django_matrix", verbosity=0)
    call_command("migrate", "django_matrix", verbosity=0)
    applied = MigrationRecorder(connection).applied_migrations()
    tables = connection.introspection.table_names()
    return [sorted(name for app, name in applied if app == "django_matrix"),
            [t for t in ("django_matrix_author", "django_matrix_book") if t in tables]]


@step("crud")
def _():
    when = datetime.datetime(2024, 2, 29, 13, 14, 15, 500000, tzinfo=datetime.timezone.utc)
    ann = Author.objects.create(name="Ann", born=datetime.date(1970, 1, 2))
    bob = Author.objects.create(name="Bob")
    Book.objects.bulk_create([
        Book(author=ann, title="One", price=Decimal("10.50"), published=when, extra={"tags": ["a"]}),
        Book(author=ann, title="Two", price=Decimal("7.25"), published=when, in_print=False),
        Book(author=bob, title="Three", price=Decimal("3.00"), published=when),
    ])
    one = Book.objects.select_related("author").get(title="One")
    updated = Book.objects.filter(author=ann).update(price=F("price") + 1)
    per_author = list(Author.objects.annotate(n=Count("books"), total=Sum("books__price")).order_by("name")
                      .values_list("name", "n", "total"))
    deleted, _ = Book.objects.filter(in_print=False).delete()
    _, created = Author.objects.get_or_create(name="Bob")
    return {"one": [one.author.name, str(one.price), one.published.isoformat(), one.extra,
                    len(str(one.code))],
            "updated": updated, "per_author": [[n, c, str(t)] for n, c, t in per_author],
            "deleted": deleted, "created_again": created,
            "json_lookup": list(Book.objects.filter(extra__tags__contains=["a"]).values_list("title", flat=True)),
            "left": list(Book.objects.order_by("title").values_list("title", flat=True))}


@step("transactions")
def _():
    try:
        with transaction.atomic():
            Author.objects.create(name="Rolled back")
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    with transaction.atomic():
        Author.objects.create(name="Kept")
        try:
            with transaction.atomic():  # a savepoint
                Author.objects.create(name="Inner")
                raise RuntimeError("abort inner")
        except RuntimeError:
            pass
    return list(Author.objects.values_list("name", flat=True))


@step("integrity_error")
def _():
    try:
        with transaction.atomic():
            Author.objects.create(name="Ann")
    except IntegrityError as e:
        state = e.__cause__.sqlstate
    else:
        state = None
    return [state, Author.objects.count()]


@step("raw_cursor")
def _():
    with connection.cursor() as c:
        c.execute("select name from django_matrix_author where name = %s", ["Ann"])
        return c.fetchall()


@step("migrate_contrib")
def _():
    # The rest of INSTALLED_APPS: contenttypes' and auth's migrations alter their tables.
    call_command("migrate", verbosity=0)
    applied = MigrationRecorder(connection).applied_migrations()
    return [len([a for a in applied if a[0] == "auth"]) >= 12, "auth_user" in connection.introspection.table_names()]


@step("migrate_noop")
def _():
    # A second run finds nothing to do, and the models match the migrations.
    call_command("migrate", verbosity=0)
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    return True


print(json.dumps(results, default=str))
