"""The switch's web system over HTTPS (aiohttp): login with the switch's users, a dashboard, the
smart-upgrade page with the seed's prompt, and the two web actions (download now, upgrade now).

The actions are the switch's own ``download`` and ``right-now`` (the RPCs' and the command
line's), so they cancel a schedule, meet the same refusals and show in NETCONF state and
notifications. Who may do what is NACM's decision, asked as for a NETCONF session of the same
user: a change of ``/nacm`` applies to the web at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Self

from aiohttp import web
from lxml import etree

from smartupgrade_model.model import MODULE, NAMESPACE, RPCS
from smartupgrade_server.device import messages
from smartupgrade_server.device.messages import sentence
from smartupgrade_server.device.refusals import OperationRefusedError
from smartupgrade_server.device.switch import Switch, UpgradeRun
from smartupgrade_server.nacm.enforcement import AccessControl
from smartupgrade_server.netconf.errors import AccessDeniedError
from smartupgrade_server.transport.logins import LoginGuard, LoginService
from smartupgrade_server.transport.ssh import refuse_default_credentials
from smartupgrade_server.web import pages, view
from smartupgrade_server.web.activity import Activity
from smartupgrade_server.web.certificate import WebCertificate, load_or_create_certificate
from smartupgrade_server.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SessionStore,
    WebSession,
    new_token,
    same_token,
)

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
# forms are a few fields; nothing larger is ever posted
_MAX_BODY = 16 * 1024
_SECURITY_HEADERS = {
    # no inline script or style, no framing (clickjacking), nothing fetched from elsewhere
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOGIN_FAILED = str(messages.error("The user name or password is incorrect."))
_SESSION_ENDED = str(messages.error("The session has ended. Log in again."))
_DOWNLOAD, _RIGHT_NOW = "download", "right-now"
assert {_DOWNLOAD, _RIGHT_NOW} <= set(RPCS), "the web actions are RPCs of the module"
_SESSION = web.RequestKey("session", WebSession)
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _redirect(location: str) -> web.Response:
    return web.Response(status=HTTPStatus.SEE_OTHER, headers={"Location": location})


def _set_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(name, value, path="/", secure=True, httponly=True, samesite="Strict")


def _delete_cookie(response: web.StreamResponse, name: str) -> None:
    # a browser ignores a __Host- cookie, its deletion included, without these attributes
    response.del_cookie(name, path="/", secure=True, httponly=True, samesite="Strict")


class WebServer:
    """One switch's web system; :meth:`start` it, :meth:`stop` and :meth:`listen` again around
    a reboot of the switch, :meth:`close` at the end."""

    def __init__(
        self,
        chassis: view.SwitchFacts,
        *,
        access: AccessControl,
        logins: LoginGuard,
        certificate: WebCertificate,
        host: str,
        data_dir: Path,
    ) -> None:
        self.chassis = chassis
        self.switch = chassis if isinstance(chassis, Switch) else None
        self.access = access
        self.logins = logins
        self.certificate = certificate
        self.host = host
        self.port = 0
        self.sessions = SessionStore()
        self.activity = Activity()
        self._data_dir = data_dir
        self._device = chassis.identity.title
        self._context = certificate.server_context
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._unsubscribe = (
            self.switch.subscribe(self.activity.observe) if self.switch is not None else None
        )

    @classmethod
    async def start(
        cls,
        host: str,
        port: int,
        data_dir: Path,
        *,
        chassis: view.SwitchFacts,
        access: AccessControl,
        logins: LoginGuard,
        certificate: WebCertificate | None = None,
    ) -> Self:
        """Listen on ``host:port`` (0: any free port, see :attr:`port`); the certificate is made
        in ``data_dir`` on first start, unless given (a fleet's, which its switches share)."""
        if certificate is None:
            certificate = await asyncio.to_thread(
                load_or_create_certificate, data_dir, host, chassis.identity.device_name
            )
        server = cls(
            chassis,
            access=access,
            logins=logins,
            certificate=certificate,
            host=host,
            data_dir=data_dir,
        )
        app = web.Application(middlewares=[server._middleware], client_max_size=_MAX_BODY)
        app.router.add_get("/login", server._login_form)
        app.router.add_post("/login", server._login)
        app.router.add_post("/logout", server._logout)
        app.router.add_get("/", server._dashboard)
        app.router.add_get("/smart-upgrade", server._smart_upgrade)
        app.router.add_get("/api/state", server._state)
        app.router.add_post(pages.DOWNLOAD_PATH, server._download)
        app.router.add_post(pages.RIGHT_NOW_PATH, server._right_now)
        app.router.add_static("/static", STATIC_DIR)
        server._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await server._runner.setup()
        try:
            await server.listen(logins, port)
        except BaseException:
            await server.close()
            raise
        return server

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}/"

    async def listen(self, logins: LoginGuard, port: int | None = None) -> None:
        """Serve (again, after a reboot: on the same port, with the users as loaded then and
        the NETCONF server's login delays)."""
        assert self._runner is not None and self._runner.server is not None
        await refuse_default_credentials(self.host, logins.users, self._data_dir)
        self.logins = logins
        self._listener = await asyncio.get_running_loop().create_server(
            self._runner.server,
            self.host,
            self.port if port is None else port,
            ssl=self._context,
        )
        self.port = self._listener.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """The switch goes down: stop listening, drop the connections and every login."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            assert self._runner is not None and self._runner.server is not None
            for connection in list(self._runner.server.connections):
                connection.force_close()
        self.sessions.clear()

    async def close(self) -> None:
        await self.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- sessions ---------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        try:
            response = await self._authenticated(request, handler)
        except web.HTTPException as error:
            error.headers.update(_SECURITY_HEADERS)
            raise
        response.headers.update(_SECURITY_HEADERS)
        return response

    async def _authenticated(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        if request.path == "/login" or request.path.startswith("/static/"):
            return await handler(request)
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            # only a page goes to the login form; a script, an image or a form post is told
            if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
                return _redirect("/login")
            return web.json_response({"message": _SESSION_ENDED}, status=401)
        if request.method == "POST" and not await self._csrf_ok(request, session):
            return self._refused(
                request,
                session,
                HTTPStatus.FORBIDDEN,
                str(messages.error("The form has expired. Reload the page.")),
            )
        request[_SESSION] = session
        return await handler(request)

    @staticmethod
    async def _csrf_ok(request: web.Request, session: WebSession) -> bool:
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.post()
            field = form.get(CSRF_FIELD)
            given = field if isinstance(field, str) else None
        return same_token(given, session.csrf)

    async def _login_form(self, request: web.Request) -> web.StreamResponse:
        if self.sessions.get(request.cookies.get(SESSION_COOKIE)) is not None:
            return _redirect("/")
        return self._login_response(request)

    def _login_response(
        self,
        request: web.Request,
        *,
        error: str | None = None,
        username: str = "",
        status: int = 200,
    ) -> web.Response:
        # the browser's token stays, so a second login tab does not void the first one's form
        token = request.cookies.get(LOGIN_COOKIE) or new_token()
        response = web.Response(
            text=pages.login_page(self._device, token, error=error, username=username),
            content_type="text/html",
            status=status,
        )
        _set_cookie(response, LOGIN_COOKIE, token)
        return response

    async def _login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        username, password, token = (
            value if isinstance(value := form.get(name), str) else ""
            for name in ("username", "password", CSRF_FIELD)
        )
        expected = request.cookies.get(LOGIN_COOKIE)
        if expected is None or not same_token(token, expected):
            return self._login_response(
                request,
                error=str(messages.error("The login form has expired. Log in again.")),
                username=username,
                status=HTTPStatus.FORBIDDEN,
            )
        # the same work and the same per-source delay for a missing user as for a wrong password
        verified = await self.logins.check_password(
            LoginService.WEB, str(request.remote), username, password
        )
        user = self.logins.users.get(username)
        if not verified or user is None:
            return self._login_response(
                request, error=_LOGIN_FAILED, username=username, status=HTTPStatus.UNAUTHORIZED
            )
        session = self.sessions.open(user.name, user.level, str(request.remote))
        logger.info(
            "web session %d: %s from %s", session.context.session_id, user.name, request.remote
        )
        response = _redirect("/")
        _set_cookie(response, SESSION_COOKIE, session.token)
        _delete_cookie(response, LOGIN_COOKIE)
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        self.sessions.close(request[_SESSION].token)
        response = _redirect("/login")
        _delete_cookie(response, SESSION_COOKIE)
        return response

    # --- what a user may see and do ---------------------------------------------------------

    def _readable(self, session: WebSession) -> view.Readable:
        @functools.cache
        def readable(names: tuple[str, ...]) -> bool:
            return self.access.may_read(session.context, MODULE, names)

        return readable

    def _viewer(self, session: WebSession) -> pages.Viewer:
        def may(rpc: str) -> bool:
            return self.switch is not None and self.access.may_exec(
                session.context, etree.QName(NAMESPACE, rpc)
            )

        return pages.Viewer(
            session.context.username,
            session.context.level,
            session.csrf,
            may_download=may(_DOWNLOAD),
            may_right_now=may(_RIGHT_NOW),
            smart_upgrade=self.switch is not None and self._readable(session)(("smart-upgrade",)),
        )

    def _fragments(self, session: WebSession, viewer: pages.Viewer) -> pages.Fragments:
        if self.switch is None:
            return pages.Fragments(banner="")
        state = self.switch.state()
        readable = self._readable(session)
        upgrade_readable = readable(("smart-upgrade", "upgrade-information"))
        return pages.Fragments(
            banner=pages.banner(view.prompt(state, readable), viewer),
            progress=pages.progress(view.progress(state, readable)),
            activity=pages.activity(self.activity.lines if upgrade_readable else ()),
            information=pages.information(view.information(state, readable)),
        )

    # --- pages ------------------------------------------------------------------------------

    async def _dashboard(self, request: web.Request) -> web.StreamResponse:
        session = request[_SESSION]
        viewer = self._viewer(session)
        html = pages.dashboard_page(
            self._device, viewer, view.dashboard(self.chassis), self._fragments(session, viewer)
        )
        return web.Response(text=html, content_type="text/html")

    async def _smart_upgrade(self, request: web.Request) -> web.StreamResponse:
        session = request[_SESSION]
        viewer = self._viewer(session)
        if self.switch is None:
            return self._without_smart_upgrade(request, session)
        if not self._readable(session)(("smart-upgrade",)):
            text = str(
                messages.error(f"User {viewer.username} may not read smart upgrade information.")
            )
            return self._refused(request, session, HTTPStatus.FORBIDDEN, text)
        upgraded = view.upgraded(self.switch.state())
        html = pages.smart_upgrade_page(
            self._device, viewer, self._fragments(session, viewer), upgraded
        )
        return web.Response(text=html, content_type="text/html")

    async def _state(self, request: web.Request) -> web.StreamResponse:
        """What the page script polls: the changing fragments, and the prompt and progress as
        data for scripts of the user's own."""
        session = request[_SESSION]
        viewer = self._viewer(session)
        body: dict[str, object] = {"fragments": self._fragments(session, viewer).to_json()}
        if self.switch is not None:
            state = self.switch.state()
            readable = self._readable(session)
            found = view.prompt(state, readable)
            body["prompt"] = None if found is None else found.kind.value
            shown = view.progress(state, readable)
            body["progress"] = None if shown is None else shown.to_json()
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    # --- actions ----------------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, _DOWNLOAD)

    async def _right_now(self, request: web.Request) -> web.StreamResponse:
        return await self._act(request, _RIGHT_NOW)

    async def _act(self, request: web.Request, rpc: str) -> web.StreamResponse:
        session = request[_SESSION]
        if self.switch is None:
            return self._without_smart_upgrade(request, session)
        try:
            self.access.check_exec(session.context, etree.Element(f"{{{NAMESPACE}}}{rpc}"))
        except AccessDeniedError as denied:
            text = str(messages.error(sentence(denied.message or "access denied")))
            return self._refused(request, session, HTTPStatus.FORBIDDEN, text)
        start: Callable[[], Awaitable[UpgradeRun]] = (
            self.switch.download if rpc == _DOWNLOAD else self.switch.right_now
        )
        try:
            # what the switch's own commands upgrade: the AP with smart upgrade for APs enabled
            operation = await start()
        except OperationRefusedError as refused:
            text = str(messages.error(refused.message))
            return self._refused(request, session, HTTPStatus.CONFLICT, text)
        logger.info(
            "web session %d: %s (operation %d)",
            session.context.session_id,
            rpc,
            operation.operation_id,
        )
        started = (
            "Download started"
            if rpc == _DOWNLOAD
            else f"Upgrade started: the {view.DEVICE_NOUNS[operation.target]} restarts once the "
            "files are ready"
        )
        text = str(messages.info(f"{started} (operation {operation.operation_id})."))
        if not _wants_json(request):
            return _redirect("/smart-upgrade")
        return web.json_response(
            {
                "message": text,
                "operation_id": operation.operation_id,
                "upgrade_status": operation.upgrade_status.value,
            }
        )

    def _without_smart_upgrade(
        self, request: web.Request, session: WebSession
    ) -> web.StreamResponse:
        text = str(messages.error(f"{self.chassis.identity.model} does not support smart upgrade."))
        return self._refused(request, session, HTTPStatus.NOT_FOUND, text)

    def _refused(
        self,
        request: web.Request,
        session: WebSession,
        status: HTTPStatus,
        text: str,
    ) -> web.StreamResponse:
        if _wants_json(request):
            return web.json_response({"message": text}, status=status)
        html = pages.message_page(self._device, self._viewer(session), status.phrase, text)
        return web.Response(text=html, content_type="text/html", status=status)
