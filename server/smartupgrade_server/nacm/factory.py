"""The NACM configuration a switch leaves the factory with (docs/server.md, "User levels").

Every smart-upgrade command of the seed, 'display smart-upgrade information' included, has
"Default Level 3: Management level". Users of level 3 are in group ``level-3`` (and every lower
one) and may do everything; the others may use NETCONF itself but neither read nor change smart
upgrade, nor change the SSL policies it trusts, nor kill other sessions (the ietf-netconf module
shipped here has no ``default-deny-all`` on kill-session, so a rule says it).
"""

from __future__ import annotations

from smartupgrade_model.convert import RawObject
from smartupgrade_model.model import MODULE
from smartupgrade_server.nacm.rules import NACM

SSL_POLICY_MODULE = "sunc-ssl-policy"
MANAGEMENT_GROUP = "level-3"
EVERY_USER_GROUP = "level-0"


def factory_nacm() -> RawObject:
    return {
        NACM: {
            "enable-nacm": True,
            "read-default": "permit",
            "write-default": "deny",
            "exec-default": "permit",
            "enable-external-groups": True,
            "rule-list": [
                {
                    "name": "management-level",
                    "group": [MANAGEMENT_GROUP],
                    "rule": [
                        {
                            "name": "permit-all",
                            "module-name": "*",
                            "access-operations": "*",
                            "action": "permit",
                            "comment": "Level 3 (management) may run every command.",
                        }
                    ],
                },
                {
                    "name": "below-management-level",
                    "group": [EVERY_USER_GROUP],
                    "rule": [
                        {
                            "name": "smart-upgrade",
                            "module-name": MODULE,
                            "access-operations": "*",
                            "action": "deny",
                            "comment": "Smart upgrade commands: Default Level 3.",
                        },
                        {
                            "name": "kill-session",
                            "module-name": "ietf-netconf",
                            "rpc-name": "kill-session",
                            "access-operations": "exec",
                            "action": "deny",
                            "comment": "Ending other users' sessions is for level 3.",
                        },
                        {
                            "name": "ssl-policies",
                            "module-name": SSL_POLICY_MODULE,
                            "access-operations": "create update delete",
                            "action": "deny",
                            "comment": "The CA certificates smart upgrade trusts.",
                        },
                    ],
                },
            ],
        }
    }
