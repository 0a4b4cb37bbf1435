"""China's administrative divisions: the tree, opened level by level, and a live search."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from channelhub.regions.selectors import search_divisions
from channelhub.web.views.base import actor_required, htmx_render

SEARCH_LIMIT = 50


def _search(query: str) -> tuple[list, bool]:
    if not query:
        return [], False
    found = list(search_divisions(query=query)[: SEARCH_LIMIT + 1])
    return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


@actor_required
def divisions(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    results, more = _search(query)
    context = {"query": query, "results": results, "more": more, "limit": SEARCH_LIMIT}
    if not query:
        context["provinces"] = search_divisions(level=1)
    return htmx_render(request, "web/divisions/index.html", "web/divisions/_results.html", context)


@actor_required
def division_children(request: HttpRequest, code: str) -> HttpResponse:
    children = search_divisions(parent=code)
    return render(request, "web/divisions/_children.html", {"children": children})


@actor_required
def division_pick(request: HttpRequest) -> HttpResponse:
    """Search results as buttons that add a code to a form's division field."""
    query = request.GET.get("q", "").strip()[:50]
    results, more = _search(query)
    target = request.GET.get("target", "")
    context = {
        "query": query,
        "results": results,
        "more": more,
        "limit": SEARCH_LIMIT,
        "target": target if target.isidentifier() else "",
    }
    return render(request, "web/divisions/_pick.html", context)
