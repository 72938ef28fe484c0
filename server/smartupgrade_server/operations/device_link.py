"""The switch emulator behind the datastores: configuration in, state out, vetoes as rpc-errors.

The only module that knows both sides. Values cross between the generated dataclasses and RFC 7951
raw objects through ``smartupgrade_model.convert``, so no YANG name is written here twice.
"""

from __future__ import annotations

import asyncio
import logging

from yangson.schemanode import InternalNode, SchemaNode

from smartupgrade_model.convert import (
    SCHEDULE,
    SMART_UPGRADE,
    RawObject,
    smart_upgrade_config,
    ssl_policies,
    state_of,
)
from smartupgrade_model.model import MODULE, SmartUpgrade
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.store import ConfigChange, DatastoreName, Datastores
from smartupgrade_server.device.refusals import ConfigRejectedError, OperationRefusedError
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.netconf.errors import ErrorTag, ErrorType, RpcError

logger = logging.getLogger(__name__)

# --- errors -----------------------------------------------------------------------------


def error_path(schema: Schema, path: tuple[str, ...]) -> str:
    """An instance-identifier with the module's prefix, from a node path of the module."""
    text = ""
    node: SchemaNode = schema.root
    for name in path:
        assert isinstance(node, InternalNode)
        child = node.get_data_child(name, MODULE)
        assert child is not None, f"{path} is not a path of {MODULE}"
        text = schema.step(text, child)
        node = child
    return text


def config_rejected(schema: Schema, error: ConfigRejectedError) -> RpcError:
    """The switch's veto of a configuration change; the switch chose the error-tag."""
    path = error_path(schema, error.path)
    return RpcError(
        ErrorTag(error.error_tag),
        ErrorType.APPLICATION,
        app_tag=error.app_tag,
        path=path,
        path_namespaces=schema.path_namespaces(path),
        message=error.message,
    )


def operation_refused(error: OperationRefusedError) -> RpcError:
    """An RPC the switch cannot start now; the switch chose the error-tag (device/refusals.py)."""
    return RpcError(
        ErrorTag(error.error_tag),
        ErrorType.APPLICATION,
        app_tag=error.app_tag,
        message=error.message,
    )


# --- the subscription -----------------------------------------------------------------------


class DeviceLink:
    """Feeds ``running`` to the switch, lets it veto changes, and deletes the schedule when
    the switch cancels it."""

    def __init__(self, device: Switch, datastores: Datastores) -> None:
        self.device = device
        self.datastores = datastores
        self._pending_edits: set[asyncio.Handle] = set()
        self._last_state: tuple[SmartUpgrade, RawObject] | None = None
        self._last_change: tuple[ConfigChange, SmartUpgrade, dict[str, tuple[str, ...]]] | None = (
            None
        )

    def attach(self) -> None:
        """Give the switch the ``running`` it boots with and follow every change from now on
        (a schedule in it is stopped by the boot and deleted, as a reset deletes it)."""
        self.device.on_schedule_cancel = self._schedule_cancelled
        running = self.datastores.raw(DatastoreName.RUNNING)
        self.device.load_config(smart_upgrade_config(running), ssl_policies(running))
        self.datastores.subscribe(self)
        self.datastores.set_state_provider(self.state)

    def state(self) -> RawObject:
        """The switch's state as raw data: the same object while it is unchanged."""
        # The generated dataclasses are frozen: an equal snapshot has the same raw form, and
        # the datastores keep what they built from it while they get the same object again.
        state = self.device.state()
        if self._last_state is None or self._last_state[0] != state:
            self._last_state = (state, state_of(state, self.datastores.schema.root))
        return self._last_state[1]

    def _device_config(
        self, change: ConfigChange
    ) -> tuple[SmartUpgrade, dict[str, tuple[str, ...]]]:
        # commit is told the change that prepare was: convert it once
        if self._last_change is None or self._last_change[0] is not change:
            config = change.config
            self._last_change = (change, smart_upgrade_config(config), ssl_policies(config))
        return self._last_change[1:]

    # ConfigSubscriber

    def prepare(self, change: ConfigChange) -> None:
        try:
            self.device.check_config(*self._device_config(change))
        except ConfigRejectedError as error:
            raise config_rejected(self.datastores.schema, error) from None

    def commit(self, change: ConfigChange) -> None:
        self.device.apply_config(*self._device_config(change))

    def abort(self, change: ConfigChange) -> None:
        """check_config keeps nothing, so there is nothing to undo."""

    # the schedule

    def _schedule_cancelled(self) -> None:
        # The switch calls this from inside an RPC or from apply_config, i.e. while running is
        # being changed: the deletion runs as the next step of the loop, as its own edit.
        handle = asyncio.get_running_loop().call_soon(self._delete_schedule)
        self._pending_edits.add(handle)

    def _delete_schedule(self) -> None:
        self._pending_edits = {h for h in self._pending_edits if not h.cancelled()}

        def delete(config: RawObject) -> None:
            config.get(SMART_UPGRADE, {}).pop(SCHEDULE, None)

        try:
            self.datastores.system_edit(delete)
        except RpcError:
            logger.exception("the switch cancelled its schedule, but deleting it was refused")

    def close(self) -> None:
        for handle in self._pending_edits:
            handle.cancel()
        self._pending_edits.clear()
