"""What the fuzz campaign shares: how many examples, and hostile NETCONF messages.

``FUZZ_EXAMPLES=200000 .venv/bin/pytest tests/unit/netconf/test_netconf_fuzz.py`` runs that many
examples per fuzz test instead of the few hundred of a normal run (docs/server.md, Limits).
"""

import os
import random

from hypothesis import HealthCheck, settings

from tests.support.hostile_xml import HARMLESS, NC, REFUSED_DOCTYPE, REFUSED_ENCODING


def examples(default: int) -> int:
    """``default`` in a normal run, ``FUZZ_EXAMPLES`` when asked for more."""
    return int(os.environ.get("FUZZ_EXAMPLES") or default)


def fuzz_settings(default: int) -> settings:
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


VALID = [
    f'<rpc message-id="{n}" xmlns="{NC}">{operation}</rpc>'.encode()
    for n, operation in enumerate(
        [
            "<get/>",
            "<get-config><source><running/></source></get-config>",
            f'<get><filter type="subtree"><nacm xmlns="{NC}"/></filter></get>',
            '<get><filter type="xpath" select="/*"/></get>',
            "<lock><target><candidate/></target></lock>",
            "<unlock><target><candidate/></target></unlock>",
        ]
    )
]
CORPUS = [*REFUSED_DOCTYPE.values(), *REFUSED_ENCODING.values(), *HARMLESS.values(), *VALID]


def mutated(rng: random.Random) -> bytes:
    """A message of the corpus with a few random byte-level changes."""
    data = bytearray(rng.choice(CORPUS))
    for _ in range(rng.randint(1, 4)):
        position = rng.randint(0, len(data))
        match rng.randrange(4):
            case 0:
                del data[position : position + rng.randint(1, 16)]
            case 1:
                data[position:position] = rng.randbytes(rng.randint(1, 8))
            case 2:
                data[position:position] = rng.choice(
                    [b"<!DOCTYPE x>", b"&x;", b"<![CDATA[", b"]]>", b"<?xml ?>", b"\xef\xbb\xbf"]
                )
            case _:
                data = data[:position]
    return bytes(data)
