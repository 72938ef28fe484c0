"""The RPCs of sunc-smart-upgrade (refresh, download, right-now, cancel) on the switch emulator.

Inputs are read and outputs written through the RPC's yangson input and output nodes, so the
module decides the parameters, their defaults and the reply's leaves. ``download`` and
``right-now`` reply as soon as the operation has started, naming its target; a controller
follows it in that target's ``upgrade-information`` and in the notifications.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from lxml import etree
from yangson.schemanode import InputNode, InternalNode, LeafNode, OutputNode, RpcActionNode

from smartupgrade_model.convert import cooked, field_name
from smartupgrade_model.model import MODULE, RPCS, CancellationStatus, UpgradeTarget
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.device.refusals import OperationRefusedError
from smartupgrade_server.device.switch import Switch
from smartupgrade_server.netconf.errors import (
    BadElementError,
    ErrorType,
    UnknownElementError,
)
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.netconf.session import ReplyContent, RpcRequest
from smartupgrade_server.operations.device_link import operation_refused

Handler = Callable[[SessionContext, RpcRequest], Awaitable[ReplyContent]]
Register = Callable[[str, str, Handler], None]
# what an RPC handler gets: its input leaves by Python field name, defaults filled in
Parameters = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class _CancelOutput:
    cancellation_status: CancellationStatus


@dataclasses.dataclass(frozen=True)
class _Whose:
    """The target leaf of an output whose other leaves another object holds."""

    target: UpgradeTarget


class SmartUpgradeOperations:
    """One handler per RPC of the module, found by name: an RPC added to the module without
    a handler here stops the server from starting."""

    def __init__(self, device: Switch, schema: Schema) -> None:
        self.device = device
        self.schema = schema
        self.namespace = schema.namespace_of_module[MODULE]
        self._nsmap = cast(Mapping[str, str], {None: self.namespace})

    def register(self, register: Register) -> None:
        for name in RPCS:
            node = self.schema.root.get_child(name, MODULE)
            assert isinstance(node, RpcActionNode), f"{name} is not an RPC of {MODULE}"
            run: Callable[[Parameters], Awaitable[object]] = getattr(self, f"_{field_name(name)}")
            register(self.namespace, name, self._handler(node, run))

    def _handler(
        self, node: RpcActionNode, run: Callable[[Parameters], Awaitable[object]]
    ) -> Handler:
        input_node = node.get_child("input", MODULE)
        output_node = node.get_child("output", MODULE)
        assert isinstance(input_node, InputNode) and isinstance(output_node, OutputNode)

        async def handle(context: SessionContext, request: RpcRequest) -> ReplyContent:
            parameters = self._parameters(input_node, request.operation)
            try:
                result = await run(parameters)
            except OperationRefusedError as refused:
                raise operation_refused(refused) from None
            return self._output(output_node, *(result if isinstance(result, tuple) else (result,)))

        return handle

    # --- the RPCs -------------------------------------------------------------------------

    async def _refresh(self, parameters: Parameters) -> object:
        checked = await self.device.refresh()
        return checked, _Whose(self.device.displayed_target)

    async def _download(self, parameters: Parameters) -> object:
        return await self.device.download(_target(parameters))

    async def _right_now(self, parameters: Parameters) -> object:
        return await self.device.right_now(_target(parameters))

    async def _cancel(self, parameters: Parameters) -> object:
        return _CancelOutput(self.device.cancel())

    # --- input and output -----------------------------------------------------------------

    def _parameters(self, node: InputNode, operation: etree._Element) -> Parameters:
        """Input leaves as cooked values; an absent leaf has its default (or None)."""
        leaves = {child.name: child for child in _leaves(node)}
        parameters: Parameters = {field_name(name): leaf.default for name, leaf in leaves.items()}
        for element in operation:
            if not isinstance(element.tag, str):
                continue
            name = etree.QName(element)
            leaf = leaves.get(name.localname)
            if leaf is None or name.namespace not in (None, self.namespace):
                raise UnknownElementError(
                    ErrorType.APPLICATION,
                    name.localname,
                    message=f"{name.localname!r} is not a parameter of "
                    f"{etree.QName(operation).localname!r}",
                )
            text = (element.text or "").strip()
            value = leaf.type.parse_value(text)
            if value is None or value not in leaf.type:
                raise BadElementError(
                    ErrorType.APPLICATION,
                    name.localname,
                    message=f"{text!r} is not a valid {name.localname}",
                )
            parameters[field_name(name.localname)] = value
        return parameters

    def _output(self, node: OutputNode, *results: object) -> list[etree._Element]:
        """The output leaves, in schema order, each from the first of ``results`` that has the
        attribute."""
        elements = []
        for leaf in _leaves(node):
            name = field_name(leaf.name)
            value = next((getattr(r, name) for r in results if hasattr(r, name)), None)
            if value is None:
                continue
            element = etree.Element(f"{{{self.namespace}}}{leaf.name}", nsmap=self._nsmap)
            element.text = leaf.type.canonical_string(cooked(value))
            elements.append(element)
        return elements


def _target(parameters: Parameters) -> UpgradeTarget | None:
    """The requested target; None leaves the choice to the switch (what its commands do)."""
    target = parameters["target"]
    return None if target is None else UpgradeTarget(target)


def _leaves(node: InternalNode) -> list[LeafNode]:
    return [child for child in node.data_children() if isinstance(child, LeafNode)]
