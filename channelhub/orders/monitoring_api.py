"""Promotion execution monitoring: what a promotion reached and did to sales, per province."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from channelhub.core.api import Id
from channelhub.orders.monitoring import Budget, Figures, promotion_execution

router = Router(tags=["promotion monitoring 促销执行监控"])


class BudgetOut(Schema):
    cap: Decimal | None
    used: Decimal
    left: Decimal | None
    percent_used: Decimal | None


class FiguresOut(Schema):
    orders: int
    distributors: int
    discount: Decimal
    gift_units: int
    sales: Decimal
    units: int
    sales_orders: int
    baseline_sales: Decimal
    baseline_units: int
    baseline_orders: int
    sales_change: Decimal | None
    units_change: Decimal | None


class ProvinceOut(FiguresOut):
    code: str
    name: str


class ExecutionOut(Schema):
    promotion_id: int
    brand_id: int
    code: str
    name: str
    status: str
    starts_at: datetime
    ends_at: datetime
    window_from: datetime
    window_to: datetime
    baseline_from: datetime
    baseline_to: datetime
    budget_amount: BudgetOut
    budget_quantity: BudgetOut
    total: FiguresOut
    provinces: list[ProvinceOut]


def _budget(budget: Budget) -> dict:
    return {"cap": budget.cap, "used": budget.used, "left": budget.left, "percent_used": budget.percent_used}


def _figures(figures: Figures) -> dict:
    return {**figures.__dict__, "sales_change": figures.sales_change, "units_change": figures.units_change}


@router.get("/catalog/promotions/{promotion_id}/execution", response=ExecutionOut)
def promotion_execution_view(request: HttpRequest, promotion_id: Id):
    """执行监控: budget used and left, orders and distributors reached, discount given, and the
    sales of the lines it covers during its window against the same length of time just before
    it began, in total and per province (by the ordering account's registered county)."""
    execution = promotion_execution(request.actor, promotion_id)
    promotion = execution.promotion
    return {
        "promotion_id": promotion.id,
        "brand_id": promotion.brand_id,
        "code": promotion.code,
        "name": promotion.name,
        "status": promotion.status,
        "starts_at": promotion.starts_at,
        "ends_at": promotion.ends_at,
        "window_from": execution.starts_at,
        "window_to": execution.until,
        "baseline_from": execution.baseline_from,
        "baseline_to": execution.starts_at,
        "budget_amount": _budget(execution.money),
        "budget_quantity": _budget(execution.quantity),
        "total": _figures(execution.total),
        "provinces": [_figures(p) for p in execution.provinces],
    }
