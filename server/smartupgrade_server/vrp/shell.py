"""One command-line session, and what the sessions of a switch share. No sockets.

The transport feeds the characters it receives (:meth:`Shell.feed`), runs :meth:`Shell.run`
until it returns (``quit`` in the user view, the end of input, a reboot), and sends what the
shell gives its ``write`` callback. With a :class:`FlowControl` the shell keeps both bounded:
it asks the transport to stop reading while more than ``MAX_TYPED_AHEAD`` characters wait to
be handled, and waits for the output to drain before it handles more keys, so that a client
that types without reading holds its own session only.

Every configuration command is an edit of ``running`` through
:class:`~smartupgrade_server.datastore.store.Datastores` under the session's own id, so it
meets the same validation, the same switch vetoes and the same NETCONF locks as an
``<edit-config>``; ``download``, ``right-now`` and the refresh of ``display smart-upgrade
information`` are the switch's own operations, whose ``Info:`` lines are printed as they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import regex
from lxml import etree

from smartupgrade_model.commands import CommandWord, ConfigCommand
from smartupgrade_model.convert import smart_upgrade_config, ssl_policies
from smartupgrade_model.display import render
from smartupgrade_model.model import CONFIG_LEAVES, NAMESPACE, SSL_POLICY_NAME, SSL_POLICY_NAMESPACE
from smartupgrade_model.modules import AP_UPGRADE_FEATURE
from smartupgrade_server.datastore.store import DatastoreName, Datastores
from smartupgrade_server.device import messages
from smartupgrade_server.device.clock import Clock
from smartupgrade_server.device.events import DeviceEvent, Line, Rebooting
from smartupgrade_server.device.identity import Identity
from smartupgrade_server.device.messages import sentence
from smartupgrade_server.device.products import supports_ap_upgrade, supports_smart_upgrade
from smartupgrade_server.device.refusals import REFUSALS, OperationRefusedError, Refused
from smartupgrade_server.device.switch import Switch, UpgradeRun
from smartupgrade_server.netconf.capabilities import BASE_NS
from smartupgrade_server.netconf.errors import ErrorTag, RpcError
from smartupgrade_server.netconf.registry import SessionContext
from smartupgrade_server.vrp import outputs
from smartupgrade_server.vrp.commands import CONFIGURES, SYNTAXES, Action
from smartupgrade_server.vrp.editor import (
    CTRL_C,
    Complete,
    Enter,
    Help,
    Interrupt,
    LineEditor,
    ReturnKey,
)
from smartupgrade_server.vrp.grammar import (
    ErrorKind,
    Match,
    Param,
    ParseError,
    Syntax,
    View,
    Word,
    available,
    choices,
    complete_word,
    parse,
    split,
)

DEFAULT_SYSNAME = "HUAWEI"
_OPERATION = f"{{{BASE_NS}}}operation"
# every command of the seed's Smart Upgrade, display included: none exists on an excluded model;
# nor does reboot, whose restart is the emulator's (an excluded model runs none)
_EMULATOR_ACTIONS = frozenset(a for a in Action if "smart-upgrade" in a.value) | {Action.REBOOT}
# VRP's questions before a reboot; the file is what `save` writes ("slot 0")
_CONFIGURATION_CHANGED = (
    "Warning: The configuration has been modified, and it will be saved to the next startup "
    "saved-configuration file flash:/vrpcfg.zip. Continue? [Y/N]:"
)
_REBOOT_CONFIRM = "System will reboot! Continue? [Y/N]:"
# the leaf whose value names an SSL policy, which the switch says is missing in its own words
_POLICY_REFERENCE = CONFIG_LEAVES["/smart-upgrade/ssl-policy"]
_DISPLAY_ACTIONS = (
    Action.DISPLAY_SMART_UPGRADE,
    Action.DISPLAY_CURRENT,
    Action.DISPLAY_VERSION,
    Action.DISPLAY_ESN,
    Action.DISPLAY_INTERFACES,
)
_FILTERS = (
    CommandWord("begin", "Begin with the line that matches"),
    CommandWord("exclude", "Match lines that do not match"),
    CommandWord("include", "Match lines that match"),
)
# A value the datastore refuses by its type (no app-tag of a rule) is a wrong parameter.
_VALUE_TAGS = (ErrorTag.INVALID_VALUE, ErrorTag.BAD_ELEMENT)
# RFC 7950 §15.5: a leafref whose target does not exist
_LEAFREF_APP_TAG = "instance-required"


@dataclass(frozen=True)
class FixedChassis:
    """A switch of a model without Smart Upgrade (S5731-L…): no emulator runs for it, so what
    ``display version`` and ``display esn`` show is fixed for the session's lifetime."""

    identity: Identity
    software_version: str
    patch_version: str | None
    clock: Clock
    flash_capacity: int


class CommandLine:
    """The command line of one switch: what every session shares."""

    def __init__(
        self,
        datastores: Datastores,
        device: Switch | FixedChassis,
        *,
        sysname: str = DEFAULT_SYSNAME,
    ) -> None:
        self.datastores = datastores
        self.device = device
        self.sysname = sysname
        self._started = device.clock.now()
        model = device.identity.model
        features = {AP_UPGRADE_FEATURE} if supports_ap_upgrade(model) else set()
        smart_upgrade = isinstance(device, Switch) and supports_smart_upgrade(model)
        # commands of a feature the switch lacks do not exist on it
        self.syntaxes: tuple[Syntax, ...] = tuple(
            s for s in SYNTAXES if _exists(s.action, features, smart_upgrade=smart_upgrade)
        )
        self._restarts: set[asyncio.Task[None]] = set()

    @property
    def switch(self) -> Switch:
        """The emulator, which only the smart-upgrade commands (absent without it) reach."""
        if not isinstance(self.device, Switch):
            raise RuntimeError(f"{self.device.identity.model} has no Smart Upgrade")
        return self.device

    @property
    def booted_at(self) -> datetime:
        """When the switch last came up; a chassis without emulator when its command line
        started."""
        return self.device.booted_at if isinstance(self.device, Switch) else self._started

    def session(
        self,
        session_id: int,
        username: str,
        level: int,
        write: Callable[[str], None],
        *,
        flow: FlowControl | None = None,
    ) -> Shell:
        return Shell(self, ShellUser(session_id, username, level), write, flow=flow)

    def reboot(self) -> None:
        """Restart the switch (the ``reboot`` command). It runs on its own: the restart drops
        every session, the one that asked included, and waits for their shells to end."""
        task = asyncio.ensure_future(self.switch.reset())
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)


def _nothing() -> None:
    pass


def _no_policy(name: str | None) -> str:
    return f"The SSL policy {name} does not exist."


def _exists(action: str, features: set[str], *, smart_upgrade: bool) -> bool:
    configure = CONFIGURES.get(action)
    if configure is not None:
        feature = configure.command.feature
        return smart_upgrade and (feature is None or feature in features)
    return smart_upgrade or action not in _EMULATOR_ACTIONS


# characters received and not yet handled beyond which the transport stops reading
MAX_TYPED_AHEAD = 64 * 1024


@dataclass(frozen=True)
class FlowControl:
    """The transport's side of the flow of keys and output."""

    # until the output not yet taken by the client is below the transport's limit
    drain: Callable[[], Awaitable[None]]
    pause_input: Callable[[], None]
    resume_input: Callable[[], None]


@dataclass(frozen=True)
class ShellUser:
    session_id: int
    name: str
    level: int

    @property
    def writer(self) -> SessionContext:
        """The user as the datastores' authorize step sees who writes."""
        return SessionContext(self.session_id, self.name, self.level, peer="")


def _element(path: Sequence[str], namespace: str) -> tuple[etree._Element, etree._Element]:
    """``<config>`` with the nested elements of ``path``: (the config, the innermost)."""
    config = etree.Element(f"{{{BASE_NS}}}config")
    node = config
    for name in path:
        node = etree.SubElement(node, f"{{{namespace}}}{name}")
    return config, node


def configuration_edit(command: ConfigCommand, texts: Sequence[str | None]) -> etree._Element:
    """A seed command with its parameters' texts: a merge of its leaf, or its container
    replaced whole (an optional value left out is then no longer set)."""
    config, node = _element(command.node, NAMESPACE)
    values = command.values(texts)
    if not command.replaces:
        ((_, text),) = values
        node.text = text
        return config
    node.set(_OPERATION, "replace")
    for leaf, text in values:
        etree.SubElement(node, f"{{{NAMESPACE}}}{leaf.path[-1]}").text = text
    return config


def undo_edit(command: ConfigCommand) -> etree._Element:
    """A seed command's ``undo``: its node removed, back to the module's default."""
    config, node = _element(command.node, NAMESPACE)
    node.set(_OPERATION, "remove")
    return config


def policy_edit(name: str, *, delete: bool) -> etree._Element:
    *entry_path, key = SSL_POLICY_NAME.path
    config, entry = _element(entry_path, SSL_POLICY_NAMESPACE)
    etree.SubElement(entry, f"{{{SSL_POLICY_NAMESPACE}}}{key}").text = name
    if delete:
        entry.set(_OPERATION, "delete")
    return config


NOT_AN_EXPRESSION = "The expression must be a regular expression."
TOO_SLOW = "The expression takes too long to match the output."

# what an output filter's expression may take for one command's output: a backtracking
# expression such as (a|aa)+$ would otherwise take years on a short line, and the switch's
# event loop with it (the regex module checks its timeout every few tens of ms)
FILTER_TIME = 0.04


@dataclass(frozen=True)
class OutputFilter:
    keyword: str
    pattern: regex.Pattern[str]
    # where the expression begins on the command line
    column: int

    def apply(self, lines: Iterable[str]) -> list[str]:
        """The lines the filter shows; TimeoutError beyond ``FILTER_TIME`` in all."""
        deadline = time.monotonic() + FILTER_TIME

        def found(line: str) -> bool:
            timeout = max(deadline - time.monotonic(), 0.001)
            return self.pattern.search(line, timeout=timeout) is not None

        if self.keyword == "include":
            return [line for line in lines if found(line)]
        if self.keyword == "exclude":
            return [line for line in lines if not found(line)]
        shown: list[str] = []
        for line in lines:
            if shown or found(line):
                shown.append(line)
        return shown


class _SessionOverError(Exception):
    """The input ended or the switch went down: the session is over."""


class Shell:
    def __init__(
        self,
        cli: CommandLine,
        user: ShellUser,
        write: Callable[[str], None],
        *,
        flow: FlowControl | None = None,
    ) -> None:
        self.cli = cli
        self.user = user
        self.view = View.USER
        self._write = write
        self._flow = flow
        self._editor = LineEditor()
        # text received and not yet handled: the first piece from _position on
        self._typed: deque[str] = deque()
        self._position = 0
        self._typed_length = 0
        self._input_paused = False
        self._more_typed = asyncio.Event()
        self._input_ended = False
        self._interrupted = asyncio.Event()
        # whether typed keys go to the line editor now (else Ctrl+C interrupts the command)
        self._reading = False
        self._idle = asyncio.Event()
        self._policy = ""
        # the length of a transient line (download percent) the next line overwrites
        self._transient = 0

    # --- the transport's side ---------------------------------------------------------------

    def feed(self, data: str) -> None:
        if self._input_ended:
            return
        if not self._reading and CTRL_C in data:
            # a command runs: Ctrl+C interrupts it rather than being typed
            self._interrupted.set()
            data = data.replace(CTRL_C, "")
        if not data:
            return
        self._typed.append(data)
        self._typed_length += len(data)
        self._idle.clear()
        self._more_typed.set()
        if self._typed_length > MAX_TYPED_AHEAD and not self._input_paused and self._flow:
            self._input_paused = True
            self._flow.pause_input()

    def end_of_input(self) -> None:
        self._input_ended = True
        self._idle.clear()
        self._more_typed.set()

    async def wait_idle(self) -> None:
        """Until every key fed so far is handled and the shell waits for more."""
        await self._idle.wait()

    async def run(self) -> None:
        """The session, until ``quit`` in the user view, the end of input or a reboot."""
        device = self.cli.device
        # a chassis never reboots: nothing ends its sessions but their users
        unsubscribe = device.subscribe(self._observe) if isinstance(device, Switch) else _nothing
        try:
            if isinstance(device, Switch) and not device.up:
                return
            self._write("\r\n" + self.prompt)
            while True:
                line = await self._read_line()
                if not await self.execute(line):
                    return
                self._write(self.prompt)
        except _SessionOverError:
            return
        finally:
            unsubscribe()
            self._idle.set()

    def _observe(self, event: DeviceEvent) -> None:
        if isinstance(event, Rebooting):
            self.end_of_input()

    @property
    def prompt(self) -> str:
        name = self.cli.sysname
        if self.view is View.USER:
            return f"<{name}>"
        if self.view is View.SYSTEM:
            return f"[{name}]"
        return f"[{name}-ssl-policy-{self._policy}]"

    # --- input ------------------------------------------------------------------------------

    async def _next_keys(self) -> str:
        """The text typed and not handled yet (from ``_position``), once there is some."""
        # other sessions run between two pieces of input, and the output drains first
        await (self._flow.drain() if self._flow else asyncio.sleep(0))
        while not self._typed:
            if self._input_ended:
                raise _SessionOverError
            self._idle.set()
            self._more_typed.clear()
            await self._more_typed.wait()
        return self._typed[0]

    def _handled(self, position: int) -> None:
        """The keys of the first piece up to ``position`` are handled."""
        self._typed_length -= position - self._position
        if position < len(self._typed[0]):
            self._position = position
        else:
            self._typed.popleft()
            self._position = 0
        if self._input_paused and self._typed_length <= MAX_TYPED_AHEAD // 2 and self._flow:
            self._input_paused = False
            self._flow.resume_input()

    async def _read_line(self, *, help: bool = True) -> str:
        self._reading = True
        try:
            while True:
                typed = await self._next_keys()
                echo, key, position = self._editor.feed(typed, self._position)
                self._handled(position)
                self._write(echo)
                match key:
                    case Enter(line):
                        return line
                    case Interrupt() if help:
                        self._write(self.prompt)
                    case Interrupt():
                        return ""
                    case ReturnKey() if help:
                        self._write("\r\n")
                        return str(Action.RETURN) if self.view is not View.USER else ""
                    case Help(line) if help:
                        self._help(line)
                        self._write(self.prompt + line)
                    case Complete(line) if help:
                        completed = complete_word(self._syntaxes(), line)
                        if completed is not None:
                            self._write(self._editor.replace(completed))
        finally:
            self._reading = False

    async def _confirm(self, question: str) -> bool:
        self._write(question)
        return (await self._read_line(help=False)).strip().lower() in ("y", "yes")

    def _print(self, *lines: str) -> None:
        for line in lines:
            self._write(line + "\r\n")

    def _help(self, line: str) -> None:
        found = choices(self._syntaxes(), line)
        if not found:
            self._print(*ParseError(ErrorKind.UNRECOGNIZED, 0).lines(self.prompt)[1:])
            return
        width = max(len(c.name) for c in found) + 2
        self._print(*(f"  {c.name:<{width}}{c.help}".rstrip() for c in found), "")

    def _syntaxes(self) -> list[Syntax]:
        return available(self.cli.syntaxes, self.view, self.user.level)

    # --- commands ---------------------------------------------------------------------------

    async def execute(self, line: str) -> bool:
        """Run one command line; False when the session ends."""
        words = split(line)
        if not words:
            return True
        pipe = next((i for i, w in enumerate(words) if w.text == "|"), len(words))
        command = words[:pipe]
        try:
            end = command[-1].column + len(command[-1].text) if command else 0
            match = parse(self._syntaxes(), command, end)
            output_filter = None
            if pipe < len(words):
                output_filter = self._filter(line, words[pipe:], match)
        except ParseError as error:
            self._print(*error.lines(self.prompt))
            return True
        self._interrupted.clear()
        return await self._act(match, output_filter)

    def _filter(self, line: str, words: Sequence[Word], match: Match) -> OutputFilter:
        """``| begin|include|exclude REGEX`` after a display command."""
        if match.syntax.action not in _DISPLAY_ACTIONS:
            raise ParseError(ErrorKind.TOO_MANY, words[0].column)
        if len(words) < 2:
            raise ParseError(ErrorKind.INCOMPLETE, words[0].column + 2)
        keyword = words[1]
        found = [k.word for k in _FILTERS if k.word.startswith(keyword.text.lower())]
        if len(found) != 1:
            kind = ErrorKind.AMBIGUOUS if found else ErrorKind.UNRECOGNIZED
            raise ParseError(kind, keyword.column)
        if len(words) < 3:
            raise ParseError(ErrorKind.INCOMPLETE, keyword.column + len(keyword.text) + 1)
        # the expression is the rest of the line, spaces included
        try:
            pattern = regex.compile(line[words[2].column :].strip())
        except regex.error:
            raise ParseError(
                ErrorKind.WRONG_PARAMETER, words[2].column, NOT_AN_EXPRESSION
            ) from None
        return OutputFilter(found[0], pattern, words[2].column)

    async def _act(self, match: Match, output_filter: OutputFilter | None) -> bool:
        action = match.syntax.action
        arguments = match.arguments
        if action in _DISPLAY_ACTIONS:
            lines = await self._display(Action(action))
            try:
                self._print(*(output_filter.apply(lines) if output_filter else lines))
            except TimeoutError:
                assert output_filter is not None
                refused = ParseError(ErrorKind.WRONG_PARAMETER, output_filter.column, TOO_SLOW)
                self._print(*refused.lines(self.prompt))
            return True
        match action:
            case Action.QUIT:
                if self.view is View.USER:
                    return False
                self.view = View.SYSTEM if self.view is View.SSL_POLICY else View.USER
            case Action.RETURN:
                self.view = View.USER
            case Action.SYSTEM_VIEW:
                self._print("Enter system view, return user view with Ctrl+Z.")
                self.view = View.SYSTEM
            case Action.SCREEN_LENGTH:
                # output is never paged: a client that sets 0 gets what it asked for
                self._print(
                    "Info: The configuration takes effect on the current user terminal "
                    "interface only."
                )
            case Action.SCREEN_WIDTH:
                if await self._confirm(
                    "Warning: This operation will change the screen width of the current "
                    "terminal. Continue? [Y/N]:"
                ):
                    self._print(f"Info: The screen width is set to {arguments['columns']}.")
            case Action.SAVE:
                await self._save()
            case Action.REBOOT:
                return await self._reboot()
            case Action.DOWNLOAD:
                return await self._operation(self.cli.switch.download)
            case Action.RIGHT_NOW:
                return await self._operation(self.cli.switch.right_now)
            case _:
                self._configure(match)
        return True

    def _configure(self, match: Match) -> None:
        """A seed configuration command or its undo: one edit of running."""
        action = CONFIGURES.get(match.syntax.action)
        if action is None:
            self._configure_policy(match)
            return
        command = action.command
        if action.undo:
            self._edit(undo_edit(command), match, None)
            return
        texts = action.texts(match.arguments)
        missing = None
        if command.leaves == (_POLICY_REFERENCE,):
            missing = _no_policy(texts[0])
        self._edit(configuration_edit(command, texts), match, action.value_key, missing)

    def _configure_policy(self, match: Match) -> None:
        """The SSL policy commands, whose missing-instance errors the switch words itself."""
        name = str(match.arguments["policy-name"])
        match match.syntax.action:
            case Action.SSL_POLICY:
                if self._edit(policy_edit(name, delete=False), match, "policy-name"):
                    # the switch keeps policy names in lower case (sunc-ssl-policy)
                    self._policy = name.lower()
                    self.view = View.SSL_POLICY
            case Action.UNDO_SSL_POLICY:
                bound = (
                    f"The SSL policy {name} is bound to smart upgrade "
                    "(undo smart-upgrade ssl-policy first)."
                )
                self._edit(policy_edit(name, delete=True), match, None, _no_policy(name), bound)

    def _edit(
        self,
        config: etree._Element,
        match: Match,
        value: str | None,
        missing: str | None = None,
        referenced: str | None = None,
    ) -> bool:
        """Edit running; errors as the switch prints them. ``value`` names the parameter a
        type error points at; ``missing`` and ``referenced`` word a missing entry and a
        leafref to the entry being deleted."""
        try:
            self.cli.datastores.edit(DatastoreName.RUNNING, config, self.user.writer)
        except RpcError as error:
            if value is not None and error.app_tag is None and error.tag in _VALUE_TAGS:
                rule = next(
                    t.rule for t in match.syntax.tokens if isinstance(t, Param) and t.key == value
                )
                wrong = ParseError(ErrorKind.WRONG_PARAMETER, match.columns[value], rule)
                self._print(*wrong.lines(self.prompt))
                return False
            message = error.message or str(error.tag)
            if error.tag is ErrorTag.DATA_MISSING:
                leafref = error.app_tag == _LEAFREF_APP_TAG
                message = (referenced if leafref else missing) or missing or message
            self._print(f"Error: {sentence(message)}")
            return False
        return True

    async def _save(self) -> None:
        if await self._confirm(
            "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
        ):
            self._save_running()

    def _save_running(self) -> bool:
        datastores = self.cli.datastores
        try:
            datastores.copy(
                DatastoreName.STARTUP, datastores.raw(DatastoreName.RUNNING), self.user.writer
            )
        except RpcError as error:
            self._print(f"Error: {sentence(error.message or str(error.tag))}")
            return False
        self._print(
            "Now saving the current configuration to the slot 0.",
            "Info: Save the configuration successfully.",
        )
        return True

    async def _reboot(self) -> bool:
        """VRP's reboot: an offer to save a modified configuration first, then a confirmation.
        False when the switch goes down (the session ends with it)."""
        self._print("Info: The system is now comparing the configuration, please wait.")
        datastores = self.cli.datastores
        modified = datastores.raw(DatastoreName.RUNNING) != datastores.raw(DatastoreName.STARTUP)
        if modified and await self._confirm(_CONFIGURATION_CHANGED) and not self._save_running():
            return True
        if not await self._confirm(_REBOOT_CONFIRM):
            return True
        self.cli.reboot()
        return False

    async def _display(self, action: Action) -> list[str]:
        device = self.cli.device
        match action:
            case Action.DISPLAY_SMART_UPGRADE:
                self._print(str(messages.LOADING))
                # disabled: there is no exchange with the HOUP, the last information shows
                switch = self.cli.switch
                try:
                    await switch.refresh()
                except OperationRefusedError as error:
                    if error.refusal is not REFUSALS[Refused.NOT_ENABLED]:
                        raise
                    self._print(str(messages.NOT_ASKED))
                return ["", *render(switch.state()).splitlines()]
            case Action.DISPLAY_CURRENT:
                running = self.cli.datastores.raw(DatastoreName.RUNNING)
                return outputs.current_configuration(
                    self.cli.sysname,
                    device.software_version,
                    smart_upgrade_config(running),
                    list(ssl_policies(running)),
                    list(outputs.INTERFACES),
                )
            case Action.DISPLAY_VERSION:
                return outputs.version(
                    model=device.identity.model,
                    device_name=device.identity.device_name,
                    software_version=device.software_version,
                    patch_version=device.patch_version,
                    now=device.clock.now(),
                    booted_at=self.cli.booted_at,
                    flash_capacity=device.flash.capacity
                    if isinstance(device, Switch)
                    else device.flash_capacity,
                )
            case Action.DISPLAY_ESN:
                return outputs.esn(device.identity.esn)
            case _:
                return outputs.interface_brief()

    # --- download and right-now ---------------------------------------------------------------

    async def _operation(self, start: Callable[[], Awaitable[UpgradeRun]]) -> bool:
        """Print the operation's lines as the switch works; Ctrl+C cancels it. False when the
        switch goes down (right-now reboots it)."""
        events: asyncio.Queue[DeviceEvent] = asyncio.Queue()
        unsubscribe = self.cli.switch.subscribe(events.put_nowait)
        try:
            try:
                operation = await start()
            except OperationRefusedError as error:
                self._print(f"Error: {sentence(error.message)}")
                return True
            done = asyncio.ensure_future(operation.wait())
            interrupt = asyncio.ensure_future(self._interrupted.wait())
            try:
                while True:
                    getter = asyncio.ensure_future(events.get())
                    await asyncio.wait(
                        (getter, done, interrupt), return_when=asyncio.FIRST_COMPLETED
                    )
                    if not getter.done():
                        getter.cancel()
                    elif not self._show(getter.result(), operation.operation_id):
                        return False
                    if interrupt.done():
                        self._interrupted.clear()
                        self._cancel()
                        interrupt = asyncio.ensure_future(self._interrupted.wait())
                    if done.done() and not getter.done():
                        while not events.empty():
                            if not self._show(events.get_nowait(), operation.operation_id):
                                return False
                        return True
            finally:
                interrupt.cancel()
                done.cancel()
        finally:
            unsubscribe()

    def _cancel(self) -> None:
        # refused when the operation ended as the key arrived
        with contextlib.suppress(OperationRefusedError):
            self.cli.switch.cancel()

    def _show(self, event: DeviceEvent, operation_id: int) -> bool:
        if isinstance(event, Rebooting):
            self._finish_transient()
            return False
        if not isinstance(event, Line) or event.operation_id != operation_id:
            return True
        text = str(event.message)
        if event.transient:
            # overwritten in place by the next line, as on the switch's terminal
            self._write("\r" + text.ljust(self._transient))
            self._transient = len(text)
        else:
            self._write("\r" + text.ljust(self._transient) + "\r\n")
            self._transient = 0
        return True

    def _finish_transient(self) -> None:
        if self._transient:
            self._write("\r\n")
            self._transient = 0
