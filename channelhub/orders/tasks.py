"""Background work of the orders module."""

from datetime import timedelta

from django_tasks import task

from channelhub.core.scheduler import every
from channelhub.orders import services


@every(timedelta(hours=1))
@task()
def complete_delivered_orders() -> int:
    """Orders delivered a week ago and not returned are closed."""
    return services.complete_delivered(days=7)


@every(timedelta(days=1))
@task()
def forget_old_idempotency_keys() -> int:
    return services.forget_idempotency_keys(days=30)
