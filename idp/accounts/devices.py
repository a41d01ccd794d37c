"""What a citizen is shown about the browser behind a sign-in: its family and operating system
(from the User-Agent, by ua-parser) and the network it came from, truncated so that it no
longer points at one subscriber (IPv4 /24, IPv6 /48), as Google's and GOV.UK's account
pages do. Nothing more of the request is kept."""

from __future__ import annotations

import ipaddress

from ua_parser import parse

#: Prefix lengths that keep an address's network but not its host.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


def describe_browser(user_agent: str) -> str:
    """ "Chrome Mobile on Android", or "" when the browser does not say."""
    parsed = parse(user_agent[:512])
    browser = parsed.user_agent.family if parsed.user_agent else ""
    system = parsed.os.family if parsed.os else ""
    if browser and system and system != "Other":
        return f"{browser} / {system}"
    return browser if browser != "Other" else ""


def truncate_address(address: str | None) -> str:
    """The network of ``address`` ("203.0.113.0/24"), or "" when it is not an IP address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
