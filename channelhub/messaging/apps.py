from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "channelhub.messaging"
    label = "messaging"

    def ready(self) -> None:
        from channelhub.messaging import subscribers

        subscribers.connect()
