"""Keeps every answer under /api/v1 in the API's error shape, even Django's own 404 and 405."""

from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/v1/"
MESSAGES = {404: ("not_found", "no such endpoint"), 405: ("method_not_allowed", "method not allowed here")}


class ApiErrorShapeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code in MESSAGES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = MESSAGES[response.status_code]
            shaped = JsonResponse({"code": code, "message": message, "field": None}, status=response.status_code)
            if "Allow" in response:
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
