"""Partner operations that processes' service steps may call (see ``channelhub.workflow.operations``)."""

from channelhub.core.errors import ValidationFailed
from channelhub.partners.models import DistributorAccount
from channelhub.partners.services import update_distributor
from channelhub.workflow import operations

SUBJECT_TYPE = "partners.distributoraccount"


def _account(call: operations.OperationCall) -> DistributorAccount:
    if call.subject_type != SUBJECT_TYPE or not call.subject_id.isdigit():
        raise ValidationFailed(f"the request is about {call.subject_type}:{call.subject_id}, not a distributor")
    account = DistributorAccount.objects.filter(brand_id=call.brand_id, pk=int(call.subject_id)).first()
    if account is None:
        raise ValidationFailed(f"distributor {call.subject_id} does not exist in this brand")
    return account


def _set_status(status: str):
    def handler(call: operations.OperationCall) -> dict:
        account = update_distributor(actor=call.actor, account=_account(call), changes={"status": status})
        return {"distributor_status": account.status}

    return handler


def register() -> None:
    operations.register(
        "partners.activate_distributor",
        "启用经销商 Activate distributor",
        _set_status(DistributorAccount.Status.ACTIVE),
    )
    operations.register(
        "partners.suspend_distributor",
        "暂停经销商 Suspend distributor",
        _set_status(DistributorAccount.Status.SUSPENDED),
    )
    operations.register(
        "partners.exit_distributor", "经销商退出 Mark distributor exited", _set_status(DistributorAccount.Status.EXITED)
    )
