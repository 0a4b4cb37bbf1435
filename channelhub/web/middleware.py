"""The page language: Simplified Chinese unless the visitor chose another with the language switch."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def language_from_cookie(request) -> str:
    """The language in the switch's cookie if it is one we ship, else the default (zh-hans).

    The browser's Accept-Language is deliberately ignored: staff on English-language systems
    still work in Chinese unless they switch.
    """
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen:
        try:
            code = translation.get_supported_language_variant(chosen)
        except LookupError:
            code = ""
        if code and translation.check_for_language(code):
            return code
    return settings.LANGUAGE_CODE


class CookieLocaleMiddleware:
    """Activates the language from the language cookie only (replaces Django's LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_from_cookie(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
