"""NETCONF ``<filter>`` evaluation: pure functions from a data tree to the filtered tree, no I/O.

The input is the whole data tree as lxml elements under one root element (normally ``<data>``);
the output is a new tree under a copy of that root holding only the selected nodes, in the
data's document order, each selected instance once. The input is never modified.

API::

    flt = parse_filter(filter_element)            # SubtreeFilter | XPathFilter, or RpcError
    reply_data = flt.apply(data, FilterContext(list_keys=..., module_prefixes=...))

    subtree_filter(data, filter_children, list_keys=...) -> etree._Element
    xpath_filter(data, select, namespaces, list_keys=..., module_prefixes=...) -> etree._Element

``list_keys`` is the only YANG knowledge needed: given a data element it returns the local names
of its key leaves if it is a list entry (keys live in the list's namespace), else ``()``.

Subtree filtering (RFC 6241 §6), as implemented:

- ``<filter>`` without ``type`` is a subtree filter (§7.1: subtree is the default);
  netconf-console2 sends ``<nc:filter>`` with no ``type``. A ``<filter>`` with no child elements
  selects nothing (§6.4.2).
- Namespace selection (§6.2.1): a filter element in a namespace matches data elements of that
  namespace only; a filter element in no namespace matches the local name in any namespace
  (clients such as Ansible send unqualified XML, and a YANG server has no un-namespaced data).
- Attribute match expressions (§6.2.2): every attribute on a filter node must be present on the
  data node with the same qualified name and value (an unqualified filter attribute matches only
  an unqualified data attribute, as §6.4.8 explains).
- A filter node with child elements is a containment node (§6.2.3); one without child elements
  and with only whitespace text is a selection node (§6.2.4); one with non-whitespace text is a
  content match node (§6.2.5), compared after stripping leading and trailing whitespace, against
  data leaves only.
- Sibling sets (§6.2.5, §6.3): all content match nodes of a set must match, else the data
  parent contributes nothing for this filter (§6.4.7 "barney"); matching content nodes are
  output; selection nodes select whole subtrees; containment nodes recurse and are output only
  if something beneath them is selected; with no selection or containment nodes in the set the
  whole data parent is selected. The top-level filter elements form one sibling set (§6.3).
- A filter of more than :data:`MAX_FILTER_NODES` elements is ``too-big`` (error-type protocol).
- A filter node that names nothing the data has (a typo, a module this switch lacks, a
  ``<bogus/>``) selects nothing and is no error: §6 defines a filter by what it matches, as a
  selection node without data selects nothing. An unknown *parameter* of ``<get>`` (an element
  beside ``<filter>``) is ``unknown-element`` (operations/dispatcher.py).
- Several filter subtrees selecting overlapping data are merged, never duplicated (§6.1), and
  the union is taken per data instance (§6.4.7 with three ``<user>`` filters).
- A list entry that is output only in part also gets its key leaves, so the entry stays
  identifiable (what libyang-based and ConfD servers do; §6 itself does not require it).

XPath filtering (RFC 6241 §8.9, ``<filter type="xpath" select="..."/>``):

- XPath 1.0 evaluated by lxml. The conceptual root node of the datastore is the data root: an
  absolute path ``/a`` selects top-level data node ``a``, ``/`` and ``/*`` select everything.
- Prefixes: those in scope on the ``<filter>`` element, then ``module_prefixes`` (YANG module
  prefixes and names), because netconf-console2 (``-x``/path arguments) sends ``select`` with no
  namespace declarations at all, as ConfD accepts.
- An unprefixed element name test matches that local name in any namespace (XPath 1.0 would
  match only un-namespaced elements, which a YANG server never has). Attribute names are
  unchanged.
- The result is every selected node with its whole subtree, its ancestors, and the keys of
  ancestor list entries. A selected attribute or text node selects its element.
- A syntax error, an unknown prefix or function, or a result that is not a node-set (number,
  string, boolean) is an ``invalid-value`` rpc-error (error-type protocol).
- Work is bounded before libxml2 starts, which cannot be interrupted: :func:`xpath_visits`
  estimates the nodes an expression visits on data of a given size, and an estimate over
  ``FilterContext.max_xpath_visits`` is ``resource-denied`` (error-type protocol).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import TypeAlias, cast

from lxml import etree

from smartupgrade_server.netconf.errors import (
    BadAttributeError,
    ErrorType,
    InvalidValueError,
    MissingAttributeError,
    ResourceDeniedError,
    TooBigError,
)

ListKeys: TypeAlias = Callable[[etree._Element], Sequence[str]]

# Node visits of one XPath evaluation: libxml2 makes about 10^8 a second on this project's
# machines, so this bounds an evaluation, which holds the event loop, to about 100 ms.
MAX_XPATH_VISITS = 10_000_000
# Axes whose steps may visit every node of the data, not a node's children or ancestors.
_SCANNING_AXES = frozenset(
    {
        "descendant",
        "descendant-or-self",
        "following",
        "following-sibling",
        "preceding",
        "preceding-sibling",
    }
)

# Nodes of one subtree filter. Each costs a few microseconds per data node it is compared with
# (60,000 took 190 ms with no data at all); a filter names what a client wants to read, tens of
# nodes, or a few hundred list keys.
MAX_FILTER_NODES = 1000
_MORE_FILTER_NODES_THAN_THE_LIMIT = etree.XPath(f"boolean(descendant::*[{MAX_FILTER_NODES + 1}])")


def no_list_keys(_element: etree._Element) -> Sequence[str]:
    """For data without YANG lists, or when keys need not be added."""
    return ()


@dataclass(frozen=True)
class FilterContext:
    """What the datastore knows and the filter needs: list keys and YANG module prefixes."""

    list_keys: ListKeys = no_list_keys
    # prefix (or module name) -> namespace, used for XPath prefixes not declared on <filter>
    module_prefixes: Mapping[str, str] = field(default_factory=dict)
    # None: the caller bounded the expression when it accepted it (a subscription's filter)
    max_xpath_visits: int | None = MAX_XPATH_VISITS


@dataclass(frozen=True)
class SubtreeFilter:
    children: tuple[etree._Element, ...]

    def apply(self, data: etree._Element, context: FilterContext) -> etree._Element:
        return subtree_filter(data, self.children, list_keys=context.list_keys)


@dataclass(frozen=True)
class XPathFilter:
    select: str
    namespaces: Mapping[str, str]

    def apply(self, data: etree._Element, context: FilterContext) -> etree._Element:
        return xpath_filter(
            data,
            self.select,
            self.namespaces,
            list_keys=context.list_keys,
            module_prefixes=context.module_prefixes,
            max_visits=context.max_xpath_visits,
        )


Filter: TypeAlias = SubtreeFilter | XPathFilter


def parse_filter(filter_element: etree._Element) -> Filter:
    """The filter an rpc's ``<filter>`` element describes; dispatches on its ``type``."""
    filter_type = filter_element.get("type", "subtree")
    element_name = etree.QName(filter_element).localname
    if filter_type == "subtree":
        return subtree_filter_of(filter_element)
    if filter_type == "xpath":
        select = filter_element.get("select")
        if select is None:
            raise MissingAttributeError(
                ErrorType.PROTOCOL,
                "select",
                element_name,
                message="an xpath filter needs a select attribute",
            )
        namespaces = {prefix: uri for prefix, uri in filter_element.nsmap.items() if prefix}
        return XPathFilter(select, namespaces)
    raise BadAttributeError(
        ErrorType.PROTOCOL,
        "type",
        element_name,
        message=f"unknown filter type {filter_type!r} (supported: subtree, xpath)",
    )


def subtree_filter_of(filter_element: etree._Element) -> SubtreeFilter:
    """The subtree filter whose top-level nodes are the children of ``filter_element``, or
    ``too-big`` beyond :data:`MAX_FILTER_NODES` nodes."""
    if _MORE_FILTER_NODES_THAN_THE_LIMIT(filter_element):
        raise TooBigError(
            ErrorType.PROTOCOL,
            message=f"a subtree filter of more than {MAX_FILTER_NODES} elements",
        )
    return SubtreeFilter(tuple(_elements(filter_element)))


def xpath_of(leaf: etree._Element) -> XPathFilter:
    """The XPath filter written as the text of ``leaf`` (a ``yang:xpath1.0`` parameter), with
    the prefixes declared where it stands."""
    namespaces = {prefix: uri for prefix, uri in leaf.nsmap.items() if prefix}
    return XPathFilter((leaf.text or "").strip(), namespaces)


class _Whole(Enum):
    WHOLE = auto()


_WHOLE = _Whole.WHOLE

# Selected children of one data element: each either whole or in part. lxml returns the same
# proxy object for a node as long as one is alive, and the keys keep theirs alive, so
# identity-based hashing of elements is sound here.
_Selection: TypeAlias = "dict[etree._Element, _Selection | _Whole]"


def subtree_filter(
    data: etree._Element,
    filter_children: Sequence[etree._Element],
    *,
    list_keys: ListKeys = no_list_keys,
) -> etree._Element:
    """Apply the subtree filter whose top-level elements are ``filter_children`` to ``data``."""
    filters = [child for child in filter_children if isinstance(child.tag, str)]
    selected = _sibling_set(data, filters, list_keys) if filters else None
    return _render(data, selected)


def xpath_filter(
    data: etree._Element,
    select: str,
    namespaces: Mapping[str, str],
    *,
    list_keys: ListKeys = no_list_keys,
    module_prefixes: Mapping[str, str] | None = None,
    max_visits: int | None = MAX_XPATH_VISITS,
) -> etree._Element:
    """Apply the XPath 1.0 expression ``select`` to ``data`` (see the module docstring)."""
    if max_visits is not None:
        nodes = sum(1 for _ in data.iter())
        if xpath_visits(select, nodes) > max_visits:
            raise ResourceDeniedError(
                ErrorType.PROTOCOL,
                message=(
                    f"XPath expression {select!r} would visit more than {max_visits} nodes of "
                    f"these {nodes}: a path from the root, '//' or a descendant, following or "
                    "preceding axis inside a predicate visits the data once per candidate node"
                ),
            )
    scope = {**(module_prefixes or {}), **{p: uri for p, uri in namespaces.items() if p}}
    if data.getparent() is not None:
        # absolute paths are rebased on the document element, which must be the data root
        data = copy.deepcopy(data)
    try:
        result = etree.XPath(_rebase(select), namespaces=scope)(data)
    except etree.XPathError as error:
        raise InvalidValueError(
            ErrorType.PROTOCOL, message=f"invalid XPath expression {select!r}: {error}"
        ) from None
    if not isinstance(result, list):
        raise InvalidValueError(
            ErrorType.PROTOCOL,
            message=f"XPath expression {select!r} does not select nodes (it is a {_kind(result)})",
        )
    selected: _Selection = {}
    for item in result:
        node = _owning_element(item)
        if node is None:
            continue
        if node is data:
            return _render(data, _WHOLE)
        _select_with_ancestors(selected, data, node, list_keys)
    return _render(data, selected or None)


def _kind(result: object) -> str:
    if isinstance(result, bool):
        return "boolean"
    if isinstance(result, float):
        return "number"
    return "string"


def _owning_element(item: object) -> etree._Element | None:
    """The element a node-set member stands for; namespace nodes (tuples) stand for none."""
    if isinstance(item, etree._Element):
        return item
    if isinstance(item, etree._ElementUnicodeResult):
        return item.getparent()
    return None


def _select_with_ancestors(
    selected: _Selection, root: etree._Element, node: etree._Element, list_keys: ListKeys
) -> None:
    ancestors = list(node.iterancestors())
    # iterancestors runs up to the document element, which is the data root
    ancestors = ancestors[: ancestors.index(root)] if root in ancestors else ancestors
    level = selected
    for ancestor in reversed(ancestors):
        current = level.get(ancestor)
        if current is _WHOLE:
            return
        if current is None:
            current = {}
            _add_keys(current, ancestor, list_keys)
            level[ancestor] = current
        level = current
    level[node] = _WHOLE


def _elements(node: etree._Element) -> Iterator[etree._Element]:
    """Child elements, skipping comments and processing instructions."""
    return (child for child in node if isinstance(child.tag, str))


def _names_match(filter_node: etree._Element, data_node: etree._Element) -> bool:
    wanted = etree.QName(filter_node)
    found = etree.QName(data_node)
    return wanted.localname == found.localname and (
        wanted.namespace is None or wanted.namespace == found.namespace
    )


def _node_matches(filter_node: etree._Element, data_node: etree._Element) -> bool:
    return _names_match(filter_node, data_node) and all(
        data_node.get(name) == value for name, value in filter_node.attrib.items()
    )


def _content(node: etree._Element) -> str:
    return (node.text or "").strip()


def _sibling_set(
    data_parent: etree._Element, filters: Sequence[etree._Element], list_keys: ListKeys
) -> _Selection | _Whole | None:
    """What one sibling set of filter nodes selects below ``data_parent`` (None: nothing)."""
    data_children = list(_elements(data_parent))
    content_matches: list[etree._Element] = []
    selections: list[etree._Element] = []
    containments: list[etree._Element] = []
    for filter_node in filters:
        if next(_elements(filter_node), None) is not None:
            containments.append(filter_node)
        elif _content(filter_node):
            content_matches.append(filter_node)
        else:
            selections.append(filter_node)

    selected: _Selection = {}
    for filter_node in content_matches:
        wanted = _content(filter_node)
        hits = [
            child
            for child in data_children
            if _node_matches(filter_node, child)
            and next(_elements(child), None) is None
            and _content(child) == wanted
        ]
        if not hits:
            return None
        selected.update(dict.fromkeys(hits, _WHOLE))
    if not selections and not containments:
        return _WHOLE

    for filter_node in selections:
        for child in data_children:
            if _node_matches(filter_node, child):
                selected[child] = _WHOLE
    for filter_node in containments:
        nested = list(_elements(filter_node))
        for child in data_children:
            if not _node_matches(filter_node, child):
                continue
            below = _sibling_set(child, nested, list_keys)
            if isinstance(below, dict):
                _add_keys(below, child, list_keys)
            if below is not None:
                _merge(selected, child, below)
    return selected or None


def _add_keys(selection: _Selection, entry: etree._Element, list_keys: ListKeys) -> None:
    namespace = etree.QName(entry).namespace
    for key in list_keys(entry):
        tag = key if namespace is None else f"{{{namespace}}}{key}"
        for child in entry.iterchildren(tag):
            selection[child] = _WHOLE


def _merge(selection: _Selection, node: etree._Element, new: _Selection | _Whole) -> None:
    old = selection.get(node)
    if old is None:
        selection[node] = new
    elif old is _WHOLE or new is _WHOLE:
        selection[node] = _WHOLE
    else:
        for child, child_selection in new.items():
            _merge(old, child, child_selection)


def _render(data: etree._Element, selected: _Selection | _Whole | None) -> etree._Element:
    root = etree.Element(data.tag, attrib=_attributes(data), nsmap=_nsmap(data.nsmap))
    if selected is _WHOLE:
        for child in _elements(data):
            _append_copy(root, child)
    elif selected is not None:
        _render_children(root, data, selected)
    return root


def _render_children(out: etree._Element, node: etree._Element, selected: _Selection) -> None:
    for child in _elements(node):
        child_selection = selected.get(child)
        if child_selection is _WHOLE:
            _append_copy(out, child)
        elif child_selection is not None:
            scope = out.nsmap
            declared = {p: uri for p, uri in child.nsmap.items() if scope.get(p) != uri}
            part = etree.SubElement(
                out, child.tag, attrib=_attributes(child), nsmap=_nsmap(declared)
            )
            _render_children(part, child, child_selection)


def _attributes(node: etree._Element) -> dict[str, str]:
    return {str(name): str(value) for name, value in node.attrib.items()}


def _nsmap(declarations: Mapping[str | None, str]) -> Mapping[str, str]:
    # lxml-stubs 0.5 type nsmap without the None (default namespace) key that lxml takes
    return cast(Mapping[str, str], declarations)


def _append_copy(out: etree._Element, node: etree._Element) -> None:
    duplicate = copy.deepcopy(node)
    duplicate.tail = None
    out.append(duplicate)


# XPath 1.0 lexical structure (XPath 1.0 §3.7), enough to tell absolute location paths and
# element name tests from everything else.
_NCNAME = r"[^\W\d][\w.\-]*"
_TOKEN = re.compile(
    rf"""\s*(?:
        (?P<literal>"[^"]*"|'[^']*')
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<dotdot>\.\.)
      | (?P<dot>\.)
      | (?P<slashslash>//)
      | (?P<slash>/)
      | (?P<axis>::)
      | (?P<operator>!=|<=|>=|[=<>|+\-,(\[@])
      | (?P<close>[)\]])
      | (?P<star>\*)
      | (?P<variable>\$(?:{_NCNAME}:)?{_NCNAME})
      | (?P<name>{_NCNAME}:\*|{_NCNAME}(?::{_NCNAME})?)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


def _tokens(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while expression[position:].strip():
        match = _TOKEN.match(expression, position)
        if match is None or match.lastgroup is None:
            raise InvalidValueError(
                ErrorType.PROTOCOL,
                message=f"invalid XPath expression {expression!r} at offset {position}",
            )
        kind = match.lastgroup
        tokens.append(_Token(kind, match.group(kind), match.start(kind), match.end()))
        position = match.end()
    return tokens


_OPERAND_ENDS = frozenset({"literal", "number", "dot", "dotdot", "close", "variable"})


def _on_attribute_axis(tokens: Sequence[_Token], index: int) -> bool:
    if index == 0:
        return False
    previous = tokens[index - 1]
    return previous.text == "@" or (
        previous.kind == "axis" and index >= 2 and tokens[index - 2].text == "attribute"
    )


def xpath_visits(expression: str, nodes: int) -> int:
    """An upper estimate of the nodes ``expression`` visits on data of ``nodes`` nodes.

    The expression is one pass over the data; a scan (an absolute path, ``//``, or a step on
    an axis of :data:`_SCANNING_AXES`) inside ``k`` nested predicates runs once per candidate
    of each enclosing step: ``nodes ** (k + 1)`` visits. A term is counted up to
    ``MAX_XPATH_VISITS * nodes``, beyond any limit, so a hostile expression costs its length.
    """
    ceiling = MAX_XPATH_VISITS * max(nodes, 1)
    total = nodes
    for depth in _scan_depths(expression):
        term = 1
        for _ in range(depth + 1):
            term = min(term * nodes, ceiling)
        total += term
    return total


def xpath_nesting(expression: str) -> int:
    """How deep in predicates ``expression`` scans the data (see :func:`xpath_visits`): 0
    when its work grows with the data's size, 1 with its square, and so on."""
    return max(_scan_depths(expression), default=0)


def superlinear(expression: str) -> str | None:
    """Why a filter that runs at every event and change (a subscription's) may not use
    ``expression``, None if it may: its work may grow with the data's size, not faster. An
    expression that cannot be read raises its rpc-error."""
    if xpath_nesting(expression) == 0:
        return None
    return (
        f"XPath expression {expression!r} scans the data inside a predicate (a path from the "
        "root, '//' or a descendant, following or preceding axis); a subscription's filter may "
        "only scan outside predicates"
    )


def _scan_depths(expression: str) -> Iterator[int]:
    """The predicate depth of each scan of ``expression``."""
    depth = 0
    after_operand = False
    tokens = _tokens(expression)
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind == "name" and following is not None and following.kind == "axis":
            if token.text in _SCANNING_AXES:
                yield depth
        elif token.kind == "slashslash" or (token.kind == "slash" and not after_operand):
            yield depth
        if token.text == "[":
            depth += 1
        elif token.text == "]":
            depth = max(depth - 1, 0)
        after_operand = _after_operand(token, following, after_operand)


def _after_operand(token: _Token, following: _Token | None, after_operand: bool) -> bool:
    """Whether ``token`` ends an operand (a step, literal, number, ')' ...): after one, '/'
    separates steps, '*' multiplies and a name is an operator (and, or, div, mod); anywhere
    else they start a new operand."""
    if token.kind in ("slash", "slashslash"):
        return False
    if token.kind == "star":
        return not after_operand
    if token.kind == "name":
        naming_a_function_or_axis = following is not None and (
            following.text == "(" or following.kind == "axis"
        )
        return not (after_operand or naming_a_function_or_axis)
    return token.kind in _OPERAND_ENDS


def _rebase(expression: str) -> str:
    """Rewrite ``expression`` for a tree whose document element stands for the XPath root.

    Absolute paths get ``/*`` (the data root) prepended, and unprefixed element name tests
    become ``*[local-name()='name']``.
    """
    tokens = _tokens(expression)
    pieces: list[str] = []
    copied = 0
    after_operand = False
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        replacement: str | None = None
        if token.kind in ("slash", "slashslash") and not after_operand:
            if token.kind == "slashslash":
                replacement = "/*//"
            elif following is not None and (
                following.kind in ("name", "star", "dot", "dotdot") or following.text == "@"
            ):
                replacement = "/*/"
            else:
                replacement = "/*"
        ends_operand = _after_operand(token, following, after_operand)
        if (
            token.kind == "name"
            and ends_operand
            and ":" not in token.text
            and not _on_attribute_axis(tokens, index)
        ):
            replacement = f"*[local-name()='{token.text}']"
        after_operand = ends_operand
        if replacement is not None:
            pieces.append(expression[copied : token.start])
            pieces.append(replacement)
            copied = token.end
    pieces.append(expression[copied:])
    return "".join(pieces)
