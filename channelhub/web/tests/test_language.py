"""Pages are in Simplified Chinese unless the visitor switched to English."""

import pytest
from django.conf import settings
from django.utils import translation

from channelhub.core.errors import ValidationFailed
from channelhub.testing import user_with_role
from channelhub.web.errors import error_message

pytestmark = pytest.mark.django_db


def test_default_is_chinese_even_when_the_browser_asks_for_english(client):
    response = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert '<html lang="zh-CN">' in body
    assert "登录" in body
    assert "Sign in" not in body


def test_language_cookie_switches_to_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/login/", headers={"Accept-Language": "zh-CN"})
    assert response["Content-Language"] == "en"
    body = response.content.decode()
    assert "Sign in" in body
    assert "登录" not in body


def test_unknown_language_in_cookie_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get("/login/")
    assert response["Content-Language"] == "zh-hans"


def test_switch_sets_the_cookie_and_returns_to_the_page(browser_of, brand_a):
    # given
    client = browser_of(user_with_role("brand_admin", brand_a))
    # when
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/distributors/"}, headers={"Accept-Language": "zh-CN"}
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/distributors/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/distributors/").content.decode()
    assert "Distributors" in page
    assert "经销商</h1>" not in page


def test_switching_back_to_chinese(browser_of, brand_a):
    client = browser_of(user_with_role("brand_admin", brand_a))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "首页" in client.get("/").content.decode()


def test_header_offers_both_languages(client):
    body = client.get("/login/").content.decode()
    assert 'action="/i18n/setlang/"' in body
    assert 'value="zh-hans"' in body
    assert 'value="en"' in body


def test_service_refusals_are_translated_when_known_and_shown_as_written_otherwise():
    with translation.override("zh-hans"):
        assert error_message(ValidationFailed("unknown division code(s): 999999")) == "未知的行政区划代码：999999"
        assert error_message(ValidationFailed("name is required")) == "名称必填。"
        assert error_message(ValidationFailed("something new")) == "something new"


def test_chinese_catalog_is_complete_and_compiled():
    """Every message has a translation, and the committed .mo matches the .po (fresh machines may
    lack gettext, so the compiled catalog ships in the tree)."""
    import gettext
    import re
    from pathlib import Path

    folder = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
    po = (folder / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', po, flags=re.MULTILINE)
    assert len(pairs) > 150
    assert not re.search(r"^#, fuzzy", po, flags=re.MULTILINE)
    untranslated = [msgid for msgid, msgstr in pairs if not msgstr]
    assert untranslated == []
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def unescape(text: str) -> str:
        return text.replace('\\"', '"').replace("\\\\", "\\")

    stale = [msgid for msgid, msgstr in pairs if compiled.gettext(unescape(msgid)) != unescape(msgstr)]
    assert stale == []
