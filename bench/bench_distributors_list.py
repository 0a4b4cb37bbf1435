"""GET /api/v1/distributors: a page of 50, through the whole stack in-process (django.test.Client).

Each request authenticates its bearer token, builds the actor, sets the brand scope (RLS on
PostgreSQL), counts and fetches the page, and renders JSON, as a real request would.
Goal for the plain page: p50 under 30 ms with 20,000 distributors in the brand.
"""

from django.test import Client

from bench.common import bearer_headers, latency, time_calls

PLAIN_PAGE = "/api/v1/distributors?limit=50"

# (metric suffix, user, query string): the other pages people open most.
VARIANTS = [
    ("offset_10000", "brand_a_admin", "limit=50&offset=10000"),
    ("active_grade_a", "brand_a_admin", "limit=50&status=active&grade=A"),
    ("region_jiangsu", "brand_a_admin", "limit=50&region=320000"),
    ("search", "brand_a_admin", "limit=50&q=%E9%91%AB"),  # q=鑫, a word in many names
    ("region_manager", "region_js_manager", "limit=50"),
]


def first_response(client: Client, headers: dict[str, str], path: str) -> dict:
    """The page once, checked, before timing it: a benchmark of error pages would mislead."""
    response = client.get(path, **headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.content[:200]!r}")
    return response.json()


def page_latency(metric: str, client: Client, headers: dict[str, str], path: str, *, n: int, warmup: int) -> dict:
    body = first_response(client, headers, path)
    samples = time_calls(lambda: client.get(path, **headers), n=n, warmup=warmup)
    return latency(metric, samples, rows=len(body["items"]), total=body["count"])


def run():
    client = Client()
    headers = {"brand_a_admin": bearer_headers(client, "brand_a_admin")}
    yield page_latency("distributors.list_page.p50_ms", client, headers["brand_a_admin"], PLAIN_PAGE, n=200, warmup=20)
    for name, username, query in VARIANTS:
        if username not in headers:
            headers[username] = bearer_headers(client, username)
        path = f"/api/v1/distributors?{query}"
        yield page_latency(f"distributors.list_page_{name}.p50_ms", client, headers[username], path, n=50, warmup=5)
