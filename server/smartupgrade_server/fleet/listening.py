"""Whether this process may listen where a fleet's switches are to listen, asked once before
anything starts: a port below 1024 without root or CAP_NET_BIND_SERVICE, or an address that is
not this machine's, would otherwise fail every switch one by one with the same reason."""

from __future__ import annotations

import errno
import os
import socket
import sys

from smartupgrade_server.fleet.spec import (
    PRIVILEGED_PORTS_BELOW,
    SERVICE_NAMES,
    STANDARD_PORTS,
    FleetSpec,
    FleetSpecError,
)

# what --port-offset to offer: 830, 22 and 443 become 8830, 8022 and 8443
SUGGESTED_PORT_OFFSET = 8000


class CannotListenError(FleetSpecError):
    """This process may not listen where the fleet's switches are to listen."""


def check_listening(spec: FleetSpec) -> None:
    """Bind (and let go of) the first switch's lowest port below 1024, or any port of its
    address; CannotListenError with what to do when the system refuses. A port in use is
    left to the switch that wants it to report."""
    first = spec.switches[0]
    ports = first.ports()
    privileged = sorted(port for port in ports.values() if 0 < port < PRIVILEGED_PORTS_BELOW)
    if not privileged and spec.addresses is None:
        return
    family = socket.AF_INET6 if ":" in first.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((first.host, privileged[0] if privileged else 0))
        except PermissionError:
            raise CannotListenError(_privileged_text(spec, first.host, privileged)) from None
        except OSError as error:
            if error.errno == errno.EADDRNOTAVAIL:
                raise CannotListenError(
                    f"cannot listen on {first.host}: it is not an address of this machine. "
                    "Every address of 127.0.0.0/8 is (--addresses 127.1.0.1/16); any other "
                    "must be configured on an interface first"
                ) from None
            if error.errno != errno.EADDRINUSE:
                raise


def _privileged_text(spec: FleetSpec, host: str, ports: list[int]) -> str:
    listed = ", ".join(map(str, ports))
    python = os.path.realpath(sys.executable)
    if spec.addresses is not None:
        offset = spec.port_offset + SUGGESTED_PORT_OFFSET
        raised = ", ".join(
            f"{SERVICE_NAMES[service]} on {STANDARD_PORTS[service] + offset}"
            for service in spec.services
        )
        instead = f"give --port-offset {offset} (then {raised})"
    else:
        instead = f"give ports from {PRIVILEGED_PORTS_BELOW} up"
    return (
        f"cannot listen on port {ports[0]} of {host}: ports below {PRIVILEGED_PORTS_BELOW} "
        f"(here {listed}) take root or the capability CAP_NET_BIND_SERVICE, which this process "
        f"has not. Either {instead}, or let Python listen there: "
        f"sudo setcap cap_net_bind_service=+ep {python} (or, for every program, "
        f"sysctl net.ipv4.ip_unprivileged_port_start={min(ports)})"
    )
