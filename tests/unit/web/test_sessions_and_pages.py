"""Web logins (expiry, bound, tokens), the latest operation's lines, and the HTML's escaping."""

from __future__ import annotations

from smartupgrade_model.model import UpgradeStatus
from smartupgrade_server.device import messages
from smartupgrade_server.device.events import Line, UpgradeStatusChanged
from smartupgrade_server.web import pages
from smartupgrade_server.web.activity import Activity
from smartupgrade_server.web.sessions import SessionStore, same_token
from smartupgrade_server.web.view import Dashboard, Prompt, PromptKind


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_session_ends_after_being_idle_and_lives_on_while_used() -> None:
    time = FakeTime()
    store = SessionStore(idle_timeout=60, monotonic=time)
    session = store.open("admin", 3, "127.0.0.1")
    time.now = 50
    assert store.get(session.token) is session
    time.now = 100  # 50 s after the last use
    assert store.get(session.token) is session
    time.now = 161
    assert store.get(session.token) is None
    assert len(store) == 0


def test_sessions_are_bounded_the_oldest_going_first() -> None:
    store = SessionStore(limit=2)
    first, second, third = (store.open(f"user{n}", 3, "127.0.0.1") for n in range(3))
    assert store.get(first.token) is None
    assert store.get(second.token) is second and store.get(third.token) is third


def test_each_session_has_its_own_tokens_and_id() -> None:
    store = SessionStore()
    one, two = store.open("admin", 3, "a"), store.open("admin", 3, "b")
    assert len({one.token, one.csrf, two.token, two.csrf}) == 4
    assert one.context.session_id != two.context.session_id
    assert (one.context.username, one.context.level) == ("admin", 3)
    store.close(one.token)
    assert store.get(one.token) is None
    assert store.get(None) is None and store.get("forged") is None


def test_token_comparison() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abd", "abc")
    assert not same_token(None, "abc")
    assert not same_token("", "abc")


def test_activity_keeps_the_latest_operations_lines_overwriting_percentages() -> None:
    activity = Activity()
    activity.observe(Line(messages.GETTING_VERSION, 1))
    activity.observe(Line(messages.GETTING_VERSION, 2))
    activity.observe(Line(messages.downloading("a.cc"), 2))
    activity.observe(Line(messages.percent(10), 2, transient=True))
    activity.observe(Line(messages.percent(60), 2, transient=True))
    activity.observe(Line(messages.percent(100), 2))
    activity.observe(Line(messages.LOADING, None))  # a refresh, no operation's
    activity.observe(UpgradeStatusChanged(2, UpgradeStatus.RUNNING, None, None))
    assert activity.operation_id == 2
    assert activity.lines == (
        "Info: Getting version information from houp, please wait ...",
        "Info: Downloading file a.cc ...",
        "Info: Current percent is 100%.",
    )


VIEWER = pages.Viewer(
    "<admin>", 3, 'to"ken', may_download=True, may_right_now=False, smart_upgrade=True
)


def test_every_value_is_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    html = pages.dashboard_page(
        hostile,
        VIEWER,
        Dashboard(identity=(("Model", hostile),), versions=()),
        pages.Fragments(
            banner=pages.banner(Prompt(PromptKind.NEW_VERSION, (("x", hostile),)), VIEWER)
        ),
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;admin&gt;" in html
    assert 'value="to&quot;ken"' in html


def test_the_prompt_offers_only_the_actions_the_user_may_run() -> None:
    offer = Prompt(PromptKind.NEW_VERSION, (("Recommended software version", "V200R024C00"),))
    html = pages.banner(offer, VIEWER)
    assert pages.DOWNLOAD_PATH in html and pages.DOWNLOAD_LABEL in html
    assert pages.RIGHT_NOW_PATH not in html
    nothing = pages.Viewer("u", 2, "t", may_download=False, may_right_now=False, smart_upgrade=True)
    assert "<form" not in pages.banner(offer, nothing)
    assert 'data-kind="new-version"' in pages.banner(offer, nothing)
    assert pages.banner(None, VIEWER) == ""
    assert 'data-kind="disabled"' in pages.banner(Prompt(PromptKind.DISABLED), VIEWER)
