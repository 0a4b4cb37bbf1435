"""Background work of the workflow module."""

from datetime import timedelta

from django_tasks import task

from channelhub.core.scheduler import every
from channelhub.workflow import services


@every(timedelta(minutes=1))
@task()
def sweep_workflow_timers() -> int:
    """Timers fire only when polled: reminders and escalations of waiting approvals."""
    return services.sweep_timers()
