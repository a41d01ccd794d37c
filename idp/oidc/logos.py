"""A portal's logo: a small PNG or SVG that the provider keeps in its database and serves from
its own origin, so the consent page and the public register show it under the strict
Content-Security-Policy (``img-src 'self'``) without fetching anything from the portal.

An uploaded SVG is a document that could carry script. It is refused if it has a DTD, a
``<script>`` or ``<foreignObject>``, an event-handler attribute or a link outside itself; and
the provider serves every logo with its own sandboxing policy (see ``LOGO_POLICY``), so even a
logo opened on its own, not in an ``<img>``, cannot run anything.
"""

from __future__ import annotations

from xml.etree import ElementTree

# Enough for a crisp logo; a register page shows every portal's.
MAX_LOGO_BYTES = 64 * 1024
PNG = "image/png"
SVG = "image/svg+xml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # PNG (ISO/IEC 15948) §5.2
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# CSP Level 3 §6.3.2 sandbox: no script, no form, no plugin, a unique origin; nothing loads.
LOGO_POLICY = "default-src 'none'; sandbox"


class LogoError(ValueError):
    """A logo that is not accepted; the message says why."""


def media_type_of(data: bytes) -> str:
    """The media type of an acceptable logo; raises :class:`LogoError` otherwise."""
    if not data:
        raise LogoError("logo: the file is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"logo: larger than {MAX_LOGO_BYTES // 1024} KiB")
    if data.startswith(PNG_SIGNATURE):
        return PNG
    _check_svg(data)
    return SVG


def _check_svg(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LogoError("logo: neither a PNG nor a UTF-8 SVG file") from None
    # A DTD can declare entities that expand without bound or read files: none is needed.
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise LogoError("logo: an SVG with a DTD is not accepted")
    try:
        # The XML attacks (entity expansion, external entities) need a DTD, refused above.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError:
        raise LogoError("logo: neither a PNG nor a well-formed SVG file") from None
    if root.tag != SVG_NAMESPACE + "svg":
        raise LogoError("logo: neither a PNG nor an SVG file")
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2].lower()
        if name in {"script", "foreignobject"}:
            raise LogoError(f"logo: an SVG with <{name}> is not accepted")
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2].lower()
            if local.startswith("on"):
                raise LogoError(f"logo: an SVG with an event handler ({local}) is not accepted")
            if local == "href" and not value.strip().startswith("#"):
                raise LogoError("logo: an SVG may link only to its own parts")
