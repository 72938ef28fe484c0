"""What the server advertises in its hello, derived from what it implements."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlencode

from smartupgrade_model.modules import DEVIATIONS, YangModule, yang_dir
from smartupgrade_server.datastore.codec import WithDefaults
from smartupgrade_server.datastore.yang_library import ModuleSet, is_yang_1_1
from smartupgrade_server.netconf.notification import (
    INTERLEAVE_CAPABILITY,
    NOTIFICATION_CAPABILITY,
)

WRITABLE_RUNNING = "urn:ietf:params:netconf:capability:writable-running:1.0"
CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
CONFIRMED_COMMIT = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
ROLLBACK_ON_ERROR = "urn:ietf:params:netconf:capability:rollback-on-error:1.0"
VALIDATE = "urn:ietf:params:netconf:capability:validate:1.1"
STARTUP = "urn:ietf:params:netconf:capability:startup:1.0"
XPATH = "urn:ietf:params:netconf:capability:xpath:1.0"
WITH_DEFAULTS = "urn:ietf:params:netconf:capability:with-defaults:1.0"
# RFC 8526 §2: get-data's with-defaults applies to operational too
WITH_OPERATIONAL_DEFAULTS = "urn:ietf:params:netconf:capability:with-operational-defaults:1.0"
BASIC_MODE = WithDefaults.EXPLICIT


def with_defaults_capability() -> str:
    """RFC 6243 §4.3: the basic mode and the other modes, comma-separated."""
    also = ",".join(mode for mode in WithDefaults if mode is not BASIC_MODE)
    return f"{WITH_DEFAULTS}?basic-mode={BASIC_MODE}&also-supported={also}"


def module_capability(module: YangModule, features: tuple[str, ...]) -> str:
    """A module announced as in RFC 6020 §5.6.4 (what ncclient and yangcli read)."""
    parameters = {"module": module.name, "revision": module.revision}
    if features:
        parameters["features"] = ",".join(features)
    if module.name in DEVIATIONS:
        parameters["deviations"] = ",".join(DEVIATIONS[module.name])
    return f"{module.namespace}?{urlencode(parameters, safe=',')}"


@cache
def protocol_capabilities() -> tuple[str, ...]:
    """The NETCONF capabilities but the base ones (the session adds those)."""
    return (
        WRITABLE_RUNNING,
        CANDIDATE,
        CONFIRMED_COMMIT,
        ROLLBACK_ON_ERROR,
        VALIDATE,
        STARTUP,
        XPATH,
        with_defaults_capability(),
        NOTIFICATION_CAPABILITY,
        INTERLEAVE_CAPABILITY,
    )


@cache
def server_capabilities(modules: ModuleSet) -> tuple[str, ...]:
    """Every capability but the base ones: the protocol's, the yang-library's, and the modules
    RFC 7950 §5.6.4 lets a hello announce.

    YANG 1.1 modules are announced by the yang-library only, except our own (``yang/``, not
    ``yang/ietf/``): ncclient, netconf-console2 and yangcli learn them from the hello alone.
    """
    return (
        *protocol_capabilities(),
        modules.capability(),
        *(
            module_capability(module, modules.features.get(module.name, ()))
            for module in modules.modules
            if not is_yang_1_1(module) or module.path.parent == yang_dir()
        ),
    )
