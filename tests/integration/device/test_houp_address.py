"""Every form of the seed's `smart-upgrade url` against the real HOUP over HTTPS: a name, an
IPv4 or IPv6 address, a port in the URL (it wins over `https-port`), an `https://` URL with a
path through a reverse proxy; and the forms the switch refuses when they are configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smartupgrade_model.model import CheckResult, UpgradeStatus
from smartupgrade_server.device.refusals import ConfigRejectedError
from smartupgrade_server.houp.catalogue import Catalogue
from smartupgrade_server.houp.server import HoupServer
from smartupgrade_server.houp_api.wire import VERSION_CHECK_PATH
from tests.integration.device.conftest import SwitchFactory
from tests.support.houp import PATCH, SMALL_CATALOGUE, SOFTWARE
from tests.support.proxy import ReverseProxy

# a port no HOUP listens on: where `https-port` points when the URL's own port must win
WRONG_PORT = 1


async def _checked(make_rig: SwitchFactory, **config: object) -> CheckResult | None:
    rig = await make_rig(**config)
    return (await rig.switch.refresh()).check_result


@pytest.mark.parametrize(
    ("url", "https_port"),
    [
        ("127.0.0.1", None),
        ("127.0.0.1:{port}", WRONG_PORT),
        ("https://127.0.0.1:{port}", WRONG_PORT),
        ("HTTPS://127.0.0.1:{port}/", WRONG_PORT),
        ("https://127.0.0.1", None),
    ],
)
async def test_an_ipv4_address_with_or_without_a_port(
    make_rig: SwitchFactory, houp: HoupServer, url: str, https_port: int | None
) -> None:
    config = {"url": url.format(port=houp.port), "https_port": https_port or houp.port}
    assert await _checked(make_rig, **config) is CheckResult.NEED_UPDATE


async def test_a_host_name_through_the_host_table(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    # the HOUP's certificate names s.houp.huawei.com: verified by name
    rig_config = {"url": "S.HOUP.huawei.com", "https_port": houp.port}
    hosts = {"s.houp.huawei.com": "127.0.0.1"}
    assert await _checked(make_rig, hosts=hosts, **rig_config) is CheckResult.NEED_UPDATE


@pytest.fixture
async def houp_v6(tmp_path: Path) -> AsyncIterator[HoupServer]:
    server = await HoupServer.start(
        tmp_path / "houp-v6",
        host="::1",
        host_name="::1",
        catalogue=Catalogue.parse(SMALL_CATALOGUE),
    )
    try:
        yield server
    finally:
        await server.close()


async def test_an_ipv6_address_bare_or_in_brackets(
    make_rig: SwitchFactory, houp_v6: HoupServer
) -> None:
    policies = {"houp": [houp_v6.ca_cert_pem]}
    for url, https_port in (("::1", houp_v6.port), (f"[::1]:{houp_v6.port}", WRONG_PORT)):
        rig = await make_rig(url=url, https_port=https_port)
        rig.switch.apply_config(rig.switch.state(), policies)
        assert (await rig.switch.refresh()).check_result is CheckResult.NEED_UPDATE, url


async def test_an_https_url_with_a_path_through_a_reverse_proxy(
    make_rig: SwitchFactory, houp: HoupServer
) -> None:
    proxy = await ReverseProxy.start(houp.data_dir / "pki", houp.port, "/houp")
    try:
        rig = await make_rig(url=f"https://127.0.0.1:{proxy.port}/houp/", https_port=WRONG_PORT)
        assert await (await rig.switch.download()).wait() is UpgradeStatus.SUCCESS
    finally:
        await proxy.close()
    # the version check and every file went through the proxy, under its path
    assert proxy.requests[0] == "/houp" + VERSION_CHECK_PATH
    for name in (SOFTWARE, f"{SOFTWARE}.asc", PATCH, f"{PATCH}.asc"):
        assert f"/houp/files/{name}" in proxy.requests, name
    assert all(path.startswith("/houp/") for path in proxy.requests)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://127.0.0.1/houp",
            "The switch reaches the HOUP over HTTPS only: give a host name, an IP address or an "
            "https:// URL.",
        ),
        (
            "ftp://127.0.0.1",
            "The switch reaches the HOUP over HTTPS only: give a host name, an "
            "IP address or an https:// URL.",
        ),
        ("https://admin@127.0.0.1", "A URL with user information (user@) is not supported."),
        ("https://127.0.0.1/?a=1", "A URL with a query (?) or a fragment (#) is not supported."),
        ("127.0.0.1:0", "The port of a URL must be an integer from 1 to 65535."),
        ("https://127.0.0.1:65536/", "The port of a URL must be an integer from 1 to 65535."),
        ("127.0.0.1:https", "The port of a URL must be an integer from 1 to 65535."),
        (
            "bad!host",
            "The host must be a host name (letters, digits, '-', '_' and '.'), an IPv4 address "
            "or an IPv6 address.",
        ),
        (
            "https://",
            "The host must be a host name (letters, digits, '-', '_' and '.'), an IPv4 address "
            "or an IPv6 address.",
        ),
    ],
)
async def test_a_url_the_switch_cannot_use_is_refused_when_configured(
    make_rig: SwitchFactory, url: str, reason: str
) -> None:
    rig = await make_rig()
    with pytest.raises(ConfigRejectedError) as refused:
        rig.configure(url=url)
    assert (refused.value.app_tag, refused.value.path) == (
        "url-not-usable",
        ("smart-upgrade", "url"),
    )
    assert refused.value.message == f"Invalid value '{url}' for url. {reason}"
