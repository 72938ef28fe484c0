"""The exact ``<rpc-error>`` of a write beyond the switch's limits (datastore/limits.py):
a full table is resource-denied, a request larger than the switch works on is too-big."""

from pathlib import Path

import pytest

from smartupgrade_server.datastore.limits import EDIT_ELEMENTS, ENTRIES
from tests.conformance.test_datastore_errors import (
    SSLP_PATH,
    SU,
    error,
    policies,
)
from tests.support.operations import OperationsRig
from tests.support.xml import canonical

POLICY = "/sunc-ssl-policy:ssl-policies/ssl-policy"
NCSRV = "urn:smart-upgrade-netconf:yang:sunc-netconf-server"
CA = "-----BEGIN CERTIFICATE-----\nMIIB{}\n-----END CERTIFICATE-----"


def entries(count: int, start: int = 0) -> str:
    return "".join(f"<ssl-policy><name>p{i}</name></ssl-policy>" for i in range(start, count))


def full_table(count: int) -> str:
    return error(
        "resource-denied",
        f"list 'ssl-policy' can hold at most {count} entries on this switch",
        path=(SSLP_PATH, "/sslp:ssl-policies/sslp:ssl-policy"),
    )


async def test_one_policy_more_than_the_table_holds(tmp_path: Path) -> None:
    limit = ENTRIES[POLICY]
    server = OperationsRig(tmp_path)
    # created at once, in a new container
    assert canonical(await server.error_of(policies(entries(limit + 1)))) == canonical(
        full_table(limit)
    )
    # added to a full table
    await server.call(policies(entries(limit)))
    assert canonical(await server.error_of(policies(entries(limit + 1, limit)))) == canonical(
        full_table(limit)
    )
    # replacing one is no more entries
    await server.call(policies('<ssl-policy nc:operation="delete"><name>p0</name></ssl-policy>'))
    await server.call(policies(entries(limit + 1, limit)))


async def test_one_trusted_ca_more_than_a_policy_holds(tmp_path: Path) -> None:
    limit = ENTRIES[f"{POLICY}/trusted-ca"]
    cas = "".join(f"<trusted-ca>{CA.format(i)}</trusted-ca>" for i in range(limit + 1))
    server = OperationsRig(tmp_path)
    reply = await server.error_of(policies(f"<ssl-policy><name>a</name>{cas}</ssl-policy>"))
    assert canonical(reply) == canonical(
        error(
            "resource-denied",
            f"leaf-list 'trusted-ca' can hold at most {limit} entries on this switch",
            path=(SSLP_PATH, "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='a']/sslp:trusted-ca"),
        )
    )


async def test_one_call_home_client_more_than_the_switch_calls(tmp_path: Path) -> None:
    path = "/sunc-netconf-server:netconf-server/call-home/netconf-client"
    limit = ENTRIES[path]
    client = (
        "<netconf-client><name>c{}</name><endpoints><endpoint><name>e</name><ssh>"
        "<tcp-client-parameters><remote-address>192.0.2.1</remote-address>"
        "</tcp-client-parameters></ssh></endpoint></endpoints>"
        "<connection-type><persistent/></connection-type></netconf-client>"
    )
    clients = "".join(client.format(i) for i in range(limit + 1))
    server = OperationsRig(tmp_path)
    reply = await server.error_of(
        "<edit-config><target><running/></target><config>"
        f'<netconf-server xmlns="{NCSRV}"><call-home>{clients}</call-home></netconf-server>'
        "</config></edit-config>"
    )
    assert canonical(reply) == canonical(
        error(
            "resource-denied",
            f"list 'netconf-client' can hold at most {limit} entries on this switch",
            path=(
                f'xmlns:ncsrv="{NCSRV}"',
                "/ncsrv:netconf-server/ncsrv:call-home/ncsrv:netconf-client",
            ),
        )
    )


BIG = (
    f'<config><smart-upgrade xmlns="{SU}">{"<url>x</url>" * EDIT_ELEMENTS}</smart-upgrade></config>'
)


@pytest.mark.parametrize(
    "request_xml",
    [
        f"<edit-config><target><running/></target>{BIG}</edit-config>",
        f"<copy-config><target><candidate/></target><source>{BIG}</source></copy-config>",
        f"<validate><source>{BIG}</source></validate>",
    ],
    ids=["edit-config", "copy-config", "validate"],
)
async def test_a_configuration_larger_than_one_request_may_carry(
    tmp_path: Path, request_xml: str
) -> None:
    reply = await OperationsRig(tmp_path).error_of(request_xml)
    assert canonical(reply) == canonical(
        error(
            "too-big",
            f"the configuration holds more than {EDIT_ELEMENTS} elements, "
            "more than this switch works on in one request",
        )
    )
