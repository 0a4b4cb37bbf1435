import uuid

import pytest
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend

from channelhub.core.management.commands.migrate import ensure_database

pytestmark = pytest.mark.skipif("owner" not in settings.DATABASES, reason="PostgreSQL only")


@pytest.mark.django_db(databases=["default", "owner"])
def test_missing_postgres_database_is_created_before_migrating():
    # given: the owner's settings pointing at a database that does not exist
    name = f"channelhub_tmp_{uuid.uuid4().hex[:8]}"
    settings_dict = {**connections["owner"].settings_dict, "NAME": name}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="tmp")
    try:
        # when
        ensure_database(wrapper)
        # then
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            assert cursor.fetchone()[0] == name
    finally:
        wrapper.close()
        with connections["owner"]._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
