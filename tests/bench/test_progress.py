"""The live status line: drawn on a terminal, absent otherwise."""

from __future__ import annotations

import io

from glome.bench.options import parse_test_args
from glome.bench.runner import run
from support.fixture_nodes import fixture_node

ECHO = fixture_node("echo_node.py")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def options():
    return parse_test_args(
        ["-w", "echo", "--bin", ECHO, "--node-count", "1", "--time-limit", "1", "--rate", "20"]
    )


def test_status_line_on_a_terminal(tmp_path):
    console = Terminal()
    outcome = run(options(), console, tmp_path / "store")
    assert outcome.exit_code == 0
    text = console.getvalue()
    assert "\r[main]" in text and " / 1s" in text and "nemesis off" in text
    assert "msgs " in text and "ok " in text


def test_no_status_line_when_piped(tmp_path):
    console = io.StringIO()
    outcome = run(options(), console, tmp_path / "store")
    assert outcome.exit_code == 0
    assert console.getvalue().startswith("launching ")  # the console was written to
    assert "\r" not in console.getvalue()
