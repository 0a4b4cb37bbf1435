"""Orders at once (PostgreSQL): many orders racing for the same stock, credit line, promotion
budget or idempotency key, and a server killed in the middle of a burst of submissions.

Every race runs in real threads, each with its own database connection, on committed data, as
production's worker processes would. The checks read through the owner connection, which
row-level security does not restrict, and compare each balance with the rows that justify it:
``StockLevel.reserved`` with the allocations, ``CreditAccount.committed`` with the approved
orders, ``Promotion.used_amount`` with the orders' promotion uses.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Sum
from django.test import Client
from django.utils import timezone

from channelhub.catalog.models import Promotion
from channelhub.catalog.tests.conftest import Shop
from channelhub.core.errors import Conflict, ValidationFailed
from channelhub.finance.models import CreditAccount, TemporaryCredit
from channelhub.orders import services, stock
from channelhub.orders.models import Allocation, IdempotencyKey, Order, OrderLine, OrderPromotion, StockLevel
from channelhub.tenancy.actor import Actor
from channelhub.tenancy.rls import set_brand_scope
from channelhub.tenancy.services import issue_api_token
from channelhub.testing import PASSWORD, AccountFactory, actor_of, distributor_user, see_all_brands, wait_until_serving

pytestmark = [
    # committed data that other connections (threads, a server process) see, as in production
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
    pytest.mark.skipif(
        "owner" not in settings.DATABASES,
        reason="a real race needs PostgreSQL: SQLite lets one writer in at a time, so nothing would run at once",
    ),
]

S = Order.Status
ROOT = Path(__file__).resolve().parents[3]
OWNER = "owner"  # reads past row-level security


# --- the arena: a brand, its SKUs, stock and distributors, committed ---------------------------


@dataclass
class Buyer:
    account_id: int
    actor: Actor
    username: str


class Arena:
    """A brand ready to take orders, committed so that every thread and process sees it: SKUs of
    pack size 1 at 10.00 authorized in 江苏, warehouses with the given stock, and ``buyers``
    distributors in 南京, each with its own user and a credit line of ``limit``."""

    PRICE = Decimal("10.00")

    def __init__(self, *, buyers: int, stock_by_warehouse: dict[str, dict[str, int]], limit: str = "1000000"):
        with transaction.atomic():
            see_all_brands()
            shop = Shop()
            skus = sorted({sku for counts in stock_by_warehouse.values() for sku in counts})
            for sku in skus:
                shop.allow(shop.product(sku, pack_size=1), "320000")
            shop.price_list("base", prices=[(sku, str(self.PRICE)) for sku in skus])
            for n, (code, counts) in enumerate(stock_by_warehouse.items()):
                division = "320100" if n == 0 else "110000"  # the first in 江苏, the others in 北京
                stock.create_warehouse(actor=shop.actor, brand_id=shop.brand.id, code=code, name=code,
                                       division_code=division, priority=10 * (n + 1))  # fmt: skip
                stock.sync_stock(actor=shop.actor, brand_id=shop.brand.id, warehouse_code=code,
                                 counts=[stock.StockCount(sku, units) for sku, units in counts.items()])  # fmt: skip
            self.buyers = []
            for _ in range(buyers):
                account = AccountFactory(brand=shop.brand, credit_limit=Decimal(limit), territory=["320000"])
                CreditAccount.objects.create(brand=shop.brand, account=account, limit=Decimal(limit))
                user = distributor_user(account)
                self.buyers.append(Buyer(account.id, actor_of(user), user.username))
        self.shop, self.brand_id = shop, shop.brand.id

    def place(self, buyer: Buyer, lines: list[tuple[str, int]], key: str = "") -> "Outcome":
        """One order in its own transaction, as a request would place it."""
        try:
            with transaction.atomic():
                set_brand_scope([self.brand_id])
                result = services.submit_order(
                    actor=buyer.actor,
                    account_id=buyer.account_id,
                    lines=[services.OrderLineIn(sku, qty) for sku, qty in lines],
                    idempotency_key=key,
                    body_hash=services.request_hash({"lines": lines}) if key else "",
                )
            return Outcome(order_id=result.order.pk, status=result.order.status)
        except (Conflict, ValidationFailed) as refused:
            return Outcome(refused=refused.code)

    # what the database holds, read as the owner

    def orders(self):
        return Order.objects.using(OWNER).filter(brand_id=self.brand_id)

    def reserved(self) -> dict[tuple[int, int], int]:
        rows = StockLevel.objects.using(OWNER).filter(brand_id=self.brand_id)
        return {(r.warehouse_id, r.product_id): r.reserved for r in rows}

    def on_hand(self) -> dict[tuple[int, int], int]:
        rows = StockLevel.objects.using(OWNER).filter(brand_id=self.brand_id)
        return {(r.warehouse_id, r.product_id): r.on_hand for r in rows}

    def allocated(self) -> dict[tuple[int, int], int]:
        """Allocated and not shipped units per (warehouse, product), from the allocation rows."""
        totals: dict[tuple[int, int], int] = defaultdict(int)
        rows = Allocation.objects.using(OWNER).filter(brand_id=self.brand_id)
        for warehouse_id, product_id, qty, shipped in rows.values_list(
            "warehouse_id", "line__product_id", "qty", "shipped_qty"
        ):
            totals[(warehouse_id, product_id)] += qty - shipped
        return totals

    def committed(self) -> dict[int, Decimal]:
        rows = CreditAccount.objects.using(OWNER).filter(brand_id=self.brand_id)
        return dict(rows.values_list("account_id", "committed"))

    def approved_totals(self) -> dict[int, Decimal]:
        """Per account, the totals of its orders that hold credit (approved and allocated ones)."""
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for account_id, total in (
            self.orders().filter(status__in=[S.APPROVED, S.ALLOCATED]).values_list("account_id", "total")
        ):
            totals[account_id] += total
        return totals

    def assert_books_balance(self) -> None:
        """Every balance equals the rows behind it, and no stock is promised twice."""
        reserved, allocated, on_hand = self.reserved(), self.allocated(), self.on_hand()
        assert {k: v for k, v in reserved.items() if v} == dict(allocated)
        assert all(reserved[k] <= on_hand[k] for k in reserved)
        lines = OrderLine.objects.using(OWNER).filter(order__brand_id=self.brand_id, order__status=S.ALLOCATED)
        assert lines.exclude(reserved_qty=F("qty")).count() == 0
        by_line = dict(
            Allocation.objects.using(OWNER)
            .filter(brand_id=self.brand_id)
            .values("line_id")
            .annotate(units=Sum("qty"))
            .values_list("line_id", "units")
        )
        assert by_line == dict(lines.values_list("id", "qty"))
        committed = self.committed()
        assert {k: v for k, v in committed.items() if v} == {k: v for k, v in self.approved_totals().items() if v}


@dataclass(frozen=True)
class Outcome:
    order_id: int | None = None
    status: str = ""
    refused: str = ""


def race(per_worker: list[list[Callable[[], object]]], timeout: float = 90) -> list:
    """Each worker thread makes its calls in turn, all workers starting together; every result.

    Each call gets a database connection of its thread's own, handed back after the call, as a
    server's request would.
    An exception other than a refusal (a deadlock, say) fails the test."""
    barrier, results, errors, lock = threading.Barrier(len(per_worker)), [], [], threading.Lock()

    def work(calls: list[Callable[[], object]]) -> None:
        try:
            barrier.wait(timeout=30)
            for call in calls:
                outcome = call()
                connections.close_all()  # back to the pool after each order, as at the end of a request
                with lock:
                    results.append(outcome)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(calls,)) for calls in per_worker]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a worker is still running: a lock never came free?"
    assert not errors, errors[:3]
    assert len(results) == sum(len(calls) for calls in per_worker)
    return results


# --- the races ---------------------------------------------------------------------------------


def test_a_thousand_orders_for_five_hundred_units_reserve_exactly_five_hundred():
    # given: 500 units of one SKU over two warehouses (320 in 江苏, 180 in 北京), and 20
    # distributors with ample credit, each placing 50 orders of one unit as fast as it can
    arena = Arena(buyers=20, stock_by_warehouse={"east": {"R-1": 320}, "north": {"R-1": 180}})
    per_worker = [[lambda b=buyer: arena.place(b, [("R-1", 1)]) for _ in range(50)] for buyer in arena.buyers]

    # when
    outcomes = race(per_worker)

    # then: 500 orders got a unit each, the 500 others were refused for stock and wrote nothing
    assert Counter(o.status or o.refused for o in outcomes) == {S.ALLOCATED: 500, "insufficient_stock": 500}
    assert arena.orders().count() == 500
    assert sorted(arena.reserved().values()) == [180, 320]  # each warehouse emptied, never beyond
    assert arena.reserved() == arena.on_hand()
    assert Allocation.objects.using(OWNER).filter(brand_id=arena.brand_id).count() == 500
    assert arena.allocated() == arena.reserved()
    assert sum(arena.committed().values()) == 500 * Arena.PRICE
    arena.assert_books_balance()


def test_orders_racing_for_one_credit_line_never_spend_beyond_the_limit_and_temporary_credit():
    # given: one distributor with 1,000.00 of credit and 200.00 of temporary credit today, and 16
    # clients placing 8 orders each for it at once, 10.00 to 90.00 apiece (about 6,400 wanted)
    arena = Arena(buyers=1, stock_by_warehouse={"east": {"R-1": 10_000}}, limit="1000.00")
    buyer = arena.buyers[0]
    with transaction.atomic(using=OWNER):
        today = timezone.localdate()
        TemporaryCredit.objects.using(OWNER).create(
            brand_id=arena.brand_id,
            credit_account=CreditAccount.objects.using(OWNER).get(account_id=buyer.account_id),
            amount=Decimal("200.00"),
            valid_from=today - timedelta(days=1),
            valid_to=today + timedelta(days=1),
            reason="旺季临时额度",
        )
    per_worker = [
        [lambda qty=1 + (worker + n) % 9: arena.place(buyer, [("R-1", qty)]) for n in range(8)] for worker in range(16)
    ]

    # when
    outcomes = race(per_worker)

    # then: what is committed is exactly the approved orders, within limit + temporary credit
    committed = arena.committed()[buyer.account_id]
    assert committed <= Decimal("1200.00")
    assert committed == arena.approved_totals()[buyer.account_id]
    assert Counter(o.refused for o in outcomes if o.refused) == {}
    held = arena.orders().filter(status=S.CREDIT_HOLD)
    assert held.exists() and held.count() + arena.orders().filter(status=S.ALLOCATED).count() == 16 * 8
    # and each held order says why, and did not fit even in what is left now
    for order in held:
        assert str(order.total) in order.hold_reason and "1200.00" in order.hold_reason  # the order and the limit
        assert order.total > Decimal("1200.00") - committed
        assert order.credit_committed == 0
    # and held orders reserved nothing
    assert sum(arena.reserved().values()) == sum(
        arena.orders().filter(status=S.ALLOCATED).values_list("lines__qty", flat=True)
    )
    arena.assert_books_balance()


def test_a_promotion_budget_holds_under_racing_orders_and_matches_its_uses():
    # given: 1.00 off each unit up to a budget of 100.00, and 16 distributors placing 6 orders
    # of 1 to 5 units each at once (about 290.00 of discount wanted)
    arena = Arena(buyers=16, stock_by_warehouse={"east": {"R-1": 10_000}})
    with transaction.atomic():
        see_all_brands()
        promotion = arena.shop.promotion("race-off", "amount_off", {"amount": "1"}, budget_amount="100.00")
    per_worker = [
        [lambda b=buyer, qty=1 + (n + i) % 5: arena.place(b, [("R-1", qty)]) for n in range(6)]
        for i, buyer in enumerate(arena.buyers)
    ]

    # when
    outcomes = race(per_worker)

    # then: the budget is never overspent, and what it shows used is exactly the orders' uses
    used = Promotion.objects.using(OWNER).get(pk=promotion.pk).used_amount
    assert Decimal("0") < used <= Decimal("100.00")
    uses = OrderPromotion.objects.using(OWNER).filter(promotion_id=promotion.pk, released=False)
    assert uses.aggregate(money=Sum("money_used"))["money"] == used
    orders = arena.orders()
    assert sum(order.list_total - order.total for order in orders) == used
    # and an order is placed, or refused only because the budget ran out under it (nothing written)
    refused = Counter(o.refused for o in outcomes if o.refused)
    assert set(refused) <= {"budget_exhausted"}
    assert orders.count() == 16 * 6 - sum(refused.values())
    arena.assert_books_balance()


def test_the_same_idempotency_key_sent_by_sixteen_threads_at_once_makes_one_order():
    # given: a distributor's token and one order body
    arena = Arena(buyers=1, stock_by_warehouse={"east": {"R-1": 1000}})
    buyer = arena.buyers[0]
    _, token = issue_api_token(username=buyer.username, password=PASSWORD)
    body = json.dumps({"distributor_id": buyer.account_id, "lines": [{"sku": "R-1", "qty": 7}]})

    def post() -> tuple[int, int]:
        response = Client().post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="retry-me-7",
        )
        return response.status_code, response.json()["id"]

    # when: sixteen threads send it at the same moment
    answers = race([[post] for _ in range(16)])

    # then: one created it, fifteen got the same order back, and it reserved its units once
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 1, 200: 15}
    assert len({order_id for _, order_id in answers}) == 1
    assert arena.orders().count() == 1
    assert IdempotencyKey.objects.using(OWNER).filter(brand_id=arena.brand_id).count() == 1
    assert sum(arena.reserved().values()) == 7
    arena.assert_books_balance()


# --- a server killed mid-burst -----------------------------------------------------------------


class Server:
    """The Procfile's gunicorn (one worker process), on a free port, against the
    test database (the app role under row-level security), in its own process group."""

    def __init__(self, name: str):
        owner = connections[OWNER].settings_dict  # the test database's name by now
        auth = quote(owner["USER"]) + (f":{quote(owner['PASSWORD'])}" if owner["PASSWORD"] else "")
        host = f"{owner['HOST'] or 'localhost'}:{owner['PORT'] or 5432}"
        self.name, self.port = name, _free_port()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER")
        } | {
            "DATABASE_URL": f"postgres://{auth}@{host}/{owner['NAME']}",
            "DATABASE_APP_USER": settings.DATABASES["default"]["USER"],
            "DATABASE_APP_PASSWORD": settings.DATABASES["default"]["PASSWORD"] or "",
            "DEBUG": "0",
            "PGAPPNAME": name,  # libpq names the server's sessions, so the test can wait for them to end
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
        }
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's output, read if it fails to start
        self.process = None

    def start(self) -> "Server":
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "channelhub.wsgi:application"]
        # our own interpreter and the Procfile's command line
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if wait_until_serving(self.port, self.process, seconds=60):
            return self
        self.stop(signal.SIGKILL)
        self.log.seek(0)
        raise AssertionError(f"the server did not start:\n{self.log.read()[-3000:].decode(errors='replace')}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        wait_for_sessions_to_end(self.name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_sessions_to_end(application_name: str, timeout: float = 30) -> None:
    """A killed client's sessions end once PostgreSQL reads the closed socket; until then one may
    still be finishing a COMMIT that was already sent."""
    deadline = time.monotonic() + timeout
    with connections[OWNER].cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
                [application_name],
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, f"sessions of {application_name} did not end"
            time.sleep(0.1)


class Submitter:
    """One client: its own keep-alive connection, a distributor's token, orders with their own keys."""

    def __init__(self, port: int, token: str):
        self.port, self.token, self.connection = port, token, None

    def post(self, key: str, body: dict) -> tuple[int, dict] | None:
        """The answer, or ``None`` when the connection failed (the server is gone)."""
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key,
                       "Content-Type": "application/json"}  # fmt: skip
            self.connection.request("POST", "/api/v1/orders", json.dumps(body), headers)
            response = self.connection.getresponse()
            return response.status, json.loads(response.read())
        except (OSError, http.client.HTTPException):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return None


def test_killing_the_server_mid_burst_loses_nothing_and_duplicates_nothing():
    # given: four distributors, each with a token, and 96 orders of two SKUs, each with its key
    arena = Arena(buyers=4, stock_by_warehouse={"east": {"R-1": 100_000, "R-2": 100_000}})
    tokens = [issue_api_token(username=b.username, password=PASSWORD)[1] for b in arena.buyers]
    requests = [
        (
            f"burst-{n:03d}",
            n % 4,
            {
                "distributor_id": arena.buyers[n % 4].account_id,
                "lines": [{"sku": "R-1", "qty": 1 + n % 7}, {"sku": "R-2", "qty": 1 + n % 3}],
            },
        )  # fmt: skip
        for n in range(96)
    ]
    first = Server("orders-kill-first").start()
    answers: dict[str, tuple[int, dict] | None] = {}
    lock, killed = threading.Lock(), threading.Event()

    def client(mine: list[tuple[str, int, dict]]) -> Callable[[], None]:
        def send() -> None:
            submitters = [Submitter(first.port, token) for token in tokens]
            for key, who, body in mine:
                answer = submitters[who].post(key, body)
                with lock:
                    answers[key] = answer
                    created = sum(1 for a in answers.values() if a and a[0] == 201)
                if created >= 24 and not killed.is_set():
                    killed.set()
                    os.killpg(first.process.pid, signal.SIGKILL)  # while the other seven are mid-request

        return send

    # when: eight clients fire the burst and the server is killed with SIGKILL in the middle of it
    try:
        race([[client(requests[i::8])] for i in range(8)], timeout=120)
    finally:
        first.stop(signal.SIGKILL)
    assert killed.is_set()

    # then: every answered order exists once, with its key, its stock and its credit
    answered = {key: a[1]["id"] for key, a in answers.items() if a and 200 <= a[0] < 300}
    lost = [key for key, a in answers.items() if a is None]
    assert 24 <= len(answered) < len(requests) and lost
    keys = IdempotencyKey.objects.using(OWNER).filter(brand_id=arena.brand_id)
    by_key = dict(keys.values_list("key", "order_id"))
    assert None not in by_key.values()  # no key row without its order
    assert sorted(by_key.values()) == sorted(arena.orders().values_list("pk", flat=True))  # nor the reverse
    assert all(by_key[key] == order_id for key, order_id in answered.items())
    assert set(arena.orders().values_list("status", flat=True)) == {S.ALLOCATED}
    arena.assert_books_balance()

    # when: a new server comes up and every request is sent again, same key and same body
    second = Server("orders-kill-second").start()
    again: dict[str, tuple[int, dict] | None] = {}

    def resend(mine: list[tuple[str, int, dict]]) -> None:
        submitters = [Submitter(second.port, token) for token in tokens]
        for key, who, body in mine:
            again[key] = submitters[who].post(key, body)

    try:
        race([[lambda mine=requests[i::8]: resend(mine)] for i in range(8)], timeout=120)
    finally:
        second.stop()
    assert None not in again.values()

    # then: what committed before the kill (answered or not) comes back as it was; the rest is new
    for key, _, _ in requests:
        status, order = again[key]
        if key in by_key:
            assert (status, order["id"]) == (200, by_key[key]), key
        else:
            assert status == 201, (key, status, order)
    assert arena.orders().count() == keys.count() == len(requests)
    assert None not in keys.values_list("order_id", flat=True)
    arena.assert_books_balance()
