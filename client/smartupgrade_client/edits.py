"""Configuration changes, one function per command of the switch and its ``undo`` form.

Each function checks its argument against the YANG module (lengths, ranges and patterns from
:data:`~smartupgrade_model.model.CONFIG_LEAVES`) and returns an :class:`Edit`; nothing is sent.
:func:`smartupgrade_client.messages.edit_config` combines any number of them into one
``<edit-config>``, so the seed's ``smart-upgrade ssl-policy houp`` and ``smart-upgrade enable``
can be one transaction::

    edit_config([set_ssl_policy("houp"), enable()])

``undo`` forms remove the node (``nc:operation="remove"``), which returns a leaf to its default
and, as on the switch, is not an error when nothing was configured.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from smartupgrade_client.errors import InvalidArgument
from smartupgrade_model.display import SCHEDULE_FORMAT
from smartupgrade_model.model import (
    CONFIG_LEAVES,
    NAMESPACE,
    SSL_POLICY_NAME,
    SSL_POLICY_NAMESPACE,
    LeafSpec,
)

EditOperation = Literal["merge", "replace", "create", "delete", "remove"]

_URL = CONFIG_LEAVES["/smart-upgrade/url"]
_HTTPS_PORT = CONFIG_LEAVES["/smart-upgrade/https-port"]
_SSL_POLICY = CONFIG_LEAVES["/smart-upgrade/ssl-policy"]
_VERIFY_SERVER = CONFIG_LEAVES["/smart-upgrade/verify-server"]
_ENABLED = CONFIG_LEAVES["/smart-upgrade/enabled"]
_WEB_PROMPT = CONFIG_LEAVES["/smart-upgrade/web-prompt"]
_AP_ENABLED = CONFIG_LEAVES["/smart-upgrade/ap/enabled"]
_DOWNLOAD_AT = CONFIG_LEAVES["/smart-upgrade/schedule/download-at"]
_REBOOT_AT = CONFIG_LEAVES["/smart-upgrade/schedule/reboot-at"]

_NAMESPACES = {_URL.path[0]: NAMESPACE, SSL_POLICY_NAME.path[0]: SSL_POLICY_NAMESPACE}


@dataclass(frozen=True)
class Edit:
    """One change of the configuration.

    ``path`` names the elements from a top-level container of the module to the changed node
    (at least two);
    ``value`` is a leaf's new text, ``children`` the ``(name, text)`` leaves written inside a
    container or list entry (a key first), ``operation`` the ``nc:operation`` put on the node
    (none: the ``<edit-config>`` default, merge).
    """

    path: tuple[str, ...]
    value: str | None = None
    children: tuple[tuple[str, str], ...] = ()
    operation: EditOperation | None = None

    @property
    def namespace(self) -> str:
        return _NAMESPACES[self.path[0]]


def _check(spec: LeafSpec, text: str) -> str:
    name = "/".join(spec.path)
    if spec.lengths and not any(low <= len(text) <= high for low, high in spec.lengths):
        raise InvalidArgument(f"{name}: {text!r} must have a length in {_spans(spec.lengths)}")
    for pattern in spec.patterns:
        if re.fullmatch(pattern, text) is None:
            raise InvalidArgument(f"{name}: {text!r} does not match {pattern!r}")
    return text


def _spans(spans: tuple[tuple[int, int], ...]) -> str:
    return " or ".join(f"{low}..{high}" for low, high in spans)


def _set(spec: LeafSpec, text: str) -> Edit:
    return Edit(spec.path, _check(spec, text))


def _boolean(spec: LeafSpec, value: bool) -> Edit:
    return Edit(spec.path, "true" if value else "false")


def _remove(path: tuple[str, ...]) -> Edit:
    return Edit(path, operation="remove")


def set_url(host: str) -> Edit:
    """``smart-upgrade url host``: the HOUP or proxy server (IP address or domain name)."""
    return _set(_URL, host)


def undo_url() -> Edit:
    """``undo smart-upgrade url``: back to the default server."""
    return _remove(_URL.path)


def set_https_port(port: int) -> Edit:
    """``smart-upgrade https-port https-port``."""
    if not any(low <= port <= high for low, high in _HTTPS_PORT.ranges):
        raise InvalidArgument(
            f"{'/'.join(_HTTPS_PORT.path)}: {port} is not in {_spans(_HTTPS_PORT.ranges)}"
        )
    return Edit(_HTTPS_PORT.path, str(port))


def undo_https_port() -> Edit:
    """``undo smart-upgrade https-port``: back to the default port."""
    return _remove(_HTTPS_PORT.path)


def policy_name(name: str) -> str:
    """An SSL policy name in the module's canonical form: checked, then lower-cased, since the
    switch compares names case-insensitively (docs/yang.md)."""
    return _check(SSL_POLICY_NAME, name).lower()


def set_ssl_policy(name: str) -> Edit:
    """``smart-upgrade ssl-policy policy-name``: bind an existing SSL policy."""
    return Edit(_SSL_POLICY.path, _check(_SSL_POLICY, policy_name(name)))


def undo_ssl_policy() -> Edit:
    """``undo smart-upgrade ssl-policy``: unbind the SSL policy."""
    return _remove(_SSL_POLICY.path)


def disable_verify_server() -> Edit:
    """``smart-upgrade verify-server disable``."""
    return _boolean(_VERIFY_SERVER, False)


def undo_disable_verify_server() -> Edit:
    """``undo smart-upgrade verify-server disable``: verify the server again (the default)."""
    return _remove(_VERIFY_SERVER.path)


def disable_web_prompt() -> Edit:
    """``smart-upgrade web-prompt disable``."""
    return _boolean(_WEB_PROMPT, False)


def undo_disable_web_prompt() -> Edit:
    """``undo smart-upgrade web-prompt disable``: prompt on the web system again (the default)."""
    return _remove(_WEB_PROMPT.path)


def enable() -> Edit:
    """``smart-upgrade enable``; the server refuses it while no SSL policy is bound."""
    return _boolean(_ENABLED, True)


def disable() -> Edit:
    """``undo smart-upgrade enable``; the server also cancels a scheduled upgrade."""
    return _remove(_ENABLED.path)


def enable_ap() -> Edit:
    """``smart-upgrade ap enable`` (models with the ``ap-upgrade`` feature; needs ``enable``)."""
    return _boolean(_AP_ENABLED, True)


def disable_ap() -> Edit:
    """``undo smart-upgrade ap enable``."""
    return _remove(_AP_ENABLED.path)


def schedule_time(value: datetime | str, spec: LeafSpec = _DOWNLOAD_AT) -> str:
    """A schedule time in the module's zero-padded form.

    Accepts a naive ``datetime`` in the switch's local time, or the seed's text
    ``YYYY-MM-DD HH:MM:SS`` where, as on the switch's command line, fields may be unpadded
    (``2020-2-13 20:01:24``).
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise InvalidArgument(
                f"{'/'.join(spec.path)}: give the switch's local time as a naive datetime"
            )
        text = value.strftime(SCHEDULE_FORMAT)
    else:
        match = re.fullmatch(r"\s*(\d+)-(\d+)-(\d+) +(\d+):(\d+):(\d+)\s*", value)
        if match is None:
            raise InvalidArgument(f"{'/'.join(spec.path)}: {value!r} is not YYYY-MM-DD HH:MM:SS")
        year, month, day, hour, minute, second = match.groups()
        text = f"{year}-{month:0>2}-{day:0>2} {hour:0>2}:{minute:0>2}:{second:0>2}"
    return _check(spec, text)


def schedule(download_at: datetime | str, reboot_at: datetime | str | None = None) -> Edit:
    """``smart-upgrade schedule download at T [reboot at T2]``, replacing any earlier schedule.

    That the download time lies in the switch's future and the reboot after the download is
    the server's to check (``download-time-not-in-future``, ``reboot-not-after-download``).
    """
    children = [(_DOWNLOAD_AT.path[-1], schedule_time(download_at, _DOWNLOAD_AT))]
    if reboot_at is not None:
        children.append((_REBOOT_AT.path[-1], schedule_time(reboot_at, _REBOOT_AT)))
    return Edit(_DOWNLOAD_AT.path[:-1], children=tuple(children), operation="replace")


def unschedule() -> Edit:
    """``undo smart-upgrade schedule``."""
    return _remove(_DOWNLOAD_AT.path[:-1])


def create_ssl_policy(name: str, trusted_ca: Iterable[str] = ()) -> Edit:
    """``ssl policy policy-name``: create the policy, or replace an existing one's trusted CA
    certificates (PEM, in order) with exactly these. Without CAs it is the empty policy that a
    switch with ``verify-server disable`` still needs bound."""
    ca_leaf = "trusted-ca"
    children = [(SSL_POLICY_NAME.path[-1], policy_name(name))]
    children.extend((ca_leaf, pem) for pem in trusted_ca)
    return Edit(SSL_POLICY_NAME.path[:-1], children=tuple(children), operation="replace")


def delete_ssl_policy(name: str) -> Edit:
    """``undo ssl policy policy-name``; the server refuses to delete a bound policy, and a policy
    that does not exist gives ``data-missing``."""
    return Edit(
        SSL_POLICY_NAME.path[:-1],
        children=((SSL_POLICY_NAME.path[-1], policy_name(name)),),
        operation="delete",
    )
