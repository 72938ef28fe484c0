"""YANG-push (RFC 8641) for the SDK: the requests of an on-change subscription, and a mirror of
the data it selects, kept by its ``push-update`` and ``push-change-update`` notifications
alone; and the replay (RFC 8639) of the switch's last word on a run. No I/O.

The mirror holds the selection as a ``<data>`` tree, as a ``<get>`` reply has it, so the
parsers that read replies read it too. A ``push-update`` replaces it; the edits of a
``push-change-update``'s YANG patch (RFC 8072) are applied in order: their targets are RFC 8040
data resource identifiers from the datastore's root, resolved with the module files the server
loads (``smartupgrade_model``), which give each module's namespace and each list's keys.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import cast
from urllib.parse import quote, unquote

from lxml import etree
from yangson.schemanode import InternalNode, LeafListNode, ListNode, SchemaNode

from smartupgrade_client.errors import NETCONF_NS, ReplyParseError
from smartupgrade_client.messages import Container
from smartupgrade_client.rfc7951 import data_model
from smartupgrade_model.model import NAMESPACE, UpgradeStatus, UpgradeTarget

SUBSCRIBED_NOTIFICATIONS_NS = "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
YANG_PUSH_NS = "urn:ietf:params:xml:ns:yang:ietf-yang-push"
DATASTORES_NS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
YANG_LIBRARY_NS = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
YANG_LIBRARY_CAPABILITY = "urn:ietf:params:netconf:capability:yang-library:1.1"
YANG_PUSH_MODULE = "ietf-yang-push"
ON_CHANGE = "on-change"
WHOLE = "/su:smart-upgrade"


def xpath_of(container: Container) -> str:
    """The XPath (prefix ``su``) of a state container of ``/smart-upgrade``, named as
    :func:`messages.of_target` names it."""
    names = (container,) if isinstance(container, str) else container
    return WHOLE + "".join(f"/su:{name}" for name in names)


# what wait() follows of the switch: the upgrade's status and progress
UPGRADE_INFORMATION = xpath_of("upgrade-information")


def _nsmap(mapping: Mapping[str | None, str]) -> Mapping[str, str]:
    # lxml-stubs type nsmap keys as str although lxml takes None for the default namespace
    return cast(Mapping[str, str], mapping)


def establish_on_change(
    xpath: str = WHOLE, *, datastore: str = "operational", dampening: int = 0
) -> etree._Element:
    """``establish-subscription`` to changes of ``datastore`` selected by ``xpath`` (prefix
    ``su`` is the smart-upgrade module), each reported at once (``dampening`` centiseconds:
    no sooner than that after the previous update), starting with the whole selection."""
    request = etree.Element(
        f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}establish-subscription",
        nsmap=_nsmap({None: SUBSCRIBED_NOTIFICATIONS_NS, "yp": YANG_PUSH_NS}),
    )
    etree.SubElement(
        request, f"{{{YANG_PUSH_NS}}}datastore", nsmap=_nsmap({"ds": DATASTORES_NS})
    ).text = f"ds:{datastore}"
    etree.SubElement(
        request, f"{{{YANG_PUSH_NS}}}datastore-xpath-filter", nsmap=_nsmap({"su": NAMESPACE})
    ).text = xpath
    on_change = etree.SubElement(request, f"{{{YANG_PUSH_NS}}}on-change")
    etree.SubElement(on_change, f"{{{YANG_PUSH_NS}}}dampening-period").text = str(dampening)
    return request


def delete_subscription(identifier: int) -> etree._Element:
    request = etree.Element(
        f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}delete-subscription",
        nsmap=_nsmap({None: SUBSCRIBED_NOTIFICATIONS_NS}),
    )
    etree.SubElement(request, f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}id").text = str(identifier)
    return request


def establish_status_replay(since: str) -> etree._Element:
    """``establish-subscription`` to the ``NETCONF`` stream's ``upgrade-status-changed``
    notifications, replayed from a second before ``since`` (an ``eventTime`` the switch
    wrote: the replay must start in the past of the switch's clock)."""
    start = datetime.fromisoformat(since) - timedelta(seconds=1)
    request = etree.Element(
        f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}establish-subscription",
        nsmap=_nsmap({None: SUBSCRIBED_NOTIFICATIONS_NS}),
    )
    etree.SubElement(request, f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}stream").text = "NETCONF"
    selection = etree.SubElement(request, f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}stream-subtree-filter")
    etree.SubElement(
        selection, f"{{{NAMESPACE}}}upgrade-status-changed", nsmap=_nsmap({None: NAMESPACE})
    )
    etree.SubElement(
        request, f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}replay-start-time"
    ).text = start.isoformat()
    return request


def replay_completed(event: etree._Element, identifier: int) -> bool:
    """Whether ``event`` is the ``replay-completed`` of subscription ``identifier``."""
    return event.tag == f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}replay-completed" and (
        event.findtext(f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}id") == str(identifier)
    )


def status_message(
    event: etree._Element, target: UpgradeTarget, status: UpgradeStatus | None
) -> str | None:
    """What the switch said as ``target``'s upgrade status became ``status``, if ``event`` is
    that ``upgrade-status-changed``: its Error or Info text without the prefix."""
    if event.tag != f"{{{NAMESPACE}}}upgrade-status-changed" or status is None:
        return None
    said = event.findtext(f"{{{NAMESPACE}}}message")
    if (
        said is None
        or (event.findtext(f"{{{NAMESPACE}}}target") or UpgradeTarget.SWITCH) != target
        or event.findtext(f"{{{NAMESPACE}}}upgrade-status") != status
    ):
        return None
    return said.strip()


def subscription_id(reply: etree._Element) -> int:
    """The ``id`` of an ``establish-subscription`` reply."""
    found = reply.findtext(f"{{{SUBSCRIBED_NOTIFICATIONS_NS}}}id")
    if found is None or not found.strip().isdigit():
        raise ReplyParseError("establish-subscription's reply has no id")
    return int(found)


def yang_push_module() -> etree._Element:
    """``<get>`` of the yang-library's entry for ietf-yang-push (RFC 8525)."""
    request = etree.Element(f"{{{NETCONF_NS}}}get", nsmap=_nsmap({"nc": NETCONF_NS}))
    selection = etree.SubElement(request, f"{{{NETCONF_NS}}}filter", type="subtree")
    library = etree.SubElement(
        selection, f"{{{YANG_LIBRARY_NS}}}yang-library", nsmap=_nsmap({None: YANG_LIBRARY_NS})
    )
    entry = etree.SubElement(
        etree.SubElement(library, f"{{{YANG_LIBRARY_NS}}}module-set"),
        f"{{{YANG_LIBRARY_NS}}}module",
    )
    etree.SubElement(entry, f"{{{YANG_LIBRARY_NS}}}name").text = YANG_PUSH_MODULE
    return request


def offers_on_change(reply: etree._Element) -> bool:
    """Whether the yang-library in a reply to :func:`yang_push_module` has ietf-yang-push
    implemented with its ``on-change`` feature."""
    return any(
        entry.findtext(f"{{{YANG_LIBRARY_NS}}}name") == YANG_PUSH_MODULE
        and ON_CHANGE in [f.text for f in entry.iterfind(f"{{{YANG_LIBRARY_NS}}}feature")]
        for entry in reply.iter(f"{{{YANG_LIBRARY_NS}}}module")
    )


@dataclass(frozen=True)
class _Step:
    namespace: str
    name: str
    node: SchemaNode
    # a list's key values, or a leaf-list entry's value
    keys: tuple[str, ...] = ()


@cache
def _namespaces() -> Mapping[str, str]:
    """Module names by namespace."""
    return {ns: module.yang_id[0] for ns, module in data_model().schema_data.modules_by_ns.items()}


@cache
def _namespace_of(module: str) -> str:
    for namespace, name in _namespaces().items():
        if name == module:
            return namespace
    raise ReplyParseError(f"YANG patch: no module {module!r}")


def _steps(target: str) -> list[_Step]:
    """An RFC 8040 data resource identifier as steps through the schema."""
    steps: list[_Step] = []
    node: SchemaNode = data_model().schema
    module = ""
    for part in target.strip("/").split("/"):
        name, equals, keys = part.partition("=")
        prefix, colon, local = name.partition(":")
        if colon:
            module = prefix
        else:
            local = name
        child = node.get_data_child(local, module) if isinstance(node, InternalNode) else None
        if child is None:
            raise ReplyParseError(f"YANG patch: {target!r} is not a data node")
        values = tuple(unquote(value) for value in keys.split(",")) if equals else ()
        steps.append(_Step(_namespace_of(module), local, child, values))
        node = child
    return steps


def _matches(element: etree._Element, step: _Step) -> bool:
    if element.tag != f"{{{step.namespace}}}{step.name}":
        return False
    if isinstance(step.node, LeafListNode):
        return (element.text or "").strip() == step.keys[0]
    if isinstance(step.node, ListNode) and step.keys:
        names = [name for name, _ in step.node.keys]
        found = [(element.findtext(f"{{{step.namespace}}}{key}") or "").strip() for key in names]
        return tuple(found) == step.keys
    return True


def _find(parent: etree._Element, step: _Step) -> etree._Element | None:
    return next((child for child in parent if _matches(child, step)), None)


def _parent(data: etree._Element, steps: list[_Step]) -> etree._Element:
    """The element the last step is a child of, made where missing (a list entry with its
    keys)."""
    parent = data
    for step in steps[:-1]:
        found = _find(parent, step)
        if found is None:
            found = etree.SubElement(
                parent, f"{{{step.namespace}}}{step.name}", nsmap=_nsmap({None: step.namespace})
            )
            if isinstance(step.node, ListNode):
                for (key, _), value in zip(step.node.keys, step.keys, strict=True):
                    etree.SubElement(found, f"{{{step.namespace}}}{key}").text = value
        parent = found
    return parent


class PushMirror:
    """The data one subscription selects, kept up to date by its updates alone."""

    def __init__(self, identifier: int) -> None:
        self.id = identifier
        self.data = etree.Element(f"{{{NETCONF_NS}}}data", nsmap=_nsmap({None: NETCONF_NS}))
        # a push-update has come: the mirror is whole
        self.synchronised = False
        self.patches = 0
        # the eventTime of the last update, as the switch wrote it
        self.time: str | None = None

    def apply(self, event: etree._Element, time: str | None = None) -> bool:
        """Take one notification's event (and its ``eventTime``); True if it was an update of
        this subscription (what it changed is then in :attr:`data`)."""
        name = etree.QName(event)
        if name.namespace != YANG_PUSH_NS or event.findtext(f"{{{YANG_PUSH_NS}}}id") != str(
            self.id
        ):
            return False
        if name.localname in ("push-update", "push-change-update"):
            self.time = time
        if name.localname == "push-update":
            contents = event.find(f"{{{YANG_PUSH_NS}}}datastore-contents")
            self.data[:] = [] if contents is None else [copy.deepcopy(c) for c in contents]
            self.synchronised = True
            return True
        if name.localname != "push-change-update":
            return False
        patch = event.find(f"{{{YANG_PUSH_NS}}}datastore-changes/{{{YANG_PUSH_NS}}}yang-patch")
        for edit in () if patch is None else patch.iterfind(f"{{{YANG_PUSH_NS}}}edit"):
            self._edit(edit)
        self.patches += 1
        return True

    def _edit(self, edit: etree._Element) -> None:
        def text(leaf: str) -> str:
            return (edit.findtext(f"{{{YANG_PUSH_NS}}}{leaf}") or "").strip()

        operation = text("operation")
        steps = _steps(text("target"))
        parent = _parent(self.data, steps)
        existing = _find(parent, steps[-1])
        if operation in ("delete", "remove"):
            if existing is not None:
                parent.remove(existing)
            return
        value = edit.find(f"{{{YANG_PUSH_NS}}}value")
        if operation == "move":
            if existing is None:
                raise ReplyParseError(f"YANG patch: nothing to move at {text('target')!r}")
            node = existing
        else:
            children = [] if value is None else [c for c in value if isinstance(c.tag, str)]
            if len(children) != 1:
                raise ReplyParseError(f"YANG patch: {operation} without one value")
            node = copy.deepcopy(children[0])
        if existing is not None:
            parent.remove(existing)
        if operation in ("insert", "move"):
            self._place(parent, node, text("where"), text("point"))
        else:
            parent.append(node)

    def _place(self, parent: etree._Element, node: etree._Element, where: str, point: str) -> None:
        siblings = [child for child in parent if child.tag == node.tag]
        if where == "first" and siblings:
            siblings[0].addprevious(node)
            return
        if where in ("after", "before") and point:
            anchor = _find(parent, _steps(point)[-1])
            if anchor is not None:
                (anchor.addnext if where == "after" else anchor.addprevious)(node)
                return
        if siblings:
            siblings[-1].addnext(node)
        else:
            parent.append(node)

    def leaves(self) -> dict[str, str]:
        """Every leaf (and leaf-list entry) of the mirror by its RFC 8040 path, as a patch's
        targets name them."""
        found: dict[str, str] = {}
        _leaves(self.data, data_model().schema, "", "", found)
        return found


def _leaves(
    element: etree._Element, node: SchemaNode, module: str, path: str, found: dict[str, str]
) -> None:
    for child in element:
        if not isinstance(child.tag, str) or not isinstance(node, InternalNode):
            continue
        name = etree.QName(child)
        child_module = _namespaces().get(name.namespace or "", "")
        schema_node = node.get_data_child(name.localname, child_module)
        if schema_node is None:
            continue
        step = name.localname if child_module == module else f"{child_module}:{name.localname}"
        text = (child.text or "").strip()
        if isinstance(schema_node, LeafListNode):
            found[f"{path}/{step}={quote(text, safe='')}"] = text
        elif isinstance(schema_node, ListNode):
            keys = [
                quote(child.findtext(f"{{{name.namespace}}}{key}") or "", safe="")
                for key, _ in schema_node.keys
            ]
            _leaves(child, schema_node, child_module, f"{path}/{step}={','.join(keys)}", found)
        elif isinstance(schema_node, InternalNode):
            _leaves(child, schema_node, child_module, f"{path}/{step}", found)
        else:
            found[f"{path}/{step}"] = text
