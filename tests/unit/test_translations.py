"""The catalogues hold every message the pages can show, the Vietnamese one in full, and a page
speaks the language the browser asks for.

The messages are extracted in-process with the mapping in ``babel.cfg``, the same one `pybabel
extract` uses, so a new ``_()`` in a template or a view fails here until the catalogues have it.
Each check is also run on a copy of a real catalogue broken in one way (a message removed, a
plural changed, a placeholder renamed, dropped or added, a stray "%", a fuzzy flag, an empty
Vietnamese translation), in both languages, to show that it fails when it should.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
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
def extracted_messages() -> dict[MessageKey, tuple[str | tuple[str, ...], str]]:
    """Every message in the source (a msgid, or a singular and plural pair), with the first place
    it occurs."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: dict[MessageKey, tuple[str | tuple[str, ...], str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        msgid = message if isinstance(message, str) else message[0]
        ids = message if isinstance(message, str) else tuple(message[:2])
        found.setdefault((msgid, context), (ids, f"{filename}:{lineno}"))
    return found


def missing_from(catalogue: Catalog) -> list[str]:
    """The source's messages that ``catalogue`` lacks (or holds as obsolete), or holds with
    another plural."""
    problems = []
    for (msgid, context), (ids, where) in sorted(
        extracted_messages().items(), key=lambda item: item[1][1]
    ):
        held = catalogue.get(msgid, context)
        if held is None:
            problems.append(f"{where}: {msgid!r}")
        elif isinstance(ids, tuple) and tuple(held.id) != ids:
            problems.append(f"{where}: {msgid!r} has another plural: {held.id!r}")
    return problems


def fuzzy_in(catalogue: Catalog) -> list[str]:
    """Messages marked fuzzy, which `pybabel compile` leaves out; a fuzzy header (``""``) makes
    it skip the whole catalogue."""
    header = [""] if catalogue.fuzzy else []
    return header + [str(m.id) for m in catalogue if m.id and m.fuzzy]


def untranslated_in(catalogue: Catalog) -> list[str]:
    return [str(m.id) for m in catalogue if m.id and not all(translations_of(m))]


def placeholders_changed_in(catalogue: Catalog) -> list[str]:
    """Translations whose placeholders differ from their source's. An empty translation shows
    the source, so it has none to differ."""
    return [
        f"{source_of(message)!r} -> {text!r}"
        for message in catalogue
        if message.id
        for text in translations_of(message)
        if text and placeholders(text) != placeholders(source_of(message))
    ]


def test_extraction_reads_the_views_and_the_templates() -> None:
    places = {where.split(":")[0] for _ids, where in extracted_messages().values()}
    assert any(place.endswith(".py") for place in places), places
    assert any(place.endswith(".html") for place in places), places
    assert "idp/authn/views.py" in places, "GENERIC_FAILURE is no longer extracted"
    assert any(isinstance(ids, tuple) for ids, _where in extracted_messages().values()), (
        "no plural message is extracted any more: ngettext is missing from the keywords"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_holds_every_message_of_the_source(locale: str) -> None:
    missing = missing_from(load_catalogue(locale))
    assert not missing, f"{locale} lacks ({UPDATE_HINT}):\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_nothing_fuzzy(locale: str) -> None:
    fuzzy = fuzzy_in(load_catalogue(locale))
    assert not fuzzy, f"{locale} marks fuzzy (check them, then drop the flag): {fuzzy}"


def test_vietnamese_catalogue_is_complete() -> None:
    untranslated = untranslated_in(load_catalogue("vi"))
    assert not untranslated, f"vi has no translation for: {untranslated}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    wrong = placeholders_changed_in(load_catalogue(locale))
    assert not wrong, f"{locale} translations whose placeholders differ:\n" + "\n".join(wrong)


# The checks above, shown to fail: each breaks a copy of a real catalogue in one way.


def with_placeholders(catalogue: Catalog) -> Message:
    """A message of ``catalogue`` whose source has a named placeholder, given a translation (the
    English one is empty, as its source is English)."""
    message = next(m for m in catalogue if isinstance(m.id, str) and "%(" in m.id)
    if not message.string:
        message.string = message.id
    return message


@pytest.mark.parametrize("locale", LOCALES)
def test_a_message_missing_from_a_catalogue_is_caught(locale: str) -> None:
    catalogue = load_catalogue(locale)
    (msgid, context), (_ids, where) = next(iter(extracted_messages().items()))
    catalogue.delete(msgid, context)
    assert missing_from(catalogue) == [f"{where}: {msgid!r}"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_message_with_another_plural_is_caught(locale: str) -> None:
    catalogue = load_catalogue(locale)
    plural = next(m for m in catalogue if isinstance(m.id, tuple))
    plural.id = (plural.id[0], plural.id[1] + " (stale)")
    assert len(missing_from(catalogue)) == 1


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "breakage",
    [
        lambda text: re.sub(r"%\([a-z_]+\)", "%(renamed)", text, count=1),
        lambda text: re.sub(r"%\([a-z_]+\)[sd]", "", text, count=1),
        lambda text: text + " %(extra)s",
        lambda text: text + " 100%",
    ],
    ids=["renamed", "dropped", "added", "stray-percent"],
)
def test_a_translation_with_other_placeholders_is_caught(
    locale: str, breakage: Callable[[str], str]
) -> None:
    catalogue = load_catalogue(locale)
    message = with_placeholders(catalogue)
    message.string = breakage(str(message.string))
    assert placeholders_changed_in(catalogue) == [f"{message.id!r} -> {message.string!r}"]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_plural_form_with_other_placeholders_is_caught(locale: str) -> None:
    catalogue = load_catalogue(locale)
    plural = next(m for m in catalogue if isinstance(m.id, tuple))
    plural.string = tuple(["còn mã" if i == 0 else plural.id[1] for i in range(len(plural.id))])
    assert len(placeholders_changed_in(catalogue)) == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_a_fuzzy_message_or_header_is_caught(locale: str) -> None:
    catalogue = load_catalogue(locale)
    message = with_placeholders(catalogue)
    message.flags.add("fuzzy")
    assert fuzzy_in(catalogue) == [message.id]
    catalogue.fuzzy = True
    assert fuzzy_in(catalogue) == ["", message.id]


def test_an_untranslated_vietnamese_message_is_caught() -> None:
    catalogue = load_catalogue("vi")
    message = with_placeholders(catalogue)
    message.string = ""
    assert untranslated_in(catalogue) == [message.id]


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
