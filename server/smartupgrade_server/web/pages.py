"""The web system's HTML: whole pages, and the fragments the page script swaps in as the state
changes (the same functions render both, so a reload and a live update look alike). No I/O.

Every value is escaped here; the pages load no inline script or style (the server's Content
Security Policy forbids them), only ``/static/web.js`` and ``/static/web.css``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from smartupgrade_server.web.sessions import CSRF_FIELD
from smartupgrade_server.web.view import Dashboard, ProgressView, Prompt, PromptKind, Row, Section

DOWNLOAD_PATH = "/smart-upgrade/download"
RIGHT_NOW_PATH = "/smart-upgrade/right-now"
# the seed's two web actions
DOWNLOAD_LABEL = "Download now"
RIGHT_NOW_LABEL = "Upgrade now"


def right_now_confirm(device: str) -> str:
    """The question before *Upgrade now*, naming what restarts (the switch, or its AP)."""
    return f"The {device} restarts with the new version once the files are downloaded. Continue?"


@dataclass(frozen=True)
class Viewer:
    """The logged-in user, as the pages need it."""

    username: str
    level: int
    csrf: str
    may_download: bool
    may_right_now: bool
    # whether there is a smart-upgrade page for the user: the model has Smart Upgrade and the
    # user may read it
    smart_upgrade: bool


@dataclass(frozen=True)
class Fragments:
    """The parts of a page that change; their keys are the ids of the page's elements."""

    banner: str
    progress: str = ""
    activity: str = ""
    information: str = ""

    def to_json(self) -> dict[str, str]:
        return {
            "banner": self.banner,
            "progress": self.progress,
            "activity": self.activity,
            "information": self.information,
        }


def _rows(rows: Iterable[Row], **attributes: str) -> str:
    extra = "".join(
        f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items()
    )
    body = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows
    )
    return f"<table{extra}>{body}</table>"


def _action(path: str, label: str, csrf: str, *, confirm: str | None = None) -> str:
    confirmation = "" if confirm is None else f' data-confirm="{escape(confirm)}"'
    return (
        f'<form method="post" action="{path}" data-action{confirmation}>'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
        f'<button type="submit">{escape(label)}</button></form>'
    )


def actions(viewer: Viewer, device: str) -> str:
    """The seed's two web actions, as far as the user may run them; they upgrade ``device``
    (what the switch's own commands upgrade)."""
    buttons = []
    if viewer.may_download:
        buttons.append(_action(DOWNLOAD_PATH, DOWNLOAD_LABEL, viewer.csrf))
    if viewer.may_right_now:
        confirm = right_now_confirm(device)
        buttons.append(_action(RIGHT_NOW_PATH, RIGHT_NOW_LABEL, viewer.csrf, confirm=confirm))
    return f'<div class="actions">{"".join(buttons)}</div>' if buttons else ""


# --- fragments -----------------------------------------------------------------------------


def banner(found: Prompt | None, viewer: Viewer) -> str:
    if found is None:
        return ""
    if found.kind is PromptKind.DISABLED:
        return (
            f'<div class="prompt notice" data-kind="{found.kind}">'
            "<strong>Smart upgrade is disabled.</strong> "
            "The switch does not look for new versions until smart upgrade is enabled.</div>"
        )
    return (
        f'<div class="prompt upgrade" data-kind="{found.kind}">'
        f"<strong>A new version is available.</strong> Upgrade the {found.device} to the "
        f"recommended version.{_rows(found.details)}{actions(viewer, found.device)}</div>"
    )


def progress(found: ProgressView | None) -> str:
    if found is None:
        return ""
    status = "" if found.status is None else found.status.value
    files = []
    for file in found.files:
        percent = "" if file.percent is None else str(file.percent)
        # a bar without a value would be an "indeterminate" one, which looks busy
        bar = f'<progress max="100" value="{file.percent or 0}"></progress>'
        files.append(
            f'<div class="file" id="{file.kind}-progress" data-percent="{percent}">'
            f"{bar}{_rows(file.rows)}</div>"
        )
    return (
        f'<div class="status" data-status="{escape(status)}">{_rows([found.status_row])}</div>'
        + "".join(files)
    )


def activity(lines: Sequence[str]) -> str:
    return f"<pre>{escape(chr(10).join(lines))}</pre>" if lines else ""


def information(sections: Sequence[Section]) -> str:
    return "".join(
        f"<h3>{escape(section.title)}</h3>{_rows(section.rows, data_section=section.title)}"
        for section in sections
    )


# --- pages ---------------------------------------------------------------------------------


def _document(title: str, body: str, *, page: str, csrf: str | None = None) -> str:
    token = "" if csrf is None else f'<meta name="csrf-token" content="{escape(csrf)}">'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{token}<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/static/web.css">'
        '<script src="/static/web.js" defer></script>'
        f'</head><body data-page="{page}">{body}</body></html>'
    )


def _layout(
    title: str, device: str, viewer: Viewer, content: str, *, page: str, banner: str
) -> str:
    links = ['<a href="/">Dashboard</a>']
    if viewer.smart_upgrade:
        links.append('<a href="/smart-upgrade">Smart upgrade</a>')
    header = (
        f'<header><span class="device">{escape(device)}</span><nav>{"".join(links)}</nav>'
        f'<form method="post" action="/logout" class="logout">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(viewer.csrf)}">'
        f'<span class="user">{escape(viewer.username)} (level {viewer.level})</span>'
        '<button type="submit">Log out</button></form></header>'
    )
    main = (
        f'<main><h1>{escape(title)}</h1><div id="banner" aria-live="polite">{banner}</div>'
        f'<div id="message" role="alert"></div>{content}</main>'
    )
    return _document(f"{title} - {device}", header + main, page=page, csrf=viewer.csrf)


def login_page(device: str, csrf: str, *, error: str | None = None, username: str = "") -> str:
    message = "" if error is None else f'<p class="error" role="alert">{escape(error)}</p>'
    form = (
        f'<form method="post" action="/login" class="login">{message}'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'
        '<label>User name <input name="username" autocomplete="username" required '
        f'value="{escape(username)}"></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit">Log in</button></form>'
    )
    body = f"<main><h1>{escape(device)}</h1>{form}</main>"
    return _document(f"Log in - {device}", body, page="login")


def dashboard_page(device: str, viewer: Viewer, overview: Dashboard, fragments: Fragments) -> str:
    content = (
        f"<section><h2>Device</h2>{_rows(overview.identity, id='identity')}</section>"
        f"<section><h2>Versions</h2>{_rows(overview.versions, id='versions')}</section>"
    )
    return _layout("Dashboard", device, viewer, content, page="dashboard", banner=fragments.banner)


def smart_upgrade_page(device: str, viewer: Viewer, fragments: Fragments, upgraded: str) -> str:
    """The smart-upgrade page of ``device``, whose actions upgrade ``upgraded`` (the switch, or
    its AP)."""
    content = (
        f"<section><h2>Upgrade</h2>{actions(viewer, upgraded)}"
        f'<div id="progress">{fragments.progress}</div>'
        f'<div id="activity">{fragments.activity}</div></section>'
        f'<section><h2>Smart upgrade information</h2><div id="information">'
        f"{fragments.information}</div></section>"
    )
    return _layout(
        "Smart upgrade", device, viewer, content, page="smart-upgrade", banner=fragments.banner
    )


def message_page(device: str, viewer: Viewer | None, title: str, text: str) -> str:
    """A refusal or an error, for a browser without the page script."""
    content = f'<p class="error" role="alert">{escape(text)}</p><p><a href="/">Back</a></p>'
    if viewer is None:
        return _document(
            f"{title} - {device}", f"<main><h1>{escape(title)}</h1>{content}</main>", page="message"
        )
    return _layout(title, device, viewer, content, page="message", banner="")
