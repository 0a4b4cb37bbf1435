from django.db import migrations

from channelhub.tenancy.rls import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("tenancy", "0002_app_role_and_rls"),
    ]

    operations = [
        enable_row_level_security(
            "catalog_category",
            "catalog_product",
            "catalog_authorization",
            "catalog_pricelist",
            "catalog_priceitem",
            "catalog_promotion",
            "catalog_catalogversion",
            "catalog_catalogversion",
        )
    ]
