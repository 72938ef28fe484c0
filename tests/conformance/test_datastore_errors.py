"""The exact ``<rpc-error>`` of each datastore and validation failure.

RFC 6241 Appendix A and RFC 7950 §15. Requests go through the dispatcher the server runs; the
error is serialised as the session serialises it.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from smartupgrade_server.datastore.store import DatastoreName, Datastores
from tests.support.operations import OperationsRig
from tests.support.xml import canonical

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
SU = "urn:smart-upgrade-netconf:yang:sunc-smart-upgrade"
SSLP = "urn:smart-upgrade-netconf:yang:sunc-ssl-policy"
HUAWEI = "http://www.huawei.com/netconf/capability/base/1.0"
NACM = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
YANG = "urn:ietf:params:xml:ns:yang:1"
SU_PATH = f'xmlns:su="{SU}"'
NACM_PATH = f'xmlns:nacm="{NACM}"'
RULE_LIST_X = (NACM_PATH, "/nacm:nacm/nacm:rule-list[nacm:name='x']")
SSLP_PATH = f'xmlns:sslp="{SSLP}"'


def edit(body: str, target: str = "running") -> str:
    return (
        f"<edit-config><target><{target}/></target><config>"
        f'<smart-upgrade xmlns="{SU}">{body}</smart-upgrade></config></edit-config>'
    )


def rule_list(attributes: str) -> str:
    """An edit of a NACM rule-list (ordered-by user) named 'x'."""
    return (
        "<edit-config><target><running/></target><config>"
        f'<nacm xmlns="{NACM}" xmlns:yang="{YANG}"><rule-list {attributes}><name>x</name>'
        "</rule-list></nacm></config></edit-config>"
    )


def policies(body: str) -> str:
    return (
        "<edit-config><target><running/></target><config>"
        f'<ssl-policies xmlns="{SSLP}">{body}</ssl-policies></config></edit-config>'
    )


def error(
    tag: str,
    message: str,
    *,
    error_type: str = "application",
    app_tag: str | None = None,
    path: tuple[str, str] | None = None,
    info: str = "",
) -> str:
    parts = [
        f'<rpc-error xmlns="{NC}"><error-type>{error_type}</error-type>',
        f"<error-tag>{tag}</error-tag><error-severity>error</error-severity>",
    ]
    if app_tag:
        parts.append(f"<error-app-tag>{app_tag}</error-app-tag>")
    if path:
        parts.append(f"<error-path {path[0]}>{path[1]}</error-path>")
    parts.append(f'<error-message xml:lang="en">{message}</error-message>')
    if info:
        parts.append(f"<error-info>{info}</error-info>")
    return "".join(parts) + "</rpc-error>"


SCHEDULE = "<schedule><download-at>2030-01-01 00:00:00</download-at></schedule>"
Setup = Callable[[Datastores], None]


def nothing(datastores: Datastores) -> None:
    del datastores


def with_schedule(datastores: Datastores) -> None:
    schedule = {"download-at": "2030-01-01 00:00:00"}
    datastores.copy(
        DatastoreName.RUNNING, {"sunc-smart-upgrade:smart-upgrade": {"schedule": schedule}}, 1
    )


def with_smart_upgrade(datastores: Datastores, *, ap: bool = False) -> None:
    """The policy houp bound, smart upgrade enabled (and its AP upgrade)."""
    config: dict[str, object] = {"ssl-policy": "houp", "enabled": True}
    if ap:
        config["ap"] = {"enabled": True}
    datastores.copy(
        DatastoreName.RUNNING,
        {
            "sunc-ssl-policy:ssl-policies": {"ssl-policy": [{"name": "houp"}]},
            "sunc-smart-upgrade:smart-upgrade": config,
        },
        1,
    )


def with_ap_upgrade(datastores: Datastores) -> None:
    with_smart_upgrade(datastores, ap=True)


def running_locked_by_7(datastores: Datastores) -> None:
    datastores.lock(DatastoreName.RUNNING, 7)


def persisted_commit(datastores: Datastores) -> None:
    datastores.commit(1, confirmed=True, persist="p")


CASES: dict[str, tuple[Setup, str, str]] = {
    "must with the module's app-tag and message (RFC 7950 §15.4)": (
        nothing,
        edit("<enabled>true</enabled>"),
        error(
            "operation-failed",
            "Smart upgrade cannot be enabled before an SSL policy is bound "
            "(smart-upgrade ssl-policy policy-name).",
            app_tag="ssl-policy-not-bound",
            path=(SU_PATH, "/su:smart-upgrade/su:enabled"),
        ),
    ),
    "must on AP upgrade": (
        nothing,
        edit("<ap><enabled>true</enabled></ap>"),
        error(
            "operation-failed",
            "Smart upgrade for APs cannot be enabled before smart upgrade is enabled "
            "(smart-upgrade enable).",
            app_tag="smart-upgrade-not-enabled",
            path=(SU_PATH, "/su:smart-upgrade/su:ap/su:enabled"),
        ),
    ),
    "must on the schedule": (
        nothing,
        edit(
            "<schedule><download-at>2030-01-02 00:00:00</download-at>"
            "<reboot-at>2030-01-01 00:00:00</reboot-at></schedule>"
        ),
        error(
            "operation-failed",
            "The reboot time must be later than the download time.",
            app_tag="reboot-not-after-download",
            path=(SU_PATH, "/su:smart-upgrade/su:schedule"),
        ),
    ),
    "must broken by an undo: its own message (su:undo-error-message)": (
        with_ap_upgrade,
        edit('<enabled nc:operation="remove"/>'),
        error(
            "operation-failed",
            "Smart upgrade cannot be disabled while smart upgrade for APs is enabled "
            "(undo smart-upgrade ap enable first).",
            app_tag="smart-upgrade-not-enabled",
            path=(SU_PATH, "/su:smart-upgrade/su:ap/su:enabled"),
        ),
    ),
    "unbinding the policy of an enabled smart upgrade": (
        with_smart_upgrade,
        edit('<ssl-policy nc:operation="remove"/>'),
        error(
            "operation-failed",
            "The SSL policy cannot be unbound while smart upgrade is enabled "
            "(undo smart-upgrade enable first).",
            app_tag="ssl-policy-not-bound",
            path=(SU_PATH, "/su:smart-upgrade/su:enabled"),
        ),
    ),
    "leafref without its target (RFC 7950 §15.5)": (
        nothing,
        edit("<ssl-policy>nowhere</ssl-policy>"),
        error(
            "data-missing",
            "Invalid value 'nowhere' for ssl-policy. It must be the name of an existing "
            "ssl-policy.",
            app_tag="instance-required",
            path=(SU_PATH, "/su:smart-upgrade/su:ssl-policy"),
        ),
    ),
    "deleting the target of a leafref": (
        with_smart_upgrade,
        policies('<ssl-policy nc:operation="delete"><name>houp</name></ssl-policy>'),
        error(
            "data-missing",
            "The ssl-policy 'houp' cannot be removed: /smart-upgrade/ssl-policy refers to it.",
            app_tag="instance-required",
            path=(SU_PATH, "/su:smart-upgrade/su:ssl-policy"),
        ),
    ),
    "range (RFC 7950 §8.3.1), with the module's error-message": (
        nothing,
        edit("<https-port>0</https-port>"),
        error(
            "invalid-value",
            "Invalid value '0' for https-port. The HTTPS port must be an integer from 1 to 65535.",
            path=(SU_PATH, "/su:smart-upgrade/su:https-port"),
        ),
    ),
    "not a number at all": (
        nothing,
        edit("<https-port>abc</https-port>"),
        error(
            "invalid-value",
            "Invalid value 'abc' for https-port. The HTTPS port must be an integer from 1 to "
            "65535.",
            path=(SU_PATH, "/su:smart-upgrade/su:https-port"),
        ),
    ),
    "not a boolean": (
        nothing,
        edit("<verify-server>maybe</verify-server>"),
        error(
            "invalid-value",
            "Invalid value 'maybe' for verify-server. It must be true or false.",
            path=(SU_PATH, "/su:smart-upgrade/su:verify-server"),
        ),
    ),
    "pattern, with the module's error-message": (
        nothing,
        policies("<ssl-policy><name>a-b</name></ssl-policy>"),
        error(
            "invalid-value",
            "Invalid value 'a-b' for name. An SSL policy name must be 1 to 23 letters, digits "
            "or underscores (_).",
            path=(SSLP_PATH, "/sslp:ssl-policies/sslp:ssl-policy/sslp:name"),
        ),
    ),
    "length, with the module's error-message": (
        nothing,
        policies(f"<ssl-policy><name>{'a' * 24}</name></ssl-policy>"),
        error(
            "invalid-value",
            f"Invalid value '{'a' * 24}' for name. An SSL policy name must be 1 to 23 letters, "
            "digits or underscores (_).",
            path=(SSLP_PATH, "/sslp:ssl-policies/sslp:ssl-policy/sslp:name"),
        ),
    ),
    "a schedule time: the format and the ranges": (
        nothing,
        edit("<schedule><download-at>2030-13-01 00:00:00</download-at></schedule>"),
        error(
            "invalid-value",
            "Invalid value '2030-13-01 00:00:00' for download-at. A schedule time must be "
            "YYYY-MM-DD HH:MM:SS (2030-02-13 20:01:24): YYYY from 2000 to 2099, MM from 1 to "
            "12, DD from 1 to 31, HH from 0 to 23, MM and SS from 0 to 59.",
            path=(SU_PATH, "/su:smart-upgrade/su:schedule/su:download-at"),
        ),
    ),
    "pattern without error-message: in words, not the expression": (
        nothing,
        f'<edit-config><target><running/></target><config><nacm xmlns="{NACM}"><groups>'
        "<group><name>*x</name></group></groups></nacm></config></edit-config>",
        error(
            "invalid-value",
            "Invalid value '*x' for name. It must be at least 1 character long and in the form "
            "its YANG type's pattern gives.",
            path=(NACM_PATH, "/nacm:nacm/nacm:groups/nacm:group/nacm:name"),
        ),
    ),
    "enumeration": (
        nothing,
        f'<edit-config><target><running/></target><config><nacm xmlns="{NACM}">'
        "<read-default>maybe</read-default></nacm></config></edit-config>",
        error(
            "invalid-value",
            "Invalid value 'maybe' for read-default. It must be one of permit, deny.",
            path=(NACM_PATH, "/nacm:nacm/nacm:read-default"),
        ),
    ),
    "mandatory leaf": (
        nothing,
        edit("<schedule/>"),
        error(
            "missing-element",
            "/su:smart-upgrade/su:schedule lacks mandatory 'download-at'",
            path=(SU_PATH, "/su:smart-upgrade/su:schedule"),
            info="<bad-element>download-at</bad-element>",
        ),
    ),
    "list entry without its key": (
        nothing,
        policies("<ssl-policy/>"),
        error(
            "missing-element",
            "an entry of /sslp:ssl-policies/sslp:ssl-policy needs its key 'name'",
            path=(SSLP_PATH, "/sslp:ssl-policies/sslp:ssl-policy"),
            info="<bad-element>name</bad-element>",
        ),
    ),
    "create of an existing node": (
        with_schedule,
        edit(SCHEDULE.replace("<schedule>", '<schedule nc:operation="create">')),
        error(
            "data-exists",
            "/su:smart-upgrade/su:schedule already exists",
            path=(SU_PATH, "/su:smart-upgrade/su:schedule"),
        ),
    ),
    "delete of a missing node": (
        nothing,
        edit('<url nc:operation="delete"/>'),
        error(
            "data-missing",
            "/su:smart-upgrade/su:url does not exist",
            path=(SU_PATH, "/su:smart-upgrade/su:url"),
        ),
    ),
    "state data in a configuration": (
        nothing,
        edit("<local-information><esn>1</esn></local-information>"),
        error(
            "unknown-element",
            "'local-information' is state data (config false) and cannot be edited",
            path=(SU_PATH, "/su:smart-upgrade/su:local-information"),
            info="<bad-element>local-information</bad-element>",
        ),
    ),
    "unknown element": (
        nothing,
        edit("<colour>red</colour>"),
        error(
            "unknown-element",
            "'colour' is not a data node here",
            path=(SU_PATH, "/su:smart-upgrade"),
            info="<bad-element>colour</bad-element>",
        ),
    ),
    "unknown namespace": (
        nothing,
        '<edit-config><target><running/></target><config><x xmlns="urn:x"/></config></edit-config>',
        error(
            "unknown-namespace",
            "namespace 'urn:x' belongs to no module of this server",
            path=("", "/"),
            info="<bad-element>x</bad-element><bad-namespace>urn:x</bad-namespace>",
        ),
    ),
    "unknown edit operation": (
        nothing,
        edit('<url nc:operation="upsert">x</url>'),
        error(
            "bad-attribute",
            "'upsert' is not an edit operation (merge, replace, create, delete, remove)",
            path=(SU_PATH, "/su:smart-upgrade/su:url"),
            info="<bad-attribute>operation</bad-attribute><bad-element>url</bad-element>",
        ),
    ),
    "lock held by another session": (
        running_locked_by_7,
        "<lock><target><running/></target></lock>",
        error(
            "lock-denied",
            "the running datastore is locked by session 7",
            error_type="protocol",
            info="<session-id>7</session-id>",
        ),
    ),
    "edit of a datastore locked by another session": (
        running_locked_by_7,
        edit("<https-port>1</https-port>"),
        error("in-use", "the running datastore is locked by session 7", error_type="protocol"),
    ),
    "unlock without a lock": (
        nothing,
        "<unlock><target><candidate/></target></unlock>",
        error("operation-failed", "the candidate datastore is not locked", error_type="protocol"),
    ),
    "url": (
        nothing,
        "<edit-config><target><running/></target><url>file:///c.xml</url></edit-config>",
        error(
            "operation-not-supported",
            "the :url capability is not supported",
            error_type="protocol",
        ),
    ),
    "delete-config of running": (
        nothing,
        "<delete-config><target><running/></target></delete-config>",
        error(
            "operation-not-supported",
            "the running datastore cannot be deleted",
            error_type="protocol",
        ),
    ),
    "edit-config of startup": (
        nothing,
        edit("<https-port>1</https-port>", target="startup"),
        error(
            "operation-not-supported",
            "startup is written only by copy-config (the :startup capability)",
            error_type="protocol",
        ),
    ),
    "missing target": (
        nothing,
        "<lock/>",
        error(
            "missing-element",
            "&lt;lock&gt; needs a &lt;target&gt;",
            error_type="protocol",
            info="<bad-element>target</bad-element>",
        ),
    ),
    "unknown default-operation": (
        nothing,
        edit("").replace("<config>", "<default-operation>merge-all</default-operation><config>"),
        error(
            "invalid-value",
            "'merge-all' is not a default-operation "
            "(one of merge, replace, create, delete, remove, none)",
            error_type="protocol",
        ),
    ),
    "unknown with-defaults mode": (
        nothing,
        "<get><with-defaults xmlns='urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults'>"
        "all</with-defaults></get>",
        error(
            "invalid-value",
            "'all' is not a with-defaults mode (one of report-all, report-all-tagged, trim, "
            "explicit)",
            error_type="protocol",
        ),
    ),
    "yang:insert with no such position": (
        nothing,
        rule_list('yang:insert="middle"'),
        error(
            "bad-attribute",
            "'middle' is not an insert position (first, last, before, after)",
            path=RULE_LIST_X,
            info="<bad-attribute>insert</bad-attribute><bad-element>rule-list</bad-element>",
        ),
    ),
    "yang:insert before without yang:key (RFC 7950 §7.8.6)": (
        nothing,
        rule_list('yang:insert="before"'),
        error(
            "missing-attribute",
            "insert before needs the key of an existing entry",
            path=RULE_LIST_X,
            info="<bad-attribute>key</bad-attribute><bad-element>rule-list</bad-element>",
        ),
    ),
    "yang:key naming no entry (RFC 7950 §15.7)": (
        nothing,
        rule_list('yang:insert="after" yang:key="[name=\'y\']"'),
        error(
            "bad-attribute",
            "key \"[name='y']\" names no entry of 'rule-list'",
            app_tag="missing-instance",
            path=RULE_LIST_X,
            info="<bad-attribute>key</bad-attribute><bad-element>rule-list</bad-element>",
        ),
    ),
    "yang:insert on a list the system orders": (
        nothing,
        policies(
            f'<ssl-policy xmlns:yang="{YANG}" yang:insert="first"><name>x</name></ssl-policy>'
        ),
        error(
            "unknown-attribute",
            "'ssl-policy' is ordered by the system: entries cannot be placed",
            path=(SSLP_PATH, "/sslp:ssl-policies/sslp:ssl-policy[sslp:name='x']"),
            info="<bad-attribute>insert</bad-attribute><bad-element>ssl-policy</bad-element>",
        ),
    ),
    "copy-config onto itself": (
        nothing,
        "<copy-config><target><running/></target><source><running/></source></copy-config>",
        error(
            "invalid-value",
            "the source and the target are the same datastore",
            error_type="protocol",
        ),
    ),
    "wrong persist-id": (
        persisted_commit,
        "<commit><persist-id>q</persist-id></commit>",
        error(
            "invalid-value",
            "the persist-id does not match the pending confirmed commit",
            error_type="protocol",
        ),
    ),
    "cancel-commit without a confirmed commit": (
        nothing,
        "<cancel-commit/>",
        error("operation-failed", "no confirmed commit is pending", error_type="protocol"),
    ),
    # RFC 6241 Appendix A: "An unexpected element is present"; ignoring it returned all the data
    "unknown parameter of get": (
        nothing,
        "<get><bogus/></get>",
        error(
            "unknown-element",
            f"&lt;get&gt; has no parameter &lt;bogus&gt; in namespace '{NC}' "
            "(it takes &lt;filter&gt; and &lt;with-defaults&gt;)",
            error_type="protocol",
            info="<bad-element>bogus</bad-element>",
        ),
    ),
    "unknown parameter of get-config, in another namespace": (
        nothing,
        '<get-config><source><running/></source><filter xmlns="urn:x"/></get-config>',
        error(
            "unknown-element",
            "&lt;get-config&gt; has no parameter &lt;filter&gt; in namespace 'urn:x' "
            "(it takes &lt;filter&gt;, &lt;source&gt; and &lt;with-defaults&gt;)",
            error_type="protocol",
            info="<bad-element>filter</bad-element>",
        ),
    ),
    "a subtree filter too big to evaluate": (
        nothing,
        "<get><filter>" + "<bogus/>" * 1001 + "</filter></get>",
        error("too-big", "a subtree filter of more than 1000 elements", error_type="protocol"),
    ),
    # what ncclient's huawei device handler sends for m.cli(...)
    "Huawei execute-cli": (
        nothing,
        f'<execute-cli xmlns="{HUAWEI}"><cmd><id>1</id>'
        "<cmdline>display smart-upgrade information</cmdline></cmd></execute-cli>",
        error(
            "operation-not-supported",
            "Huawei &lt;execute-cli&gt; is not emulated: read 'display smart-upgrade "
            "information' with &lt;get&gt; of /sunc-smart-upgrade:smart-upgrade and configure "
            "it with &lt;edit-config&gt;",
            error_type="protocol",
        ),
    ),
    "Huawei execute-action": (
        nothing,
        f'<execute-action xmlns="{HUAWEI}"><action/></execute-action>',
        error(
            "operation-not-supported",
            "Huawei &lt;execute-action&gt; is not emulated: use the RPCs of module "
            "sunc-smart-upgrade",
            error_type="protocol",
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_exact_rpc_error(case: str, tmp_path: Path) -> None:
    setup, operation, expected = CASES[case]
    server = OperationsRig(tmp_path)
    setup(server.datastores)
    assert canonical(await server.error_of(operation)) == canonical(expected)
