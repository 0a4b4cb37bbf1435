"""Orders submitted over HTTP by concurrent clients, and the races that must never oversell.

A real server runs the application as production does: the Procfile's gunicorn
(``gunicorn.conf.py``, gthread) with ``WORKERS`` processes of ``THREADS`` threads, against the benchmark database, the
app role under row-level security on PostgreSQL. ``CLIENTS`` client threads post orders to
``POST /api/v1/orders`` over keep-alive connections (``http.client``), each order with its own
``Idempotency-Key``, as the brand's ERP integration would (an integration API key with the write
scope, which may order for any distributor of the brand).

- ``orders.submit.throughput_per_s`` and ``orders.submit.p95_ms``: orders of ``LINES`` lines for
  ``BUYERS`` distinct distributors of the first brand (active, with credit available and every
  line authorized and priced for them, checked with the price engine beforehand), after a
  warm-up. Goals: at least 200 orders/s, p95 under 150 ms.
- ``orders.submit_300_lines.p50_ms``: one order of 300 distinct SKUs for distributor_a1, one at a
  time. Goal: under 1 s.
- ``orders.oversell_count``: 1,000 orders of one unit racing over HTTP for a SKU with 500 units;
  units reserved beyond the stock (must be 0).
- ``orders.credit_overrun_count``: ``CREDIT_RACE_ORDERS`` orders racing for one distributor's
  credit line with 10,000.00 available; accounts whose open orders took more than they had
  available (must be 0).
- ``orders.submit.queries``: SQL statements of one 5-line submit through the API, in-process.

The throughput figures also say where the machine's cores went: CPU milliseconds per order of the
server's processes, PostgreSQL's, the client threads' and the whole machine's (from /proc).

Every run starts (and ends) by undoing the previous run: the orders it placed (their note is
``NOTE``) are deleted after their stock reservations, credit and promotion budgets are given
back, so the demo's balances are as the demo left them. The race SKU (``RACE_SKU``, authorized
nationally, 500 units over the brand's first two warehouses) is created on first use and reset
each run.
"""

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F, Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.bench_pricing import remove_layer
from bench.common import actor, cpu_ms_per, cpu_seconds, first_brand_id, percentile
from bench.database import log
from channelhub.catalog import pricing
from channelhub.catalog import services as catalog
from channelhub.catalog.models import Category, PriceList, Product, Promotion
from channelhub.core.models import AuditEntry
from channelhub.finance import credit
from channelhub.finance.models import CreditAccount
from channelhub.messaging.models import Notification
from channelhub.orders import services
from channelhub.orders.models import Allocation, Order, OrderPromotion, StockLevel, Warehouse
from channelhub.partners.models import DistributorAccount, DistributorUser
from channelhub.tenancy.models import ApiKey
from channelhub.tenancy.rls import set_brand_scope
from channelhub.tenancy.services import create_api_key
from channelhub.testing import wait_until_serving
from channelhub.workflow.models import ProcessInstance

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
# A worker process runs Python on one core at a time, and a keep-alive connection stays with the
# worker that accepted it: one process per client connection (two threads each, as
# gunicorn.conf.py) means no connection waits behind another in a busy worker. (4 processes gave
# about 10% fewer orders/s here.)
WORKERS = int(os.environ.get("BENCH_ORDERS_WORKERS", "8"))
THREADS = int(os.environ.get("BENCH_ORDERS_THREADS", "2"))
BUYERS = 1000
POOL = 60  # SKUs the throughput orders draw their lines from
LINES = 5
WARMUP_ORDERS = 160
ORDERS = 1600
ROUNDS = 3  # measured rounds of ORDERS; the median round is reported (this machine is noisy)
TOTAL_ORDERS = WARMUP_ORDERS + ROUNDS * ORDERS
BUYER_CREDIT = Decimal("40000")  # credit each buyer has left: about 5 orders of about 2,400 each, and luck
BIG_LINES, BIG_RUNS = 300, 5
RACE_SKU, RACE_UNITS, RACE_ORDERS = "BENCH-RACE-1", 500, 1000
CREDIT_RACE_ORDERS, CREDIT_RACE_AVAILABLE = 200, Decimal("10000.00")
NOTE = "bench-orders"


def run():
    brand_id = first_brand_id()
    admin = actor("brand_a_admin")
    with transaction.atomic():
        set_brand_scope([brand_id])
        undo_previous_run(brand_id)
        remove_layer(brand_id)  # the pricing benchmark's 200 promotions are not the demo's
        race_product = race_sku(admin, brand_id)
        data = choose(brand_id, race_product)
        token = integration_key(admin, brand_id)
    extra = {"clients": CLIENTS, "lines": LINES, **data.sizes}
    try:
        with Server(WORKERS) as server:
            extra |= {"workers": WORKERS, "server": server.description}
            yield from throughput(server, token, data, extra)
            yield big_order(server, token, data, extra)
            yield stock_race(server, token, data, brand_id, race_product, extra)
            yield credit_race(server, token, data, brand_id, extra)
        yield query_count(token, data, extra)
    finally:
        with transaction.atomic():
            set_brand_scope([brand_id])
            undo_previous_run(brand_id)
            for pk, limit in data.limits.items():
                CreditAccount.objects.filter(pk=pk).update(limit=limit)


# --- the data ---------------------------------------------------------------------------------


def undo_previous_run(brand_id: int) -> None:
    """Delete the orders of earlier runs, giving back what they hold (stock, credit, budgets).

    New balances are computed here and written as values: SQLite sums decimals as floats, and
    ``committed - sum`` could come out a hair below zero (the check constraint refuses it)."""
    orders = Order.objects.filter(brand_id=brand_id, note=NOTE)
    ids = list(orders.values_list("id", flat=True))
    if not ids:
        return
    log(f"orders: undoing {len(ids)} orders of an earlier run")
    units: dict[tuple[int, int], int] = defaultdict(int)
    for chunk in _chunks(ids):
        for warehouse_id, product_id, qty, shipped in Allocation.objects.filter(line__order_id__in=chunk).values_list(
            "warehouse_id", "line__product_id", "qty", "shipped_qty"
        ):
            units[(warehouse_id, product_id)] += qty - shipped
    for (warehouse_id, product_id), n in units.items():
        StockLevel.objects.filter(brand_id=brand_id, warehouse_id=warehouse_id, product_id=product_id).update(
            reserved=F("reserved") - n
        )
    amounts: dict[int, Decimal] = defaultdict(Decimal)
    for account_id, amount in orders.filter(credit_committed__gt=0).values_list("account_id", "credit_committed"):
        amounts[account_id] += amount
    for line in CreditAccount.objects.filter(brand_id=brand_id, account_id__in=list(amounts)):
        committed = max(Decimal("0"), line.committed - amounts[line.account_id])
        CreditAccount.objects.filter(pk=line.pk).update(committed=committed)
    used: dict[int, list] = defaultdict(lambda: [Decimal("0"), 0])
    for chunk in _chunks(ids):
        uses = OrderPromotion.objects.filter(order_id__in=chunk, released=False)
        for promotion_id, money, n in uses.values_list("promotion_id", "money_used", "units_used"):
            used[promotion_id][0] += money
            used[promotion_id][1] += n
    for promotion in Promotion.objects.filter(pk__in=list(used)):
        if not promotion.is_capped:  # uncapped promotions keep no counter
            continue
        money, n = used[promotion.pk]
        Promotion.objects.filter(pk=promotion.pk).update(
            used_amount=max(Decimal("0"), promotion.used_amount - money),
            used_quantity=max(0, promotion.used_quantity - n),
        )
    for chunk in _chunks(ids):
        subjects = [str(i) for i in chunk]
        AuditEntry.objects.filter(object_type=services.ORDER_SUBJECT, object_id__in=subjects).delete()
        Notification.objects.filter(brand_id=brand_id, link__in=[f"/orders/{i}/" for i in chunk]).delete()
        ProcessInstance.objects.filter(subject_type=services.ORDER_SUBJECT, subject_id__in=subjects).delete()
        Order.objects.filter(id__in=chunk).delete()


def _chunks(ids: list[int], size: int = 2000):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def race_sku(admin, brand_id: int) -> Product:
    """The SKU of the stock race: pack size 1 at 10.00, sold everywhere, 500 units in two warehouses."""
    product = Product.objects.filter(brand_id=brand_id, sku=RACE_SKU).first()
    if product is None:
        category = Category.objects.filter(brand_id=brand_id, parent__isnull=False).order_by("id").first()
        product = catalog.create_product(
            actor=admin, brand_id=brand_id, sku=RACE_SKU, name="基准抢购款", category=category, pack_size=1
        )
        base = PriceList.objects.get(brand_id=brand_id, code="base")
        catalog.set_prices(
            actor=admin, price_list=base, prices=[{"sku": RACE_SKU, "unit_price": "10.00", "min_qty": 1}]
        )
        catalog.authorize(actor=admin, brand_id=brand_id, allow=True, product=product, note=NOTE)
    # two warehouses (300 + 200 units): once the preferred one is empty, orders turn to the other
    first, second = Warehouse.objects.filter(brand_id=brand_id, is_active=True).order_by("priority", "id")[:2]
    StockLevel.objects.filter(brand_id=brand_id, product=product).exclude(warehouse__in=[first, second]).delete()
    for warehouse, units in ((first, RACE_UNITS * 3 // 5), (second, RACE_UNITS - RACE_UNITS * 3 // 5)):
        StockLevel.objects.update_or_create(
            brand_id=brand_id, warehouse=warehouse, product=product, defaults={"on_hand": units, "reserved": 0}
        )
    return product


class Data:
    """Who orders what: buyers with their sellable SKUs, the credit-race account, the big order."""

    def __init__(self):
        self.buyers: list[tuple[int, list[tuple[str, int]]]] = []  # (account id, [(sku, qty)])
        self.race_buyers: list[int] = []
        self.credit_account: tuple[int, list[tuple[str, int]]] | None = None
        self.big: tuple[int, list[tuple[str, int]]] | None = None
        self.before: dict[int, tuple[Decimal, Decimal]] = {}  # account -> (committed, available)
        self.limits: dict[int, Decimal] = {}  # credit lines the bench changed -> their own limit
        self.sizes: dict = {}


def choose(brand_id: int, race_product: Product) -> Data:
    """Distributors with credit to spare whose lines the engine accepts, and SKUs with stock."""
    data, rng = Data(), random.Random(20_000)
    free = dict(
        StockLevel.objects.filter(brand_id=brand_id, warehouse__is_active=True)
        .values("product_id")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
        .values_list("product_id", "free")
    )
    # each pool SKU is on about (ROUNDS * ORDERS + WARMUP_ORDERS) * LINES / POOL orders, at up to
    # twice its minimum quantity; three times that leaves room for the draw's luck
    products = Product.objects.filter(brand_id=brand_id, status=Product.Status.ACTIVE).exclude(sku=RACE_SKU)
    rows = products.order_by("id").values_list("id", "sku", "min_order_qty")
    enough = 3 * TOTAL_ORDERS * LINES // POOL  # times the minimum quantity
    pool = [(sku, qty) for pid, sku, qty in rows if free.get(pid, 0) >= qty * enough][: POOL * 2]
    rng.shuffle(pool)
    pool = pool[:POOL]
    rich = (
        CreditAccount.objects.filter(brand_id=brand_id, account__status=DistributorAccount.Status.ACTIVE)
        .filter(limit__gte=F("receivable") + F("committed") + BUYER_CREDIT)
        .order_by("account_id")
        .values_list("account_id", flat=True)
    )
    candidates = list(rich[: BUYERS * 2])
    rng.shuffle(candidates)
    accounts = DistributorAccount.objects.filter(id__in=candidates).prefetch_related("territory").in_bulk()
    lines = [pricing.Line(sku, qty) for sku, qty in pool] + [pricing.Line(RACE_SKU, 1)]
    for account_id in candidates:
        if len(data.buyers) >= BUYERS + 1:
            break
        quote = pricing.quote(services.buyer_of(accounts[account_id]), lines)
        sellable = [(q.sku, q.qty) for q in quote.lines[:-1] if q.ok]
        if len(sellable) < LINES * 4:
            continue
        data.buyers.append((account_id, sellable))
        if quote.lines[-1].ok:
            data.race_buyers.append(account_id)
    if len(data.buyers) <= BUYERS // 2 or len(data.race_buyers) < 100:
        raise RuntimeError(f"only {len(data.buyers)} buyers ({len(data.race_buyers)} for the race SKU) found")
    data.credit_account = data.buyers.pop()  # its own credit line, set below; no throughput orders
    data.race_buyers = [b for b in data.race_buyers if b != data.credit_account[0]]
    _credit_line(brand_id, data.credit_account[0], data)
    data.big = _big_order(brand_id, free, rng, data)
    accounts = [a for a, _ in data.buyers] + [data.credit_account[0], data.big[0]]
    data.before = credit_before(brand_id, accounts)
    data.sizes = {
        "buyers": len(data.buyers),
        "sku_pool": len(pool),
        "skus": Product.objects.filter(brand_id=brand_id).count(),
        "distributors": DistributorAccount.objects.filter(brand_id=brand_id).count(),
        "active_promotions": Promotion.objects.filter(brand_id=brand_id, status=Promotion.Status.ACTIVE).count(),
    }
    return data


def _credit_line(brand_id: int, account_id: int, data: Data) -> None:
    """Leave the credit-race account exactly ``CREDIT_RACE_AVAILABLE`` to spend (until the end)."""
    line = credit.locked(brand_id=brand_id, account_id=account_id)
    data.limits[line.pk] = line.limit
    position = credit.position(line)
    limit = position.receivable + position.committed - position.temporary + CREDIT_RACE_AVAILABLE
    CreditAccount.objects.filter(pk=line.pk).update(limit=max(limit, Decimal("0")))


def _big_order(
    brand_id: int, free: dict[int, int], rng: random.Random, data: Data
) -> tuple[int, list[tuple[str, int]]]:
    """300 SKUs distributor_a1 may buy, at their minimum quantities, each with stock for 20 orders."""
    account = DistributorUser.objects.select_related("account").get(user__username="distributor_a1").account
    account = DistributorAccount.objects.prefetch_related("territory").get(pk=account.pk)
    buyer = services.buyer_of(account)
    ids = dict(Product.objects.filter(brand_id=brand_id).values_list("sku", "id"))
    sheet = [(line.sku, line.qty) for line in pricing.price_sheet(buyer) if line.ok]
    stocked = [(sku, qty) for sku, qty in sheet if free.get(ids.get(sku), 0) >= qty * 20 and sku != RACE_SKU]
    chosen = rng.sample(stocked, BIG_LINES)
    total = pricing.quote(buyer, [pricing.Line(sku, qty) for sku, qty in chosen]).total
    line = credit.locked(brand_id=brand_id, account_id=account.id, default_limit=account.credit_limit)
    position = credit.position(line)
    data.limits[line.pk] = line.limit
    if position.available < total * (BIG_RUNS + 2):  # room for every run, so each is approved (until the end)
        CreditAccount.objects.filter(pk=line.pk).update(limit=F("limit") + total * (BIG_RUNS + 2) - position.available)
    return account.id, chosen


def credit_before(brand_id: int, account_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Each account's committed credit and what it has available, before the run."""
    lines = list(CreditAccount.objects.filter(brand_id=brand_id, account_id__in=account_ids))
    today = timezone.localdate()
    temporary = credit.temporary_in_force([line.pk for line in lines], today)
    return {
        line.account_id: (
            line.committed,
            credit.limit_in_force(line, today) + temporary.get(line.pk, 0) - line.receivable - line.committed,
        )
        for line in lines
    }


def integration_key(admin, brand_id: int) -> str:
    """A fresh write-scoped integration key for the bench's clients (earlier ones deleted)."""
    ApiKey.objects.filter(brand_id=brand_id, name=NOTE).delete()
    _, raw = create_api_key(actor=admin, brand_id=brand_id, name=NOTE, scopes=["read", "write"])
    return raw


# --- the server and its clients ---------------------------------------------------------------


class Server:
    """The Procfile's gunicorn with ``workers`` processes of ``THREADS`` threads on a free port,
    against this database."""

    def __init__(self, workers: int):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "channelhub.wsgi:application"]
        self.env = os.environ | {"DEBUG": "0", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
                                 "WEB_THREADS": str(THREADS)}  # fmt: skip
        self.description = f"gunicorn channelhub.wsgi:application, {workers} workers x {THREADS} threads (gthread)"

    def __enter__(self) -> "Server":
        # our own interpreter and the Procfile's command; the output goes to the bench's stderr
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True)  # noqa: S603
        if wait_until_serving(self.port, self.process, seconds=90):
            return self
        self.__exit__()
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


_keys = iter(range(10**9))


def body(account_id: int, lines: list[tuple[str, int]]) -> dict:
    return {"distributor_id": account_id, "lines": [{"sku": s, "qty": q} for s, q in lines], "note": NOTE}


def fire(
    server: Server, token: str, bodies: list[dict], *, fresh: bool = False
) -> tuple[list[tuple[int, dict, float]], float]:
    """Post every body from ``CLIENTS`` threads (round robin), each over one keep-alive connection
    (``fresh``: a new connection for every request, so they spread over all the server's worker
    processes); answers (status, json, ms) in the bodies' order, and the wall time in seconds."""
    answers: list = [None] * len(bodies)
    run = f"{os.getpid()}-{time.time_ns()}"

    def client(first: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        for n in range(first, len(bodies), CLIENTS):
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                       "Idempotency-Key": f"bench-{run}-{next(_keys)}"}  # fmt: skip
            payload = json.dumps(bodies[n])
            started = time.perf_counter_ns()
            try:
                conn.request("POST", "/api/v1/orders", payload, headers)
                response = conn.getresponse()
                status, content = response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:  # counted as a failed request
                conn.close()
                status, content = 0, json.dumps({"code": type(exc).__name__}).encode()
            ms = (time.perf_counter_ns() - started) / 1e6
            answers[n] = (status, _json(content), ms)
            if fresh:
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - started


def outcomes(answers) -> dict[str, int | str]:
    """How the requests ended: HTTP status, with the error code for refusals, and for each kind of
    failure the first message."""
    counts: dict[str, int | str] = dict(
        Counter(str(s) if s < 300 else f"{s} {a.get('code', '')}".strip() for s, a, _ in answers)
    )
    for status, answer, _ in answers:
        kind = f"{status} {answer.get('code', '')}".strip()
        if status >= 300 and f"{kind}: example" not in counts:
            counts[f"{kind}: example"] = str(answer.get("message", ""))[:160]
    return counts


# --- the figures ------------------------------------------------------------------------------


def throughput(server: Server, token: str, data: Data, extra: dict):
    rng = random.Random(1)

    def orders(n: int) -> list[dict]:
        picks = [rng.choice(data.buyers) for _ in range(n)]
        return [
            body(account, [(s, q * rng.choice((1, 1, 2))) for s, q in rng.sample(lines, LINES)])
            for account, lines in picks
        ]

    # Every worker process loads the catalogue snapshot (half a second of CPU) before the clock
    # starts: keep-alive connections stay with the worker that accepted them, so the warm-up
    # connects afresh for each order and reaches them all.
    fire(server, token, orders(WARMUP_ORDERS), fresh=True)
    rounds = [_round(server, token, orders(ORDERS)) for _ in range(ROUNDS)]
    median = sorted(rounds, key=lambda r: r["throughput_per_s"])[len(rounds) // 2]
    figures = {
        **median,
        "rounds_throughput_per_s": [r["throughput_per_s"] for r in rounds],
        "rounds_p95_ms": [r["p95"] for r in rounds],
        "load_avg_1m": round(os.getloadavg()[0], 2),  # other work on the machine skews the figures
        "cores": os.cpu_count(),
    }
    yield {"metric": "orders.submit.throughput_per_s", "value": median["throughput_per_s"], "unit": "orders/s",
           **figures, **extra}  # fmt: skip
    p95 = sorted(r["p95"] for r in rounds)[len(rounds) // 2]
    yield {"metric": "orders.submit.p95_ms", "value": p95, "unit": "ms", **figures, **extra}


def _round(server: Server, token: str, bodies: list[dict]) -> dict:
    """One measured round: throughput, latencies, outcomes, and where the cores went (CPU ms per
    order of the server, PostgreSQL, the client threads and the whole machine)."""
    cpu_before = cpu_seconds(server.process.pid)
    answers, seconds = fire(server, token, bodies)
    cpu = cpu_ms_per(cpu_before, cpu_seconds(server.process.pid), len(bodies)) if cpu_before else {}
    ok = [ms for status, _, ms in answers if 200 <= status < 300]
    return {
        "throughput_per_s": round(len(ok) / seconds, 1),
        "p50": round(percentile(ok, 50), 1),
        "p95": round(percentile(ok, 95), 1),
        "p99": round(percentile(ok, 99), 1),
        "n": len(answers),
        "outcomes": outcomes(answers),
        "order_statuses": dict(Counter(a.get("status") for s, a, _ in answers if 200 <= s < 300)),
        "seconds": round(seconds, 2),
        "cpu_ms_per_order": cpu,
    }


def big_order(server: Server, token: str, data: Data, extra: dict) -> dict:
    account_id, lines = data.big
    samples, statuses = [], Counter()
    for run in range(BIG_RUNS + 1):
        rng = random.Random(run)
        ((status, answer, ms),) = _one(server, token, body(account_id, rng.sample(lines, len(lines))))
        if run:  # the first one warms up
            samples.append(ms)
            statuses[f"{status} {answer.get('status') or answer.get('code')}"] += 1
    return {
        "metric": "orders.submit_300_lines.p50_ms",
        "value": round(percentile(samples, 50), 1),
        "unit": "ms",
        "n": len(samples),
        "p90": round(percentile(samples, 90), 1),
        "outcomes": dict(statuses),
        **extra,
    }


def _one(server: Server, token: str, payload: dict):
    """Post one order on a connection of its own: [(status, json, ms)]."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Idempotency-Key": f"bench-{os.getpid()}-{time.time_ns()}"}  # fmt: skip
    started = time.perf_counter_ns()
    conn.request("POST", "/api/v1/orders", json.dumps(payload), headers)
    response = conn.getresponse()
    content = response.read()
    ms = (time.perf_counter_ns() - started) / 1e6
    conn.close()
    return [(response.status, _json(content), ms)]


def _json(content: bytes) -> dict:
    try:
        return json.loads(content)
    except ValueError:  # an HTML error page
        return {"code": "not_json", "message": content[:200].decode(errors="replace")}


def stock_race(server: Server, token: str, data: Data, brand_id: int, product: Product, extra: dict) -> dict:
    """1,000 one-unit orders from distinct distributors for 500 units, all at once over HTTP."""
    buyers = data.race_buyers
    answers, seconds = fire(server, token, [body(buyers[n % len(buyers)], [(RACE_SKU, 1)]) for n in range(RACE_ORDERS)])
    with transaction.atomic():
        set_brand_scope([brand_id])
        levels = StockLevel.objects.filter(brand_id=brand_id, product=product)
        reserved = levels.aggregate(n=Sum("reserved"))["n"] or 0
        allocated = (
            Allocation.objects.filter(line__product=product, line__order__note=NOTE).aggregate(n=Sum("qty"))["n"] or 0
        )
        over_rows = StockLevel.objects.filter(brand_id=brand_id, reserved__gt=F("on_hand")).count()
    oversell = max(0, reserved - RACE_UNITS) + max(0, allocated - RACE_UNITS) + over_rows
    return {
        "metric": "orders.oversell_count",
        "value": oversell,
        "unit": "units",
        "orders": RACE_ORDERS,
        "stock": RACE_UNITS,
        "reserved": reserved,
        "allocated": allocated,
        "rows_reserved_over_on_hand": over_rows,
        "outcomes": outcomes(answers),
        "seconds": round(seconds, 2),
        **extra,
    }


def credit_race(server: Server, token: str, data: Data, brand_id: int, extra: dict) -> dict:
    """One-line orders of a few hundred each racing for one distributor's 10,000.00 of available
    credit; then
    every account the bench ordered for is checked: its open orders of this run never took more
    credit than it had available before, and its committed balance moved by exactly their sum."""
    account_id, lines = data.credit_account
    rng = random.Random(3)
    bodies = [
        body(account_id, [(s, q * rng.randint(1, 3)) for s, q in rng.sample(lines, 1)])
        for _ in range(CREDIT_RACE_ORDERS)
    ]
    answers, seconds = fire(server, token, bodies)
    with transaction.atomic():
        set_brand_scope([brand_id])
        taken = dict(
            Order.objects.filter(brand_id=brand_id, note=NOTE)
            .values("account_id")
            .annotate(amount=Sum("credit_committed"))
            .values_list("account_id", "amount")
        )
        committed = dict(
            CreditAccount.objects.filter(brand_id=brand_id, account_id__in=list(data.before)).values_list(
                "account_id", "committed"
            )
        )
    cents = Decimal("0.01")  # SQLite sums decimals as floats: compare to the fen
    taken = {account: amount.quantize(cents) for account, amount in taken.items()}
    overrun = [
        account
        for account, (was, available) in data.before.items()
        if taken.get(account, 0) > max(available, 0)
        or (committed[account] - was).quantize(cents) != taken.get(account, 0)
    ]
    statuses = Counter(a.get("status") for s, a, _ in answers if 200 <= s < 300)
    return {
        "metric": "orders.credit_overrun_count",
        "value": len(overrun),
        "unit": "accounts",
        "accounts_checked": len(data.before),
        "race_orders": CREDIT_RACE_ORDERS,
        "race_available_before": str(data.before[account_id][1]),
        "race_committed": str(taken.get(account_id, 0)),
        "race_order_statuses": dict(statuses),
        "race_outcomes": outcomes(answers),
        "seconds": round(seconds, 2),
        **extra,
    }


def query_count(token: str, data: Data, extra: dict) -> dict:
    """SQL statements of one 5-line submit through the API, in-process (the request's own transaction)."""
    client, rng = Client(), random.Random(4)
    account, lines = data.buyers[0]
    counts = []
    for n in range(4):
        payload = body(account, rng.sample(lines, LINES))
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/orders",
                payload,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY=f"bench-q-{time.time_ns()}-{n}",
            )
        if response.status_code != 201:
            raise RuntimeError(f"submit: {response.status_code} {response.content[:300]!r}")
        counts.append(len(queries))
    by_kind = Counter(_kind(q["sql"]) for q in queries.captured_queries)
    return {
        "metric": "orders.submit.queries",
        "value": counts[-1],
        "unit": "queries",
        "runs": counts,
        "by_kind": dict(by_kind),
        **extra,
    }


def _kind(sql: str) -> str:
    """``VERB table`` of a statement, for counting them by kind."""
    words = sql.split()
    verb = words[0].upper() if words else ""
    if verb == "UPDATE":
        return f"UPDATE {words[1].strip(chr(34))}"
    marker = {"INSERT": "INTO", "SELECT": "FROM", "DELETE": "FROM"}.get(verb)
    if marker in words:
        return f"{verb} {words[words.index(marker) + 1].strip(chr(34))}"
    return "SELECT set_config" if "set_config" in sql else verb
