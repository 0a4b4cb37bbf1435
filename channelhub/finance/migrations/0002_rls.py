from django.db import migrations

from channelhub.tenancy.rls import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0001_initial"),
        ("tenancy", "0002_app_role_and_rls"),
    ]

    operations = [enable_row_level_security("finance_creditaccount", "finance_temporarycredit", "finance_creditentry")]
