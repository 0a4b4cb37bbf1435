"""Writes of an order's life: submit, credit hold and its decision, allocation, cancel, complete.

Submitting is one transaction: price every line with the catalogue's engine and copy the prices
onto the order, check credit, reserve stock, take promotion budgets. Locks are taken in one order
everywhere (the order row, the account's credit row, stock rows by product, promotion rows by id),
so concurrent orders queue instead of deadlocking, and none of stock, credit or budget can be
over-committed. Shipments and returns are in ``orders.fulfilment``.
"""

import hashlib
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from channelhub.catalog import pricing
from channelhub.catalog.models import Promotion
from channelhub.catalog.services import use_budget
from channelhub.core import audit, sql
from channelhub.core.errors import Conflict, Forbidden, ValidationFailed
from channelhub.core.events import emit
from channelhub.core.models import AuditEntry
from channelhub.finance import credit
from channelhub.messaging.models import Notification
from channelhub.messaging.services import notify_account_users
from channelhub.orders import stock
from channelhub.orders.models import Allocation, IdempotencyKey, Order, OrderLine, OrderPromotion
from channelhub.partners.models import DistributorAccount
from channelhub.partners.selectors import account_to_order_for
from channelhub.tenancy.actor import INTEGRATION_ROLE, SYSTEM_ROLE, Actor
from channelhub.tenancy.models import Role
from channelhub.tenancy.rls import brand_transaction, set_brand_scope

S = Order.Status
ORDER_SUBJECT = "orders.order"
MAX_LINES = 500
ORDER_DESK = (Role.GROUP_ADMIN, Role.BRAND_ADMIN, Role.REGION_MANAGER)
BUYERS = (*ORDER_DESK, Role.DISTRIBUTOR_USER, INTEGRATION_ROLE)
CREDIT_DECIDERS = (Role.GROUP_ADMIN, Role.BRAND_ADMIN, Role.FINANCE)
OPEN = (S.SUBMITTED, S.CREDIT_HOLD, S.APPROVED, S.ALLOCATED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED)

# What a distributor's users are told of their orders.
TOLD_TO_DISTRIBUTOR = {
    S.ALLOCATED: "订单 {number} 已审核，库存已锁定",
    S.CREDIT_HOLD: "订单 {number} 超出信用额度，等待审批",
    S.PARTIALLY_SHIPPED: "订单 {number} 部分发货：{note}",
    S.SHIPPED: "订单 {number} 已发货：{note}",
    S.DELIVERED: "订单 {number} 已签收",
    S.CANCELLED: "订单 {number} 已取消：{note}",
}

# Until goods leave a warehouse the distributor (its own orders) and the order desk may cancel;
# finance refuses held orders through the credit decision. After shipping, only a return undoes.
CANCELLABLE = frozenset({S.SUBMITTED, S.CREDIT_HOLD, S.APPROVED, S.ALLOCATED})
BUDGET_RETRIES = 3


@dataclass(frozen=True)
class OrderLineIn:
    sku: str
    qty: int


@dataclass(frozen=True)
class Submitted:
    order: Order
    replayed: bool  # True: an earlier request with the same idempotency key created it
    lines: list[OrderLine] | None = None  # a new order's lines, gifts included, as written


def request_hash(body: Any) -> str:
    """A stable fingerprint of a request body (keys sorted), to tell a retry from a new request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def buyer_of(account: DistributorAccount) -> pricing.Buyer:
    """The account as the price engine sees it (territory prefetched by the caller)."""
    return pricing.Buyer.of_account(account)


def _new_number(prefix: str) -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    day = timezone.localdate().strftime("%Y%m%d")
    return f"{prefix}{day}-" + "".join(secrets.choice(alphabet) for _ in range(6))


def _changed(actor: Actor, order: Order, previous: str, *, note: str = "", also: list | None = None) -> None:
    """Audit a status change (with ``also``, entries written in the same insert), tell the
    distributor's users of the changes they care about (in this transaction: a notification is a
    row like the order), and tell subscribers once the transaction commits."""
    after: dict[str, Any] = {"status": order.status}
    if note:
        after["note"] = note
    entry = audit.entry_for(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        obj=order,
        brand_id=order.brand_id,
        before={"status": previous},
        after=after,
    )
    sql.insert([e for e in [*(also or []), entry] if e is not None])
    if order.status in TOLD_TO_DISTRIBUTOR:
        notify_account_users(
            brand_id=order.brand_id,
            account_id=order.account_id,
            kind=Notification.Kind.ORDER,
            title=TOLD_TO_DISTRIBUTOR[order.status].format(number=order.number, note=note),
            link=f"/orders/{order.pk}/",
        )
    emit(
        "orders.order_changed",
        {
            "order_id": order.pk,
            "brand_id": order.brand_id,
            "account_id": order.account_id,
            "number": order.number,
            "status": order.status,
            "previous": previous,
            "division": order.division_id,
            "note": note,
        },
    )


# --- submit -----------------------------------------------------------------------------------


def submit_order(
    *,
    actor: Actor,
    account_id: int,
    lines: list[OrderLineIn],
    note: str = "",
    ship_to: str = "",
    source: str = Order.Source.WEB,
    idempotency_key: str = "",
    body_hash: str = "",
    draft: Order | None = None,
) -> Submitted:
    """Price, check and place an order for a distributor account (or a saved draft of it).

    The order is approved and its stock reserved at once when the available credit covers it;
    otherwise it goes on credit hold into the brand's ``order_credit_override`` process. A line
    that cannot be sold, a quantity beyond stock or a budget that ran out refuses the whole order
    and writes nothing. With an ``idempotency_key`` a retry returns the first order."""
    # Called outside any transaction (the API's submit commits before it answers), it opens its
    # own, stating the actor's brands; inside one, each attempt is a savepoint.
    own = not transaction.get_connection().in_atomic_block
    for attempt in range(BUDGET_RETRIES):
        try:
            with brand_transaction(actor.allowed_brand_ids) if own else transaction.atomic():
                return _submit(
                    actor=actor,
                    account_id=account_id,
                    lines=lines,
                    note=note,
                    ship_to=ship_to,
                    source=source,
                    idempotency_key=idempotency_key,
                    body_hash=body_hash,
                    draft=draft,
                )
        except _SameKeyMeanwhile:
            continue  # the next attempt finds the committed order and answers with it
        except _BudgetRace:
            if attempt == BUDGET_RETRIES - 1:
                raise Conflict(
                    "a promotion's budget ran out while this order was being placed; please submit again",
                    code="budget_exhausted",
                ) from None
    raise AssertionError("unreachable")


class _BudgetRace(Exception):
    """A budget a quote counted on was taken by a concurrent order: price again."""


class _SameKeyMeanwhile(Exception):
    """A concurrent request with the same idempotency key committed its order first."""


def _submit(
    *,
    actor: Actor,
    account_id: int,
    lines: list[OrderLineIn],
    note: str,
    ship_to: str,
    source: str,
    idempotency_key: str,
    body_hash: str,
    draft: Order | None = None,
) -> Submitted:
    account = account_to_order_for(actor, account_id)
    brand_id = account.brand_id
    if not actor.has_role(brand_id, *BUYERS):
        raise Forbidden("your role may not place orders in this brand", code="permission_denied")
    if account.status != DistributorAccount.Status.ACTIVE:
        raise ValidationFailed(
            f"distributor {account.code} is {account.get_status_display()}: only active distributors may order",
            code="distributor_inactive",
            field="distributor_id",
        )
    _check_lines(lines)

    client = _client(actor)
    if idempotency_key:
        earlier = _earlier(brand_id, client, idempotency_key, body_hash)
        if earlier is not None:
            return Submitted(earlier, replayed=True)

    quote = pricing.quote(buyer_of(account), [pricing.Line(line.sku, line.qty) for line in lines])
    if not quote.ok:
        reasons = [f"line {n} ({q.sku}): {q.reason}" for n, q in enumerate(quote.lines, start=1) if not q.ok]
        raise ValidationFailed("; ".join(reasons), code="lines_invalid", field="lines")
    book = quote.book
    rows = lines_of(quote)
    needs: dict[int, int] = defaultdict(int)
    for row in rows:
        needs[row.product_id] += row.qty
    total = quote.total

    if actor.is_distributor_only(brand_id):
        source = source if source in (Order.Source.PHONE, Order.Source.WEB, Order.Source.API) else Order.Source.WEB
    elif actor.has_role(brand_id, INTEGRATION_ROLE) and actor.user is None:
        source = Order.Source.API
    else:
        source = Order.Source.STAFF

    approved, position = credit.reserve(
        brand_id=brand_id, account_id=account.id, amount=total, default_limit=account.credit_limit
    )
    if not approved:  # a held order reserves nothing yet, but must not ask for what is not there
        free = stock.available(brand_id, list(needs))
        _refuse_shortages(
            rows, [stock.Shortage(p, n, free.get(p, 0)) for p, n in sorted(needs.items()) if n > free.get(p, 0)]
        )

    now = timezone.now()
    if draft is not None:
        draft = Order.objects.select_for_update().get(pk=draft.pk, account=account)
        if draft.status != S.DRAFT:
            raise Conflict(f"order {draft.number} was already submitted", field="status")
        OrderLine.objects.filter(order=draft).delete()
    order = Order(
        pk=draft.pk if draft else None,
        created_at=draft.created_at if draft else None,
        brand_id=brand_id,
        number=draft.number if draft else _new_number("SO"),
        account=account,
        division_id=account.registered_division_id,
        status=S.ALLOCATED if approved else S.CREDIT_HOLD,
        source=source,
        placed_by=actor.user,
        note=note,
        ship_to=ship_to or account.address,
        catalog_version=quote.version,
        priced_at=quote.at,
        list_total=quote.list_total,
        total=total,
        credit_committed=total if approved else Decimal("0"),
        submitted_at=now,
        approved_at=now if approved else None,
        hold_reason=""
        if approved
        else f"超出信用额度：订单 {total}，可用 {position.available}（额度 {position.total}，"
        f"应收 {position.receivable}，在途订单 {position.committed}）",
    )
    if draft is not None:
        order.save(force_update=True)
    else:
        sql.insert([order])
    _save_lines(order, rows, reserved=approved)
    if idempotency_key and not _claim(brand_id, client, idempotency_key, body_hash, order):
        raise _SameKeyMeanwhile()

    created = audit.entry_for(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=order,
        brand_id=brand_id,
        after={"number": order.number, "status": S.SUBMITTED, "total": total, "lines": len(rows)},
    )
    if approved:
        _changed(actor, order, S.SUBMITTED, note="信用额度内，自动审核并锁定库存", also=[created])
    else:
        _changed(actor, order, S.SUBMITTED, note=order.hold_reason, also=[created])
        _start_credit_override(actor, order, position)
    # Last, the rows other orders wait for (a SKU's stock, a capped promotion), held only until the
    # commit that follows: the order is written and audited before they are locked.
    if approved:
        plan, shortages = stock.reserve(brand_id, dict(needs), province=account.registered_division_id)
        _refuse_shortages(rows, shortages)
        _save_allocations(order, rows, plan)
    _take_budgets(order, book, quote)
    return Submitted(order, replayed=False, lines=rows)


def _refuse_shortages(rows: list[OrderLine], shortages: list[stock.Shortage]) -> None:
    if shortages:
        skus = {row.product_id: row.sku for row in rows}
        words = [f"{skus[s.product_id]}: {s.available} available, {s.needed} ordered" for s in shortages]
        raise Conflict("not enough stock: " + "; ".join(words), code="insufficient_stock", field="lines")


def _check_lines(lines: list[OrderLineIn]) -> None:
    if not lines:
        raise ValidationFailed("an order needs at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"an order has at most {MAX_LINES} lines", field="lines")
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line.qty <= 0:
            raise ValidationFailed(f"line {number}: quantity must be a positive whole number", field="lines")
        sku = line.sku.strip()
        if not sku:
            raise ValidationFailed(f"line {number}: SKU is empty", field="lines")
        if sku in seen:
            raise ValidationFailed(f"line {number}: SKU {sku} is already on line {seen[sku]}", field="lines")
        seen[sku] = number


def _client(actor: Actor) -> str:
    if actor.user is not None:
        return f"user:{actor.user.pk}"
    return f"key:{actor.api_key.pk}" if actor.api_key is not None else f"actor:{actor}"


def _earlier(brand_id: int, client: str, key: str, body_hash: str) -> Order | None:
    """The order an earlier request with this key created; the same key with another body is refused."""
    with sql.cursor() as cursor:  # every submission asks, and nearly always hears no
        cursor.execute(
            'SELECT body_hash, order_id FROM orders_idempotencykey WHERE brand_id = %s AND client = %s AND "key" = %s',
            [brand_id, client, key],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    if row[0] != body_hash:
        raise ValidationFailed(
            "this Idempotency-Key was used for a different request; use a new key for a new order",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return Order.objects.get(pk=row[1])


def _claim(brand_id: int, client: str, key: str, body_hash: str, order: Order) -> bool:
    """Record the key with the order, in the order's transaction. False when a concurrent request
    with the same key committed first (the unique index made this insert wait for it): this
    order is then undone and the request answered with that one."""
    q = connection.ops.quote_name
    table, columns = q(IdempotencyKey._meta.db_table), ", ".join(map(q, ["brand_id", "client", "key", "body_hash"]))
    with sql.cursor() as cursor:
        # One statement, no savepoint: the conflict is an answer here, not an error.
        cursor.execute(
            f"INSERT INTO {table} ({columns}, {q('order_id')}, {q('created_at')}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608 - names from the model
            f" ON CONFLICT ({columns.replace(', ' + q('body_hash'), '')}) DO NOTHING RETURNING {q('id')}",
            [brand_id, client, key, body_hash, order.pk, timezone.now()],
        )
        return cursor.fetchone() is not None


def lines_of(quote: pricing.Quote) -> list[OrderLine]:
    """A quote as unsaved order lines: each priced line followed by the gifts its promotions give
    (at zero, with ``gift_parent`` naming the line that earned them)."""
    book = quote.book
    rows: list[OrderLine] = []
    for quoted in quote.lines:
        line = OrderLine(
            product_id=quoted.product_id,
            sku=quoted.sku,
            name=quoted.name,
            unit=quoted.unit,
            tax_category=quoted.tax_category,
            qty=quoted.qty,
            list_price=quoted.list_price,
            unit_price=quoted.unit_price,
            list_amount=quoted.list_amount,
            amount=quoted.amount,
            price_rule=quoted.price_rule[:200],
            promotions=quoted.promotions,
        )
        rows.append(line)
        for gift in quoted.gifts:
            product = book.products.get(gift["sku"])
            if product is None:
                raise ValidationFailed(f"gift SKU {gift['sku']} of promotion {gift['promotion']} does not exist")
            gift_line = OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit=product.unit,
                tax_category=product.tax_category,
                qty=gift["qty"],
                list_price=Decimal("0"),
                unit_price=Decimal("0"),
                list_amount=Decimal("0"),
                amount=Decimal("0"),
                price_rule="gift",
                promotion_code=gift["promotion"],
            )
            gift_line.gift_parent = line
            rows.append(gift_line)
    return rows


def _save_lines(order: Order, rows: list[OrderLine], *, reserved: bool) -> None:
    """Insert the lines (gifts after their line); ``reserved``: all their units are about to be
    reserved (an approved order reserves all or is refused)."""
    for number, row in enumerate(rows, start=1):
        row.brand_id, row.order, row.line_no = order.brand_id, order, number
        row.reserved_qty = row.qty if reserved else 0
    sql.insert([row for row in rows if not getattr(row, "gift_parent", None)])
    gifts = [row for row in rows if getattr(row, "gift_parent", None)]
    for gift in gifts:
        gift.gift_of = gift.gift_parent
    sql.insert(gifts)


def promotion_uses(quote: pricing.Quote) -> dict[str, tuple[Decimal, int]]:
    """What each promotion gave in a quote, by code: the money off and the gift units (what its
    budget counts)."""
    money: dict[str, Decimal] = defaultdict(Decimal)
    units: dict[str, int] = defaultdict(int)
    for line in quote.lines:
        for applied in line.promotions:
            money[applied["code"]] += Decimal(applied["off"])
        for gift in line.gifts:
            units[gift["promotion"]] += gift["qty"]
    return {code: (money[code], units[code]) for code in sorted(set(money) | set(units))}


def _take_budgets(order: Order, book: pricing.PriceBook, quote: pricing.Quote) -> None:
    """Record what each promotion gave and take it from the capped ones' budgets, in id order; a
    budget a concurrent order emptied since the quote sends the whole order back to be priced
    again. Uncapped promotions' rows are left alone, so the orders sharing one never queue."""
    by_code = {p.code: p for p in book.promotions}
    uses = [(by_code[code], money, units) for code, (money, units) in promotion_uses(quote).items()]
    rows = []
    for promotion, money, units in sorted(uses, key=lambda use: use[0].id):
        if promotion.is_capped and not use_budget(promotion_id=promotion.id, money_used=money, units=units):
            raise _BudgetRace()
        rows.append(
            OrderPromotion(
                brand_id=order.brand_id, order=order, promotion=promotion, money_used=money, units_used=units
            )
        )
    sql.insert(rows)


def _start_credit_override(actor: Actor, order: Order, position: credit.CreditPosition) -> None:
    """Send a held order into the brand's ``order_credit_override`` process, when it has one;
    without one, finance decides on the order page (:func:`decide_credit_hold`)."""
    from channelhub.workflow.services import has_published_process, start_process

    if not has_published_process(order.brand_id, "order_credit_override"):
        return
    instance = start_process(
        actor=actor,
        brand_id=order.brand_id,
        key="order_credit_override",
        subject_type=ORDER_SUBJECT,
        subject_id=order.pk,
        subject_label=f"{order.number} {order.account.name}"[:200],
        subject_divisions=[order.division_id],
        data={
            "order_amount": order.total,
            "available_credit": position.available,
            "credit_limit": position.total,
            "over_by": order.total - position.available,
            "grade": order.account.grade,
        },
    )
    Order.objects.filter(pk=order.pk).update(credit_process_id=instance.pk)
    order.credit_process_id = instance.pk


# --- drafts (a saved cart) -------------------------------------------------------------------


@transaction.atomic
def save_draft(
    *,
    actor: Actor,
    account_id: int,
    lines: list[OrderLineIn],
    note: str = "",
    ship_to: str = "",
    draft: Order | None = None,
) -> Order:
    """Keep an order to finish later (草稿): priced for display, nothing reserved or counted
    against credit; prices are taken again when it is submitted."""
    account = account_to_order_for(actor, account_id)
    if not actor.has_role(account.brand_id, *BUYERS):
        raise Forbidden("your role may not place orders in this brand", code="permission_denied")
    _check_lines(lines)
    quote = pricing.quote(buyer_of(account), [pricing.Line(line.sku, line.qty) for line in lines])
    if not quote.ok:
        reasons = [f"line {n} ({q.sku}): {q.reason}" for n, q in enumerate(quote.lines, start=1) if not q.ok]
        raise ValidationFailed("; ".join(reasons), code="lines_invalid", field="lines")
    if draft is None:
        order = Order(brand_id=account.brand_id, number=_new_number("SO"), account=account, placed_by=actor.user,
                      division_id=account.registered_division_id)  # fmt: skip
    else:
        order = Order.objects.select_for_update().get(pk=draft.pk, account=account)
        if order.status != S.DRAFT:
            raise Conflict(f"order {order.number} was already submitted", field="status")
        OrderLine.objects.filter(order=order).delete()
    order.note, order.ship_to = note, ship_to or account.address
    order.catalog_version, order.priced_at = quote.version, quote.at
    order.list_total, order.total = quote.list_total, quote.total
    order.save()
    _save_lines(order, lines_of(quote), reserved=False)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE if draft is None else AuditEntry.Action.UPDATE,
        obj=order,
        brand_id=order.brand_id,
        after={"number": order.number, "status": S.DRAFT, "total": order.total, "lines": len(lines)},
    )
    return order


@transaction.atomic
def discard_draft(*, actor: Actor, order: Order) -> None:
    """Throw a draft away (it was never submitted, so nothing else changes)."""
    order = _locked(order)
    if order.status != S.DRAFT:
        raise Conflict(f"order {order.number} was submitted: cancel it instead", field="status")
    if not actor.has_role(order.brand_id, *BUYERS):
        raise Forbidden("your role may not place orders in this brand", code="permission_denied")
    audit.record(actor=actor, action=AuditEntry.Action.DELETE, obj=order, brand_id=order.brand_id,
                 before={"number": order.number, "status": S.DRAFT})  # fmt: skip
    order.delete()


def draft_lines(order: Order) -> list[OrderLineIn]:
    """What a draft orders (gifts are the engine's to give again)."""
    return [OrderLineIn(line.sku, line.qty) for line in order.lines.filter(gift_of__isnull=True).order_by("line_no")]


# --- after submit -----------------------------------------------------------------------------


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("account").get(pk=order.pk)


@transaction.atomic
def decide_credit_hold(*, actor: Actor, order: Order, approve: bool, comment: str = "") -> Order:
    """Finance releases a held order over the limit, or refuses it (then it is cancelled). Orders
    in an override process are decided there."""
    if not actor.has_role(order.brand_id, *CREDIT_DECIDERS):
        raise Forbidden("only finance or a brand admin decides credit holds", code="permission_denied")
    order = _locked(order)
    if order.status != S.CREDIT_HOLD:
        raise Conflict(f"order {order.number} is not on credit hold", field="status")
    if order.credit_process_id is not None:
        raise Conflict("this hold is decided in its approval process (待办)", code="in_process")
    if not approve and not comment.strip():
        raise ValidationFailed("say why the order is refused", field="comment")
    return _release_hold(actor, order, comment) if approve else _cancel(actor, order, comment or "财务拒绝放行")


def credit_override_finished(*, instance_id: int, order_id: int, approved: bool) -> None:
    """The ``order_credit_override`` process ended: release the order or cancel it."""
    actor = Actor.system("workflow")
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("account").filter(pk=order_id).first()
        if order is None or order.status != S.CREDIT_HOLD or order.credit_process_id != instance_id:
            return
        if approved:
            _release_hold(actor, order, "超信用审批通过")
        else:
            _cancel(actor, order, "超信用审批驳回")


def _release_hold(actor: Actor, order: Order, comment: str) -> Order:
    credit.reserve(brand_id=order.brand_id, account_id=order.account_id, amount=order.total, force=True)
    order.status, order.approved_at, order.credit_committed = S.APPROVED, timezone.now(), order.total
    order.hold_reason = ""
    order.save(update_fields=["status", "approved_at", "credit_committed", "hold_reason"])
    _changed(actor, order, S.CREDIT_HOLD, note=comment or "财务放行")
    _allocate(actor, order)
    return order


@transaction.atomic
def allocate_order(*, actor: Actor, order: Order) -> Order:
    """Try again to reserve stock for an approved order that was waiting for it."""
    if not actor.has_role(order.brand_id, *ORDER_DESK, INTEGRATION_ROLE):
        raise Forbidden("your role may not allocate orders", code="permission_denied")
    order = _locked(order)
    if order.status != S.APPROVED:
        raise Conflict(f"order {order.number} is {order.get_status_display()}, not waiting for stock", field="status")
    credit.locked(brand_id=order.brand_id, account_id=order.account_id)  # the lock order: credit, then stock
    if not _allocate(actor, order):
        raise Conflict(f"still not enough stock: {order.hold_reason}", code="insufficient_stock")
    return order


def _allocate(actor: Actor, order: Order) -> bool:
    """Reserve all of an approved order's units, or none (it then waits, saying for what)."""
    lines = list(order.lines.all())
    needs: dict[int, int] = defaultdict(int)
    for line in lines:
        needs[line.product_id] += line.qty
    with transaction.atomic():
        plan, shortages = stock.reserve(order.brand_id, dict(needs), province=order.division_id)
        if shortages:
            transaction.set_rollback(True)
    if shortages:
        skus = {line.product_id: line.sku for line in lines}
        words = "；".join(f"{skus[s.product_id]} 可用 {s.available}，需要 {s.needed}" for s in shortages)
        order.hold_reason = f"等待库存：{words}"[:300]
        Order.objects.filter(pk=order.pk).update(hold_reason=order.hold_reason)
        return False
    _save_allocations(order, lines, plan)
    OrderLine.objects.filter(order=order).update(reserved_qty=F("qty"))
    order.status, order.hold_reason = S.ALLOCATED, ""
    order.save(update_fields=["status", "hold_reason"])
    _changed(actor, order, S.APPROVED, note="库存已锁定")
    return True


def _save_allocations(order: Order, lines: list[OrderLine], plan: dict[int, list[tuple[int, int]]]) -> None:
    """Spread the stock plan (product -> [(warehouse, units)]) over the lines as allocations."""
    left = {product_id: list(taken) for product_id, taken in plan.items()}
    allocations = []
    for line in lines:
        need = line.qty
        while need and left.get(line.product_id):
            warehouse_id, units = left[line.product_id][0]
            take = min(need, units)
            allocations.append(Allocation(brand_id=order.brand_id, line=line, warehouse_id=warehouse_id, qty=take))
            need -= take
            if take == units:
                left[line.product_id].pop(0)
            else:
                left[line.product_id][0] = (warehouse_id, units - take)
    sql.insert(allocations)


def may_cancel(actor: Actor, order: Order) -> bool:
    """The distributor's users (their own orders reach them only), the order desk, or the
    distributor's integration, while nothing has shipped."""
    may = actor.has_role(order.brand_id, *ORDER_DESK, SYSTEM_ROLE, Role.DISTRIBUTOR_USER, INTEGRATION_ROLE)
    return may and order.status in CANCELLABLE


def allowed_actions(actor: Actor, order: Order) -> frozenset[str]:
    """What the actor may do to the order in its present state, for pages to offer (each service
    checks again when called): cancel, decide_credit, allocate, ship, complete, receive,
    request_return, decide_return, receive_return."""
    from channelhub.orders.fulfilment import RETURNABLE, SHIPPERS  # fulfilment imports this module

    brand = order.brand_id
    desk = actor.has_role(brand, *ORDER_DESK, SYSTEM_ROLE)
    own = actor.is_distributor_only(brand)  # its orders are the only ones it can reach
    found = set()
    if may_cancel(actor, order):
        found.add("cancel")
    if order.status == S.CREDIT_HOLD and order.credit_process_id is None and actor.has_role(brand, *CREDIT_DECIDERS):
        found.add("decide_credit")
    if order.status == S.APPROVED and actor.has_role(brand, *ORDER_DESK, INTEGRATION_ROLE):
        found.add("allocate")
    if order.status in (S.ALLOCATED, S.PARTIALLY_SHIPPED) and actor.has_role(brand, *SHIPPERS):
        found.add("ship")
    if order.status == S.DELIVERED and desk:
        found.add("complete")
    if desk or own:
        found.add("receive")
        if order.status in RETURNABLE:
            found.add("request_return")
    if actor.has_role(brand, *ORDER_DESK):
        found |= {"decide_return", "receive_return"}
    return frozenset(found)


@transaction.atomic
def cancel_order(*, actor: Actor, order: Order, reason: str) -> Order:
    """Cancel an order before its goods leave: its stock, credit and promotion budgets are given
    back. Once goods have shipped, a return is the way back."""
    if not reason.strip():
        raise ValidationFailed("say why the order is cancelled", field="reason")
    order = _locked(order)
    if order.status in (S.CANCELLED, S.COMPLETED):
        raise Conflict(f"order {order.number} is already {order.get_status_display()}", field="status")
    if order.status == S.DRAFT:
        raise Conflict(f"order {order.number} is a draft: discard it instead", field="status")
    if not may_cancel(actor, order):
        if order.status in CANCELLABLE:
            raise Forbidden("your role may not cancel orders", code="permission_denied")
        raise Conflict(
            f"order {order.number} is {order.get_status_display()}: goods have left, ask for a return instead",
            code="cannot_cancel",
            field="status",
        )
    return _cancel(actor, order, reason.strip())


def _cancel(actor: Actor, order: Order, reason: str) -> Order:
    previous = order.status
    credit.release(brand_id=order.brand_id, account_id=order.account_id, amount=order.credit_committed)
    allocations = Allocation.objects.filter(line__order=order).values_list(
        "warehouse_id", "line__product_id", "qty", "shipped_qty"
    )
    stock.unreserve(order.brand_id, [(w, p, qty - shipped) for w, p, qty, shipped in allocations])
    OrderLine.objects.filter(order=order).update(reserved_qty=0)
    uses = OrderPromotion.objects.filter(order=order, released=False).select_related("promotion")
    for use in sorted(uses, key=lambda u: u.promotion_id):
        if not use.promotion.is_capped:
            continue
        Promotion.objects.filter(pk=use.promotion_id).update(
            used_amount=F("used_amount") - use.money_used, used_quantity=F("used_quantity") - use.units_used
        )
    OrderPromotion.objects.filter(order=order).update(released=True)
    order.status, order.cancel_reason, order.closed_at = S.CANCELLED, reason[:300], timezone.now()
    order.credit_committed, order.hold_reason = Decimal("0"), ""
    order.save(update_fields=["status", "cancel_reason", "closed_at", "credit_committed", "hold_reason"])
    _changed(actor, order, previous, note=reason)
    return order


@transaction.atomic
def complete_order(*, actor: Actor, order: Order) -> Order:
    """Close a delivered order (the order desk; the scheduler closes them after a week)."""
    if not actor.has_role(order.brand_id, *ORDER_DESK, SYSTEM_ROLE):
        raise Forbidden("only the order desk completes orders", code="permission_denied")
    order = _locked(order)
    if order.status != S.DELIVERED:
        raise Conflict(f"only a delivered order can be completed; this one is {order.get_status_display()}")
    order.status, order.closed_at = S.COMPLETED, timezone.now()
    order.save(update_fields=["status", "closed_at"])
    _changed(actor, order, S.DELIVERED)
    return order


def complete_delivered(*, days: int = 7, batch: int = 1000) -> int:
    """Complete orders delivered more than ``days`` ago (a scheduler job); returns how many."""
    actor = Actor.system("scheduler")
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        set_brand_scope(actor.brand_ids)
        due = list(Order.objects.filter(status=S.DELIVERED, delivered_at__lt=cutoff).only("pk", "brand_id")[:batch])
        for order in due:
            complete_order(actor=actor, order=order)
    return len(due)


def forget_idempotency_keys(*, days: int = 30) -> int:
    """Idempotency keys older than ``days`` are dropped: clients retry within minutes, not months."""
    actor = Actor.system("scheduler")
    with transaction.atomic():
        set_brand_scope(actor.brand_ids)
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
