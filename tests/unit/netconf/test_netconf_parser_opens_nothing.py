"""strace shows that parsing hostile XML opens no file and no connection (issue #13).

libxml2 opens files from C, where Python's audit hooks do not see it, so a child process
parses the corpus of tests/support/hostile_xml.py under ``strace -f`` and every system call that
names a file or touches the network between two markers is a failure. Each layer is traced on
its own: parse_message (the prolog check in front of the parser) and the hardened parser alone.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BEGIN = "/nonexistent/smartupgrade-parse-begin"
END = "/nonexistent/smartupgrade-parse-end"

CHILD = f"""
import os
from lxml import etree
from smartupgrade_server.netconf.errors import RpcError
from smartupgrade_server.netconf.xml_parser import hardened_parser, parse_message
from tests.support.hostile_xml import HARMLESS, REFUSED_DOCTYPE, REFUSED_ENCODING

corpus = [*REFUSED_DOCTYPE.values(), *REFUSED_ENCODING.values(), *HARMLESS.values()]
parser = hardened_parser()
outcomes = []
os.path.exists({BEGIN!r})
for data in corpus:
    try:
        parse_message(data)
        outcomes.append("parsed")
    except RpcError as error:
        outcomes.append(str(error.tag))
    try:
        etree.fromstring(data, parser)
    except Exception:
        pass
os.path.exists({END!r})
print(len(corpus), outcomes.count("parsed"))
"""


def test_parsing_the_hostile_corpus_opens_no_file_and_no_socket(tmp_path: Path) -> None:
    strace = shutil.which("strace")
    assert strace is not None, "tools/install.sh installs strace"
    trace = tmp_path / "trace"
    result = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=%file,%network",
            "-o",
            str(trace),
            sys.executable,
            "-c",
            CHILD,
        ],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = trace.read_text().splitlines()
    begin = next(i for i, line in enumerate(lines) if BEGIN in line)
    end = next(i for i, line in enumerate(lines) if END in line)
    from tests.support.hostile_xml import HARMLESS, REFUSED_DOCTYPE, REFUSED_ENCODING

    total = len(REFUSED_DOCTYPE) + len(REFUSED_ENCODING) + len(HARMLESS)
    assert result.stdout.split() == [str(total), str(len(HARMLESS))]
    assert lines[begin + 1 : end] == []


@pytest.mark.parametrize("marker", [BEGIN, END])
def test_the_markers_name_no_file(marker: str) -> None:
    assert not Path(marker).exists()
