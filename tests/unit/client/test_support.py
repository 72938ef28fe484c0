"""Whether a switch has Smart Upgrade, from its hello; nothing of the module goes to one that
has not."""

from __future__ import annotations

import pytest
from lxml import etree

from smartupgrade_client import edits, messages
from smartupgrade_client.errors import SmartUpgradeUnsupported
from smartupgrade_client.support import announced_modules, check_supported, has_smart_upgrade
from smartupgrade_model.model import MODULE, NAMESPACE, SSL_POLICY_MODULE, SSL_POLICY_NAMESPACE

BASE = "urn:ietf:params:netconf:base:1.1"
WITH = [BASE, f"{NAMESPACE}?module={MODULE}&revision=2026-12-06&features=ap-upgrade"]
WITHOUT = [BASE, f"{SSL_POLICY_NAMESPACE}?module={SSL_POLICY_MODULE}&revision=2026-11-27"]


def test_the_modules_of_a_hello() -> None:
    assert announced_modules(WITH + WITHOUT) == {MODULE, SSL_POLICY_MODULE}
    assert has_smart_upgrade(WITH)
    assert not has_smart_upgrade(WITHOUT)
    # a server that lists its modules only in the yang-library: the hello says nothing
    assert has_smart_upgrade([BASE])


@pytest.mark.parametrize(
    "request_",
    [
        messages.get(),
        messages.refresh(),
        messages.download(),
        messages.cancel(),
        messages.edit_config([edits.enable()]),
    ],
)
def test_a_request_of_the_module_is_refused_before_it_is_sent(request_: etree._Element) -> None:
    check_supported(WITH, request_)
    with pytest.raises(SmartUpgradeUnsupported) as refused:
        check_supported(WITHOUT, request_)
    assert str(refused.value) == (
        "This switch does not support Smart Upgrade (its hello does not announce the "
        "sunc-smart-upgrade module)"
    )


def test_ssl_policies_need_no_smart_upgrade() -> None:
    check_supported(WITHOUT, messages.edit_config([edits.create_ssl_policy("houp", ())]))
