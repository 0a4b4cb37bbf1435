"""PostgreSQL only: the application's non-owner role, its grants, and RLS on the audit trail."""

from django.db import migrations

from channelhub.tenancy.rls import create_app_role, enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("core", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(create_app_role, migrations.RunPython.noop),
        enable_row_level_security("core_auditentry", nullable=True),
    ]
