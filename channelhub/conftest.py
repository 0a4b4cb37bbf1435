import json
import uuid

import pytest
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate
from django.test import Client

from channelhub.testing import PASSWORD

# Tests sign in hundreds of times; the production hasher is deliberately slow.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A shared Redis outlives a test run: give each run its own key space (sign-in failure counts!).
settings.CACHES = {
    alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"} for alias, config in settings.CACHES.items()
}


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """pytest-django's set-up, plus the PostgreSQL owner alias that the app role mirrors.

    The owner creates and migrates the test database; the app role (``default``) uses it under
    row-level security. Tests only: the app role may also empty tables between transactional tests.
    """
    from django.test.utils import setup_databases, teardown_databases

    aliases = {"default", *(["owner"] if "owner" in settings.DATABASES else [])}
    with django_db_blocker.unblock():
        config = setup_databases(verbosity=request.config.option.verbose, interactive=False, aliases=aliases)
        if "owner" in settings.DATABASES:
            role = settings.DATABASES["default"]["USER"]
            with connections["owner"].cursor() as cursor:
                cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"')
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        for connection in connections.all():
            if getattr(connection, "pool", None) is not None:  # pooled connections hold the database open
                connection.close_pool()
        teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture
def on_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


class ApiClient:
    """Calls the API as a user, with a real bearer token obtained from /auth/token."""

    def __init__(self, user=None, token: str | None = None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            response = self.client.post(
                "/api/v1/auth/token",
                json.dumps({"username": user.username, "password": PASSWORD}),
                content_type="application/json",
            )
            assert response.status_code == 201, response.content
            token = response.json()["token"]
        if token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def get(self, path, **params):
        return self.client.get("/api/v1" + path, params, **self.headers)

    def post(self, path, data=None, raw: str | None = None, headers: dict[str, str] | None = None):
        body = raw if raw is not None else json.dumps(data or {})
        extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in (headers or {}).items()}
        return self.client.post("/api/v1" + path, body, content_type="application/json", **self.headers, **extra)

    def patch(self, path, data):
        return self.client.patch("/api/v1" + path, json.dumps(data), content_type="application/json", **self.headers)

    def put(self, path, data):
        return self.client.put("/api/v1" + path, json.dumps(data), content_type="application/json", **self.headers)

    def delete(self, path):
        return self.client.delete("/api/v1" + path, **self.headers)


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """Transactional tests empty every table afterwards, the divisions loaded by migration too.

    pytest-django runs them after the ordinary tests, so reloading before each one is enough.
    On PostgreSQL the app role's alias is a test mirror, which Django does not flush; the owner's
    connection empties the tables instead.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        from channelhub.regions.loader import load_divisions
        from channelhub.regions.models import Division

        request.getfixturevalue("_django_db_helper")
        if not Division.objects.exists():
            load_divisions(Division)
    yield
    if transactional and "owner" in settings.DATABASES:
        with django_db_blocker.unblock():
            _empty_tables_as_owner()
            _reload_divisions_as_owner()  # ordinary tests that run next in this worker need them


DIVISION_INSERT = (
    "INSERT INTO regions_division (code, name, full_name, level, kind, parent_id, province_id, prefecture_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO NOTHING"
)


def _divisions_back_after_flush(sender, using: str, **kwargs) -> None:
    """Django's flush after a transactional test emits ``post_migrate`` (on whichever alias it
    flushed): put the reference divisions back, so ordinary tests that run next in the same
    worker find them."""
    if sender.label != "regions":
        return
    from channelhub.regions.loader import iter_divisions
    from channelhub.regions.models import Division

    divisions = Division.objects.using(using)
    if divisions.exists():
        return
    rows = [Division(**row) for row in iter_divisions()]
    for level in (1, 2, 3):  # parents before children
        divisions.bulk_create([d for d in rows if d.level == level], batch_size=1000)


post_migrate.connect(_divisions_back_after_flush, dispatch_uid="channelhub-tests-divisions")


def _reload_divisions_as_owner() -> None:
    """Put the reference divisions back (migrations load them; the flush above emptied them)."""
    from django.db.utils import load_backend

    from channelhub.regions.loader import iter_divisions

    fields = ("code", "name", "full_name", "level", "kind", "parent_id", "province_id", "prefecture_id")
    owner = connections["owner"].settings_dict
    wrapper = load_backend(owner["ENGINE"]).DatabaseWrapper({**owner}, alias="owner")
    try:
        rows = [tuple(row[f] for f in fields) for row in iter_divisions()]  # parents come first
        with wrapper.cursor() as cursor:
            cursor.executemany(DIVISION_INSERT, rows)
    finally:
        wrapper.close()


def _empty_tables_as_owner() -> None:
    """TRUNCATE every model table through a fresh owner connection (the test's own is fenced off)."""
    from django.core.management.color import no_style
    from django.db.utils import load_backend

    owner = connections["owner"].settings_dict
    wrapper = load_backend(owner["ENGINE"]).DatabaseWrapper({**owner}, alias="owner")
    try:
        tables = wrapper.introspection.django_table_names(only_existing=True, include_views=False)
        with wrapper.cursor() as cursor:
            for statement in wrapper.ops.sql_flush(no_style(), tables, allow_cascade=True):
                cursor.execute(statement)
    finally:
        wrapper.close()
