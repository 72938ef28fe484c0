"""One ``smartupgrade-sim`` subprocess per test module, started the way the README starts it."""

from collections.abc import Iterator

import pytest

from tests.support.sim import log_problems, running_sim
from tests.support.users import Server

# an S5732-H supports AP upgrade: its hello announces the feature, and yanglint needs it enabled
SIM_MODEL = "S5732-H"
FEATURES = ("sunc-smart-upgrade:ap-upgrade",)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_sim(tmp_path_factory.mktemp("sim") / "data", SIM_MODEL) as running:
        yield running.server
    # clients that drop the connection without <close-session> must not look like crashes
    assert log_problems(running.log.read_text()) == []
