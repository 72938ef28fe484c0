"""The HOUP's address from `smart-upgrade url` and `https-port`: every form the seed's "URL or
IP address of a proxy server" takes, which port wins, and where a HOUP's link is fetched."""

from __future__ import annotations

import pytest

from smartupgrade_server.device.endpoint import HoupAddress, UnusableUrlError, houp_address


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("s.houp.huawei.com", HoupAddress("s.houp.huawei.com", 443)),
        ("S.HOUP.Huawei.CN", HoupAddress("s.houp.huawei.cn", 443)),
        ("10.10.10.20", HoupAddress("10.10.10.20", 443)),
        ("10.10.10.20:10020", HoupAddress("10.10.10.20", 10020)),
        ("2001:db8::20", HoupAddress("2001:db8::20", 443)),
        ("[2001:db8::20]:10020", HoupAddress("2001:db8::20", 10020)),
        ("https://proxy.example.com", HoupAddress("proxy.example.com", 443)),
        ("https://proxy.example.com:8443/houp/", HoupAddress("proxy.example.com", 8443, "/houp")),
        ("https://[2001:db8::20]/a/b", HoupAddress("2001:db8::20", 443, "/a/b")),
        ("a" * 60 + "." + "b" * 60 + ".cn", HoupAddress("a" * 60 + "." + "b" * 60 + ".cn", 443)),
    ],
)
def test_every_form_names_a_host_a_port_and_a_path(url: str, address: HoupAddress) -> None:
    assert houp_address(url, 443) == address


def test_a_port_in_the_url_wins_over_https_port() -> None:
    assert houp_address("10.10.10.20", 10020).port == 10020
    assert houp_address("10.10.10.20:8443", 10020).port == 8443


def test_requests_and_links_go_to_the_configured_server() -> None:
    address = houp_address("https://[2001:db8::20]:8443/houp", 443)
    assert address.url("/api/v1/version-check") == (
        "https://[2001:db8::20]:8443/houp/api/v1/version-check"
    )
    # a link's host and port are the HOUP's view; the switch asks its own server
    assert address.link("https://cdn.example.com:9443/files/x.cc") == (
        "https://[2001:db8::20]:8443/houp/files/x.cc"
    )


@pytest.mark.parametrize(
    "url", ["http://h", "HTTP://h", "ftp://h", "https://u:p@h", "https://h#x", "h:0", "[::1", "a$b"]
)
def test_what_the_switch_cannot_use(url: str) -> None:
    with pytest.raises(UnusableUrlError):
        houp_address(url, 443)
