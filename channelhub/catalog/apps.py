from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "channelhub.catalog"
    label = "catalog"
    verbose_name = "catalogue and pricing"

    def ready(self) -> None:
        from channelhub.catalog.services import on_approval_finished
        from channelhub.core.events import subscribe

        subscribe("workflow.instance_finished", on_approval_finished)
