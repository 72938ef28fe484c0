"""Configuration changes, one function per command of the switch and its ``undo`` form.

The functions of the seed's ``smart-upgrade`` commands are generated from their table
(:data:`~smartupgrade_model.commands.CONFIG_COMMANDS`) by ``tools/codegen``: each is
:func:`edit_of` or :func:`undo_of` of its command. Each checks its arguments against the YANG
module (lengths, ranges and patterns from :data:`~smartupgrade_model.model.CONFIG_LEAVES`) and
returns an :class:`Edit`; nothing is sent.
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
from smartupgrade_model.commands import CONFIG_COMMANDS, ConfigCommand, ValueKind
from smartupgrade_model.convert import ROOT
from smartupgrade_model.display import SCHEDULE_FORMAT
from smartupgrade_model.model import (
    CONFIG_LEAVES,
    NAMESPACE,
    SSL_POLICY_NAME,
    SSL_POLICY_NAMESPACE,
    LeafSpec,
)
from smartupgrade_model.rules import missing_date, refused_value, rule_of

EditOperation = Literal["merge", "replace", "create", "delete", "remove"]

_NAMESPACES = {ROOT: NAMESPACE, SSL_POLICY_NAME.path[0]: SSL_POLICY_NAMESPACE}
# the first time of the schedule, whose name messages about a schedule time give by default
_DOWNLOAD_AT = CONFIG_LEAVES["/smart-upgrade/schedule/download-at"]


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


def _refused(spec: LeafSpec, value: object, name: str | None = None) -> InvalidArgument:
    """The switch's words for a value its leaf refuses: the node (``name``, by default the
    leaf's), the value, the rule."""
    return InvalidArgument(refused_value(name or spec.path[-1], str(value), rule_of(spec)))


def _check(spec: LeafSpec, text: str, name: str | None = None) -> str:
    if spec.lengths and not any(low <= len(text) <= high for low, high in spec.lengths):
        raise _refused(spec, text, name)
    for pattern in spec.patterns:
        if re.fullmatch(pattern, text) is None:
            raise _refused(spec, text, name)
    return text


def policy_name(name: str) -> str:
    """An SSL policy name in the module's canonical form: checked, then lower-cased, since the
    switch compares names case-insensitively (docs/yang.md)."""
    return _check(SSL_POLICY_NAME, name).lower()


def schedule_time(
    value: datetime | str, spec: LeafSpec = _DOWNLOAD_AT, *, name: str | None = None
) -> str:
    """A schedule time in the module's zero-padded form.

    Accepts a naive ``datetime`` in the switch's local time, or the seed's text
    ``YYYY-MM-DD HH:MM:SS`` where, as on the switch's command line, fields may be unpadded
    (``2020-2-13 20:01:24``). ``name``: what a refusal calls the value (the leaf's name).
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
            raise _refused(spec, value, name)
        year, month, day, hour, minute, second = match.groups()
        text = f"{year}-{month:0>2}-{day:0>2} {hour:0>2}:{minute:0>2}:{second:0>2}"
        try:
            _check(spec, text, name)
        except InvalidArgument:
            # the refusal quotes the time as it was given, not as padded
            raise _refused(spec, value, name) from None
        missing = missing_date(int(year), int(month), int(day))
        if missing is not None:
            raise InvalidArgument(refused_value(name or spec.path[-1], value, missing))
    return _check(spec, text, name)


def _number(spec: LeafSpec, value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _refused(spec, value)
    if not any(low <= value <= high for low, high in spec.ranges):
        raise _refused(spec, value)
    return str(value)


def _argument(command: ConfigCommand, index: int, value: object) -> str | None:
    """The text of one argument of a command, checked against its leaf."""
    parameter = command.parameters[index]
    spec = parameter.leaf
    if value is None:
        if not parameter.optional:
            raise InvalidArgument(f"{'/'.join(spec.path)}: a value is needed")
        return None
    if parameter.kind is ValueKind.NUMBER:
        return _number(spec, value)
    if parameter.kind is ValueKind.TIME and isinstance(value, datetime | str):
        return schedule_time(value, spec)
    if not isinstance(value, str):
        raise _refused(spec, value)
    text = _check(spec, value)
    # the canonical form of a value the switch compares in any case (docs/yang.md)
    return text.lower() if parameter.case_insensitive else text


def edit_of(command: ConfigCommand, *arguments: object) -> Edit:
    """The edit of a seed command (a row of
    :data:`~smartupgrade_model.commands.CONFIG_COMMANDS`) with its arguments in order, None for
    an optional one left out: a merge of its leaf, or its container replaced whole."""
    if len(arguments) != len(command.parameters):
        raise TypeError(f"{command.text} takes {len(command.parameters)} arguments")
    texts = [_argument(command, index, value) for index, value in enumerate(arguments)]
    values = command.values(texts)
    if not command.replaces:
        ((leaf, text),) = values
        return Edit(leaf.path, text)
    children = tuple((leaf.path[-1], text) for leaf, text in values)
    return Edit(command.node, children=children, operation="replace")


def undo_of(command: ConfigCommand) -> Edit:
    """The edit of a seed command's ``undo`` form: its node removed, back to the default."""
    return Edit(command.node, operation="remove")


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


# --- generated by tools/codegen from smartupgrade_model.commands: do not edit ---


def set_url(host: str) -> Edit:
    """``smart-upgrade url host``: configures the URL of a proxy server.

    ``host``: URL or IP address of a proxy server (``/smart-upgrade/url``).
    """
    return edit_of(CONFIG_COMMANDS["url"], host)


def undo_url() -> Edit:
    """``undo smart-upgrade url``: cancels the configured URL of a proxy server.

    Removes the node, which brings back the module's default, ``s.houp.huawei.com``.
    """
    return undo_of(CONFIG_COMMANDS["url"])


def set_https_port(port: int) -> Edit:
    """``smart-upgrade https-port https-port``: configures the HTTPS port number of a proxy server.

    ``port``: HTTPS port number of a proxy server (``/smart-upgrade/https-port``).
    """
    return edit_of(CONFIG_COMMANDS["https-port"], port)


def undo_https_port() -> Edit:
    """``undo smart-upgrade https-port``: cancels the configured HTTPS port number of a proxy
    server.

    Removes the node, which brings back the module's default, ``443``.
    """
    return undo_of(CONFIG_COMMANDS["https-port"])


def set_ssl_policy(name: str) -> Edit:
    """``smart-upgrade ssl-policy policy-name``: binds an SSL policy to smart upgrade.

    ``name``: name of an SSL policy (``/smart-upgrade/ssl-policy``); compared in any case, sent in
    lower case.
    """
    return edit_of(CONFIG_COMMANDS["ssl-policy"], name)


def undo_ssl_policy() -> Edit:
    """``undo smart-upgrade ssl-policy``: unbinds an SSL policy from smart upgrade.

    Removes the node, which brings back the module's default.
    """
    return undo_of(CONFIG_COMMANDS["ssl-policy"])


def disable_verify_server() -> Edit:
    """``smart-upgrade verify-server disable``: disables the server certificate verification
    function.
    """
    return edit_of(CONFIG_COMMANDS["verify-server disable"])


def undo_disable_verify_server() -> Edit:
    """``undo smart-upgrade verify-server disable``: enables the server certificate verification
    function.

    Removes the node, which brings back the module's default, ``true``.
    """
    return undo_of(CONFIG_COMMANDS["verify-server disable"])


def disable_web_prompt() -> Edit:
    """``smart-upgrade web-prompt disable``: disables web prompt for smart upgrade."""
    return edit_of(CONFIG_COMMANDS["web-prompt disable"])


def undo_disable_web_prompt() -> Edit:
    """``undo smart-upgrade web-prompt disable``: enables web prompt for smart upgrade.

    Removes the node, which brings back the module's default, ``true``.
    """
    return undo_of(CONFIG_COMMANDS["web-prompt disable"])


def enable() -> Edit:
    """``smart-upgrade enable``: enables smart upgrade.

    The server checks: Smart upgrade cannot be enabled before an SSL policy is bound (smart-upgrade
    ssl-policy policy-name).
    """
    return edit_of(CONFIG_COMMANDS["enable"])


def disable() -> Edit:
    """``undo smart-upgrade enable``: disables smart upgrade.

    Removes the node, which brings back the module's default, ``false``.
    """
    return undo_of(CONFIG_COMMANDS["enable"])


def enable_ap() -> Edit:
    """``smart-upgrade ap enable``: enables smart upgrade for APs.

    Only on models with the ``ap-upgrade`` feature.

    The server checks: Smart upgrade for APs cannot be enabled before smart upgrade is enabled
    (smart-upgrade enable).
    """
    return edit_of(CONFIG_COMMANDS["ap enable"])


def disable_ap() -> Edit:
    """``undo smart-upgrade ap enable``: disables smart upgrade for APs.

    Removes the node, which brings back the module's default, ``false``.
    """
    return undo_of(CONFIG_COMMANDS["ap enable"])


def schedule(download_at: datetime | str, reboot_at: datetime | str | None = None) -> Edit:
    """``smart-upgrade schedule download at download-time [ reboot at reboot-time ]``: configures
    the scheduled smart upgrade function on a switch.

    ``download_at``: time when a switch downloads system files
    (``/smart-upgrade/schedule/download-at``); a naive ``datetime`` in the switch's local time, or
    the seed's ``YYYY-MM-DD HH:MM:SS`` with fields padded or not.

    ``reboot_at``: time when a switch restarts after an upgrade
    (``/smart-upgrade/schedule/reboot-at``); a naive ``datetime`` in the switch's local time, or the
    seed's ``YYYY-MM-DD HH:MM:SS`` with fields padded or not; may be left out.

    Replaces the whole ``schedule``, an earlier one too.

    The server checks: The reboot time must be later than the download time.
    """
    return edit_of(CONFIG_COMMANDS["schedule"], download_at, reboot_at)


def unschedule() -> Edit:
    """``undo smart-upgrade schedule``: disables the scheduled smart upgrade function on a switch.

    Removes the node, which brings back the module's default.
    """
    return undo_of(CONFIG_COMMANDS["schedule"])


# --- end of the generated code ---
