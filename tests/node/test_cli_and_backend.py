"""glome node and the nodes' command lines, glome doctor, and the compiled backend CI insists on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glome import _fast, doctor, nodes
from glome.exit_codes import BAD_ARGUMENTS

INIT = (
    b'{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}\n'
)


def run_glome(
    args: list[str], env: dict[str, str], stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "glome", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["echo", "unique-ids"])
def test_glome_node_runs_a_challenge_node(backend_env, name):
    result = run_glome(["node", name], backend_env, INIT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b'{"src":"n0","dest":"c0","body":{"type":"init_ok","in_reply_to":1}}\n'


def test_glome_node_rejects_an_unknown_name(backend_env):
    result = run_glome(["node", "nope"], backend_env)
    assert (
        result.returncode == 254
        and b"unknown node 'nope'" in result.stderr
        and result.stdout == b""
    )


#: node -> how it refuses the positional argument "bogus" (after "<prog>: error: ")
BAD_WORD = {
    "echo": "argument mode: invalid choice: 'bogus'",
    "unique-ids": "argument mode: invalid choice: 'bogus'",
    "broadcast": "unknown profile 'bogus'",
    "counter": "argument mode: invalid choice: 'bogus'",
    "kafka": "unknown kafka mode 'bogus'",
    "txn": "argument mode: invalid choice: 'bogus'",
}
BAD_COMMAND_LINES = [
    *[(name, ["--bogus"], "unrecognized arguments: --bogus") for name in nodes.NODES],
    *[(name, ["bogus"], why) for name, why in BAD_WORD.items()],
]


def assert_refused(result: subprocess.CompletedProcess[str], name: str, why: str) -> None:
    """Refused as every node refuses a bad command line: usage and the problem on
    stderr, nothing on stdout, exit 254."""
    assert result.returncode == BAD_ARGUMENTS, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"usage: glome-{name} "), result.stderr
    assert f"glome-{name}: error: {why}" in result.stderr, result.stderr


def test_every_node_has_a_bad_command_line_case():
    assert set(BAD_WORD) == set(nodes.NODES)


@pytest.mark.parametrize(("name", "args", "why"), BAD_COMMAND_LINES)
def test_every_node_script_refuses_a_bad_command_line_with_exit_254(name, args, why):
    script = Path(sys.executable).parent / f"glome-{name}"  # the installed console script
    result = subprocess.run(
        [str(script), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_refused(result, name, why)


@pytest.mark.parametrize("name", nodes.NODES)
def test_glome_node_refuses_a_bad_node_option_as_the_node_does(name):
    result = subprocess.run(
        [sys.executable, "-m", "glome", "node", name, "--bogus"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert_refused(result, name, "unrecognized arguments: --bogus")


def test_glome_node_hands_the_arguments_over_without_touching_sys_argv(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["pytest", "--unrelated"])
    with pytest.raises(SystemExit) as stopped:
        nodes.main(["kafka", "bogus"])
    assert stopped.value.code == BAD_ARGUMENTS
    assert "glome-kafka: error: unknown kafka mode 'bogus'" in capsys.readouterr().err
    assert sys.argv == ["pytest", "--unrelated"]


def test_doctor_names_the_backend_it_runs(backend, backend_env):
    result = run_glome(["doctor"], backend_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].startswith("glome ") and any(line.startswith("orjson ") for line in lines)
    assert lines[1].startswith(f"backend: {backend}")
    assert "  _fast.node: compiled" in lines or backend == "pure"


def test_doctor_reports_a_partial_build():
    status = {"node": "compiled", "bitset": "not built: missing"}
    expected = "pure (GLOME_NO_EXTENSIONS=1)" if _fast.PURE_FORCED else "mixed (compiled: node)"
    assert doctor.active_backend(status) == expected


@pytest.mark.skipif(
    os.environ.get("GLOME_REQUIRE_EXTENSIONS") != "1", reason="only where the build is required"
)
def test_required_compiled_backend_actually_loaded():
    assert all(state == "compiled" for state in _fast.compiled_status().values()), (
        _fast.compiled_status()
    )
    env = {k: v for k, v in os.environ.items() if k != "GLOME_NO_EXTENSIONS"}
    probe = "import glome.node as n; print(n.BACKEND, n._core.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=env, timeout=60, text=True
    )
    backend, path = result.stdout.split()
    assert backend == "compiled" and not path.endswith(".py"), result.stdout
