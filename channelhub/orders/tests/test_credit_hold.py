from decimal import Decimal

import pytest

from channelhub.core.errors import Conflict
from channelhub.messaging.models import Notification
from channelhub.orders import services
from channelhub.orders.models import Order
from channelhub.orders.services import OrderLineIn
from channelhub.tenancy.actor import Actor
from channelhub.testing import actor_of, see_all_brands, user_with_role
from channelhub.workflow import services as workflow
from channelhub.workflow.models import ProcessInstance
from channelhub.workflow.selectors import inbox_for

S = Order.Status


@pytest.fixture
def with_process(desk):
    workflow.install_default_processes(actor=Actor.system(), brand_id=desk.brand.id)
    desk.director = actor_of(user_with_role("brand_admin", desk.brand))
    desk.count("east", {"W-STILL": 6000})
    return desk


def over_limit(desk):
    return services.submit_order(
        actor=desk.distributor, account_id=desk.account.id, lines=[OrderLineIn("W-STILL", 4800)]
    ).order  # 12,000.00 against 10,000


def decide(actor, decision, comment=""):
    task = inbox_for(actor).get()
    workflow.act_on_task(actor=actor, task=task, decision=decision, comment=comment)


def test_an_order_over_the_limit_starts_the_override_process_with_its_figures(with_process):
    order = over_limit(with_process)

    assert order.status == S.CREDIT_HOLD
    instance = ProcessInstance.objects.get(pk=order.credit_process_id)
    assert (instance.subject_type, instance.subject_id) == ("orders.order", str(order.pk))
    assert Decimal(str(instance.data["over_by"])) == Decimal("2000.00")
    with pytest.raises(Conflict, match="decided in its approval process"):
        services.decide_credit_hold(actor=with_process.finance, order=order, approve=True)


def test_an_approved_override_releases_the_order_and_reserves_its_stock(
    with_process, django_capture_on_commit_callbacks
):
    desk = with_process
    with django_capture_on_commit_callbacks(execute=True):
        order = over_limit(desk)
    with django_capture_on_commit_callbacks(execute=True):
        decide(desk.finance, "approve")
        decide(desk.director, "approve")

    see_all_brands()
    order.refresh_from_db()
    assert order.status == S.ALLOCATED
    assert desk.level(desk.east, desk.still) == (6000, 4800)
    assert desk.credit().committed == Decimal("12000.00")
    titles = list(Notification.objects.filter(user=desk.buyer_user, kind="order").values_list("title", flat=True))
    assert any("超出信用额度" in t for t in titles) and any("已审核" in t for t in titles)


def test_a_rejected_override_cancels_the_order(with_process, django_capture_on_commit_callbacks):
    desk = with_process
    order = over_limit(desk)
    with django_capture_on_commit_callbacks(execute=True):
        decide(desk.finance, "reject", "应收逾期")

    see_all_brands()
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (S.CANCELLED, "超信用审批驳回")
    assert desk.level(desk.east, desk.still) == (6000, 0)
    assert desk.credit().committed == 0


def test_a_released_order_waits_when_the_stock_went_meanwhile(with_process, django_capture_on_commit_callbacks):
    desk = with_process
    order = over_limit(desk)
    desk.count("east", {"W-STILL": 100})
    with django_capture_on_commit_callbacks(execute=True):
        decide(desk.finance, "approve")
        decide(desk.director, "approve")

    see_all_brands()
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert order.hold_reason == "等待库存：W-STILL 可用 340，需要 4800"
    with pytest.raises(Conflict):
        services.allocate_order(actor=desk.manager, order=order)

    desk.count("east", {"W-STILL": 6000})
    services.allocate_order(actor=desk.manager, order=order)
    order.refresh_from_db()
    assert order.status == S.ALLOCATED


def test_finance_hears_of_holds_no_process_will_bring(desk, django_capture_on_commit_callbacks):
    desk.count("east", {"W-STILL": 6000})
    with django_capture_on_commit_callbacks(execute=True):
        order = over_limit(desk)

    see_all_brands()
    told = Notification.objects.get(user=desk.finance.user)
    assert (told.kind, told.link) == ("credit", f"/orders/{order.pk}/")


def test_temporary_credit_in_force_counts(desk):
    from datetime import timedelta

    from django.utils import timezone

    from channelhub.finance.models import TemporaryCredit

    today = timezone.localdate()
    TemporaryCredit.objects.create(
        brand=desk.brand, credit_account=desk.credit(), amount=Decimal("5000"), valid_from=today,
        valid_to=today + timedelta(days=30), reason="旺季",
    )  # fmt: skip
    TemporaryCredit.objects.create(
        brand=desk.brand, credit_account=desk.credit(), amount=Decimal("90000"),
        valid_from=today - timedelta(days=60), valid_to=today - timedelta(days=1), reason="过期",
    )  # fmt: skip
    desk.count("east", {"W-STILL": 6000})

    assert over_limit(desk).status == S.ALLOCATED  # 12,000 within 10,000 + 5,000
