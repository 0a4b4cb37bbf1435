from django.db import migrations

from channelhub.tenancy.rls import enable_row_level_security


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("tenancy", "0002_app_role_and_rls"),
    ]

    operations = [
        enable_row_level_security(
            "orders_warehouse",
            "orders_stocklevel",
            "orders_order",
            "orders_orderline",
            "orders_orderpromotion",
            "orders_allocation",
            "orders_idempotencykey",
            "orders_shipment",
            "orders_shipmentline",
            "orders_returnrequest",
            "orders_returnline",
            "orders_sellthrough",
            "orders_stockreport",
            "orders_crossterritoryalert",
        )
    ]
