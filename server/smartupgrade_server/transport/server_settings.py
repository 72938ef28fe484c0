"""What the switch's NETCONF server admits over TLS and whom it calls home: the datastore's
``/sunc-netconf-server:netconf-server`` (read again whenever ``running`` changes), added to what
the program's options give (:class:`NetconfServerSettings`).

:class:`NetconfServerConfig` subscribes to the datastores: it refuses a change the server
cannot apply (a fingerprint naming no hash, a trusted certificate it cannot read) and hands
every applied change to the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from smartupgrade_model.convert import RawObject, ssl_policies
from smartupgrade_server.datastore.store import ConfigChange, DatastoreName, Datastores
from smartupgrade_server.netconf.errors import ErrorType, InvalidValueError, RpcError
from smartupgrade_server.transport.call_home import (
    CALL_HOME_PORTS,
    CallHomeClient,
    CallHomeEndpoint,
    CallHomeTransport,
    Periodic,
    StartWith,
)
from smartupgrade_server.transport.cert_to_name import (
    CertToName,
    FingerprintError,
    MapType,
    parse_fingerprint,
)
from smartupgrade_server.transport.tls import TlsClientAuthentication

logger = logging.getLogger(__name__)

NETCONF_SERVER_MODULE = "sunc-netconf-server"
_MEMBER = f"{NETCONF_SERVER_MODULE}:netconf-server"


@dataclass(frozen=True)
class NetconfServerSettings:
    tls: TlsClientAuthentication = field(default_factory=TlsClientAuthentication)
    call_home: Mapping[str, CallHomeClient] = field(default_factory=dict)

    def __add__(self, other: NetconfServerSettings) -> NetconfServerSettings:
        """Both; this one's cert-to-name rules first, and its call-home clients by their
        names."""
        return NetconfServerSettings(self.tls + other.tls, {**other.call_home, **self.call_home})


class _SettingsError(Exception):
    """Where (node names below netconf-server, with key predicates) and what."""

    def __init__(self, steps: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.steps = steps


def settings_of(running: RawObject) -> NetconfServerSettings:
    """The settings of a raw ``running`` (RFC 7951); raises ``_SettingsError``."""
    server: Mapping[str, Any] = running.get(_MEMBER, {})
    tls: Mapping[str, Any] = server.get("tls", {})
    trusted: tuple[x509.Certificate, ...] = ()
    if "ssl-policy" in tls:
        policy = tls["ssl-policy"]
        pems = ssl_policies(running).get(policy, ())
        try:
            trusted = tuple(x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in pems)
        except ValueError as error:
            raise _SettingsError(
                ("tls", "ssl-policy"),
                f"SSL policy {policy!r} holds a certificate that cannot be read: {error}",
            ) from None
    rules = []
    mappings: Mapping[str, Any] = tls.get("client-identity-mappings", {})
    for entry in mappings.get("cert-to-name", ()):
        where = ("tls", "client-identity-mappings", f"cert-to-name[id='{entry['id']}']")
        try:
            fingerprint = parse_fingerprint(entry["fingerprint"])
        except FingerprintError as error:
            raise _SettingsError((*where, "fingerprint"), str(error)) from None
        map_type = MapType(str(entry["map-type"]).rpartition(":")[2])
        rules.append(CertToName(int(entry["id"]), fingerprint, map_type, entry.get("name")))
    clients = {}
    for entry in server.get("call-home", {}).get("netconf-client", ()):
        clients[entry["name"]] = _client(entry)
    return NetconfServerSettings(TlsClientAuthentication(trusted, tuple(rules)), clients)


def _client(entry: Mapping[str, Any]) -> CallHomeClient:
    endpoints = []
    for endpoint in entry["endpoints"]["endpoint"]:
        transport = CallHomeTransport.SSH if "ssh" in endpoint else CallHomeTransport.TLS
        tcp = endpoint[transport.value]["tcp-client-parameters"]
        port = int(tcp.get("remote-port", CALL_HOME_PORTS[transport]))
        endpoints.append(CallHomeEndpoint(endpoint["name"], transport, tcp["remote-address"], port))
    kind: Mapping[str, Any] = entry.get("connection-type", {})
    periodic = None
    if "periodic" in kind:
        settings = kind["periodic"]
        anchor = settings.get("anchor-time")
        idle = int(settings.get("idle-timeout", 180))
        periodic = Periodic(
            period=60.0 * int(settings.get("period", 60)),
            anchor=None if anchor is None else datetime.fromisoformat(anchor),
            idle_timeout=float(idle) if idle else None,
        )
    strategy: Mapping[str, Any] = entry.get("reconnect-strategy", {})
    return CallHomeClient(
        entry["name"],
        tuple(endpoints),
        periodic,
        StartWith(strategy.get("start-with", StartWith.FIRST_LISTED)),
        float(strategy.get("max-wait", 5)),
        int(strategy.get("max-attempts", 3)),
    )


class NetconfServerConfig:
    """Follows ``running``'s /netconf-server (a datastore subscriber, see the module)."""

    def __init__(self, datastores: Datastores, static: NetconfServerSettings) -> None:
        self._datastores = datastores
        self._static = static
        self.settings = static
        # told the settings of every applied change (the server, once there is one)
        self.listener: Callable[[NetconfServerSettings], None] | None = None

    def attach(self) -> None:
        """Read the current ``running`` and follow every change from now on. A ``running``
        loaded from ``startup`` that cannot be applied is logged and its part ignored."""
        try:
            configured = settings_of(self._datastores.raw(DatastoreName.RUNNING))
        except _SettingsError as invalid:
            logger.error("the NETCONF server's configuration cannot be applied: %s", invalid)
            configured = NetconfServerSettings()
        self.settings = configured + self._static
        self._datastores.subscribe(self)

    def prepare(self, change: ConfigChange) -> None:
        self._settings_of(change)

    def commit(self, change: ConfigChange) -> None:
        settings = self._settings_of(change) + self._static
        if settings != self.settings:
            self.settings = settings
            if self.listener is not None:
                self.listener(settings)

    def abort(self, change: ConfigChange) -> None:
        """prepare keeps nothing, so there is nothing to undo."""

    def _settings_of(self, change: ConfigChange) -> NetconfServerSettings:
        try:
            return settings_of(change.config)
        except _SettingsError as invalid:
            raise self._rejected(invalid) from None

    def _rejected(self, invalid: _SettingsError) -> RpcError:
        schema = self._datastores.schema
        prefix = schema.prefix_of_module[NETCONF_SERVER_MODULE]
        steps = ("netconf-server", *invalid.steps)
        path = "".join(f"/{prefix}:{step}".replace("[", f"[{prefix}:") for step in steps)
        return InvalidValueError(
            ErrorType.APPLICATION,
            path=path,
            path_namespaces=schema.path_namespaces(path),
            message=str(invalid),
        )
