"""What the account pages say about the browser and network of a sign-in."""

from __future__ import annotations

import pytest

from idp.accounts.devices import describe_browser, truncate_address

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (ANDROID_CHROME, "Chrome Mobile / Android"),
        (IPHONE_SAFARI, "Mobile Safari / iOS"),
        ("python-requests/2.32.3", "Python Requests"),
        ("", ""),
        ("x" * 10000, ""),
    ],
)
def test_browsers(user_agent: str, described: str) -> None:
    assert describe_browser(user_agent) == described


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48"),
        ("not an address", ""),
        (None, ""),
    ],
)
def test_addresses_keep_the_network_only(address: str | None, network: str) -> None:
    assert truncate_address(address) == network
