from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "channelhub.orders"
    label = "orders"
    verbose_name = "orders, stock and sell-through"

    def ready(self) -> None:
        from channelhub.orders import subscribers

        subscribers.connect()
