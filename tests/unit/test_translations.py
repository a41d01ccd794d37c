"""The catalogues hold every message the pages can show, the Vietnamese one in full, and a page
speaks the language the browser asks for.

The messages are extracted in-process with the mapping in ``babel.cfg``, the same one `pybabel
extract` uses, so a new ``_()`` in a template or a view fails here until the catalogues have it.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_domain

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "idp" / "translations"
LOCALES = ("vi", "en")
UPDATE_HINT = "update the catalogues with pybabel as babel.cfg says"

# A printf conversion, named or positional, an escaped "%%", or a stray "%": a translation carries
# the same ones as its source, or formatting fails (templates format every message, even one
# without arguments).
PLACEHOLDER = re.compile(
    r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]|%"
)

MessageKey = tuple[str, str | None]


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load_catalogue(locale: str) -> Catalog:
    with po_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


def translations_of(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


def source_of(message: Message) -> str:
    """The msgid a translation is checked against; for plurals the plural one, which carries every
    placeholder."""
    return message.id if isinstance(message.id, str) else message.id[-1]


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


@functools.cache
def extracted_messages() -> dict[MessageKey, str]:
    """Every message in the source, with the first place it occurs."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: dict[MessageKey, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault((msgid, context), f"{filename}:{lineno}")
    return found


def test_extraction_reads_the_views_and_the_templates() -> None:
    places = {where.split(":")[0] for where in extracted_messages().values()}
    assert any(place.endswith(".py") for place in places), places
    assert any(place.endswith(".html") for place in places), places
    assert "idp/authn/views.py" in places, "GENERIC_FAILURE is no longer extracted"


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_holds_every_message_of_the_source(locale: str) -> None:
    catalogue = load_catalogue(locale)
    missing = [
        f"{where}: {msgid!r}"
        for (msgid, context), where in sorted(extracted_messages().items(), key=lambda i: i[1])
        if catalogue.get(msgid, context) is None
    ]
    assert not missing, f"{locale} lacks ({UPDATE_HINT}):\n" + "\n".join(missing)


def test_vietnamese_catalogue_is_complete() -> None:
    catalogue = load_catalogue("vi")
    # A catalogue whose header is fuzzy is skipped whole by `pybabel compile`.
    assert not catalogue.fuzzy, "the vi catalogue's header is marked fuzzy"
    messages = [message for message in catalogue if message.id]
    untranslated = [m.id for m in messages if not all(translations_of(m))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"vi has no translation for: {untranslated}"
    assert not fuzzy, f"vi translations marked fuzzy (check them, then drop the flag): {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = [
        f"{source_of(message)!r} -> {text!r}"
        for message in load_catalogue(locale)
        if message.id
        for text in translations_of(message)
        if text and placeholders(text) != placeholders(source_of(message))
    ]
    assert not wrong, f"{locale} translations whose placeholders differ:\n" + "\n".join(wrong)


@pytest.fixture(scope="session")
def compiled_catalogues() -> list[str]:
    """Compile each catalogue whose .mo is missing or older than its .po, as the Makefile does,
    so this module runs on its own. Returns the locales compiled now."""
    compiled = []
    for locale in LOCALES:
        po = po_path(locale)
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        # Written aside and renamed, so a parallel worker never reads half a file.
        handle, partial = tempfile.mkstemp(dir=mo.parent, suffix=".mo.partial")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, load_catalogue(locale))
        Path(partial).replace(mo)
        compiled.append(locale)
    return compiled


@pytest.fixture
def localised_client(
    app: Flask, client: FlaskClient, compiled_catalogues: list[str]
) -> FlaskClient:
    if compiled_catalogues:
        # Flask-Babel keeps the catalogues it loaded per app: forget any loaded before they existed.
        with app.app_context():
            get_domain().cache.clear()
    return client


@pytest.mark.parametrize(
    ("accept_language", "lang", "texts"),
    [
        ("vi", "vi", ["Phiên đăng nhập đã hết hạn", "Định danh điện tử quốc gia"]),
        ("vi-VN,vi;q=0.9,en-US;q=0.8", "vi", ["Phiên đăng nhập đã hết hạn"]),
        (None, "vi", ["Phiên đăng nhập đã hết hạn"]),
        ("en", "en", ["This sign-in has expired", "National e-ID"]),
        ("en-GB,en;q=0.9,vi;q=0.5", "en", ["This sign-in has expired"]),
    ],
)
def test_page_speaks_the_browsers_language(
    localised_client: FlaskClient, accept_language: str | None, lang: str, texts: list[str]
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = localised_client.get("/signin/unknown-transaction", headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<html lang="{lang}">' in page
    for text in texts:
        assert text in page


@pytest.mark.parametrize(
    ("accept_language", "title"), [("vi", "Không tìm thấy trang"), ("en", "Not Found")]
)
def test_http_error_title_is_translated(
    localised_client: FlaskClient, accept_language: str, title: str
) -> None:
    response = localised_client.get("/no-such-page", headers={"Accept-Language": accept_language})
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in response.get_data(as_text=True)
