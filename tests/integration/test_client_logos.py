"""A portal's logo: registered with `idp clients create --logo`, checked (PNG or a harmless SVG,
at most 64 KiB), kept in the database and served by the provider from its own origin with
its type, ``nosniff`` and a sandboxing policy; shown in the public register with the
portal's name as its text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from idp.cli import main
from idp.oidc.logos import MAX_LOGO_BYTES

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><circle cx="2" cy="2" r="2"/></svg>'
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def register(app: Flask, logo: Path) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(
        main,
        [
            *("clients", "create", "--name", "Cổng thuế", "--scope", "openid"),
            *("--redirect-uri", "https://thue.example.vn/cb", "--logo", str(logo), "--json"),
        ],
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(("content", "media_type"), [(SVG, "image/svg+xml"), (PNG, "image/png")])
def test_a_logo_is_served_from_the_provider_and_shown_in_the_register(
    app: Flask, client: FlaskClient, tmp_path: Path, content: bytes, media_type: str
) -> None:
    (tmp_path / "logo").write_bytes(content)
    code, output = register(app, tmp_path / "logo")
    assert code == 0, output
    client_id = json.loads(output)["client_id"]

    page = BeautifulSoup(client.get("/portals").text, "html.parser")
    image = page.select_one("img.portal-logo")
    assert image is not None
    assert image["alt"] == "Cổng thuế"
    assert image["src"] == f"/portals/{client_id}/logo"

    served = client.get(f"/portals/{client_id}/logo")
    assert served.status_code == 200
    assert served.data == content
    assert served.mimetype == media_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_portal_without_a_logo_has_none(client: FlaskClient) -> None:
    assert client.get("/portals/no-such-portal/logo").status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"GIF89a" + b"\x00" * 10, "neither a PNG nor a well-formed SVG"),
        (b"\xff\xd8\xff\xe0", "neither a PNG nor a UTF-8 SVG"),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "neither a PNG nor an SVG"),
        (SVG.replace(b"<circle", b"<script>alert(1)</script><circle"), "<script>"),
        (SVG.replace(b"<circle", b'<circle onload="alert(1)"'), "event handler (onload)"),
        (
            SVG.replace(b"<circle", b"<foreignObject/><circle"),
            "<foreignobject> is not accepted",
        ),
        (
            SVG.replace(
                b"<circle",
                b'<image xmlns:x="http://www.w3.org/1999/xlink" x:href="https://a.vn/"/>',
            ),
            "link only to its own parts",
        ),
        (b'<!DOCTYPE svg [<!ENTITY a "a">]>' + SVG, "with a DTD"),
        (PNG + b"\x00" * MAX_LOGO_BYTES, "larger than 64 KiB"),
    ],
)
def test_a_logo_that_is_not_safe_or_too_large_is_refused(
    app: Flask, client: FlaskClient, tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "logo").write_bytes(content)
    code, output = register(app, tmp_path / "logo")
    assert code == 1
    assert message in output
    assert "Cổng thuế" not in client.get("/portals").text  # nothing was registered
