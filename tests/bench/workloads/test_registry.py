"""The workload registry, and the option specs as the one source of defaults and help."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from importlib import import_module

import pytest

from glome.bench import workloads
from glome.bench.arguments import Spec, show_default, usage
from glome.bench.options import TEST_DEFAULTS, TEST_SPECS, TestOptions, parse_test_args
from glome.protocol import response_violation

MAELSTROMS_WORKLOADS = (
    "broadcast",
    "echo",
    "g-counter",
    "g-set",
    "kafka",
    "lin-kv",
    "pn-counter",
    "txn-list-append",
    "txn-rw-register",
    "unique-ids",
)


def test_the_registry_names_maelstroms_ten_workloads():
    assert workloads.names() == MAELSTROMS_WORKLOADS
    assert tuple(sorted(workloads.response_schemas())) == MAELSTROMS_WORKLOADS


@pytest.mark.parametrize("module_name", workloads.REGISTRY)
def test_every_module_declares_its_names_schemas_and_options(module_name):
    module = import_module(module_name)
    assert module.RESPONSE_SCHEMAS and callable(module.create)
    for schemas in module.RESPONSE_SCHEMAS.values():
        for reply_type, _fields in schemas.values():
            assert reply_type.endswith("_ok")
    fields = {f.name for f in dataclasses.fields(TestOptions)}
    keys = {spec.key for spec in TEST_SPECS}
    assert set(getattr(module, "OPTIONS", ())) <= fields & keys


@pytest.mark.parametrize("name", MAELSTROMS_WORKLOADS)
def test_create_builds_every_registered_workload(name):
    options = TestOptions(bin="x", workload=name, nodes=["n0"], concurrency=2)
    workload = workloads.create(name, options, random.Random(1))
    assert workload.name == name


def test_an_unregistered_workload_is_unsupported():
    with pytest.raises(workloads.UnsupportedWorkload) as caught:
        workloads.create("chat", TestOptions(bin="x"), random.Random(1))
    assert str(caught.value) == (
        "workload 'chat' is not available in this version of glome test "
        f"(available: {', '.join(MAELSTROMS_WORKLOADS)})"
    )


def test_the_client_validates_against_the_declared_schemas():
    schema = workloads.response_schemas()["echo"]["echo"]
    assert response_violation(schema, {"type": "echo_ok", "echo": 1, "in_reply_to": 1}) is None
    assert "disallowed" in str(
        response_violation(schema, {"type": "echo_ok", "echo": 1, "in_reply_to": 1, "x": 2})
    )


def test_parsing_options_does_not_import_the_workload_modules():
    code = (
        "import sys; import glome.bench.options as o; o.parse_test_args(['--bin', 'x']); "
        "print(sorted(m for m in sys.modules if m.startswith('glome.bench.workloads.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------- specs


def test_test_options_defaults_are_the_specs_defaults():
    direct = TestOptions(bin="x")
    parsed = parse_test_args(["--bin", "x", "--seed", "0"])
    assert dataclasses.replace(parsed, argv=[], seed_given=False) == direct
    resolved = {"concurrency"}  # the field holds the default (1n) resolved on the nodes
    for spec in TEST_SPECS:
        if (
            spec.key in TestOptions.__dataclass_fields__.keys() - resolved
            and spec.default is not None
        ):
            value = getattr(direct, spec.key)
            expected = spec.default
            if isinstance(expected, tuple):
                expected = list(expected)
            assert value == expected and type(value) is type(expected), spec.key
    assert direct.nodes == list(TEST_DEFAULTS["node"])
    assert direct.concurrency == len(direct.nodes) and TEST_DEFAULTS["concurrency"] == "1n"


def test_lists_are_fresh_for_every_instance():
    first, second = TestOptions(bin="x"), TestOptions(bin="x")
    first.nodes.append("n9")
    first.consistency_models.append("serializable")
    assert second.nodes == ["n1", "n2", "n3", "n4", "n5"]
    assert second.consistency_models == ["strict-serializable"]


@pytest.mark.parametrize(
    ("default", "shown"),
    [
        (None, None),
        (False, None),
        (frozenset(), None),
        (0, "0"),
        (5.0, "5"),
        (2.5, "2.5"),
        (-1, "-1"),
        ("1n", "1n"),
        (("only",), "only"),
        (("n1", "n2", "n3"), "n1 .. n3"),
    ],
)
def test_how_a_default_is_shown(default, shown):
    assert show_default(default) == shown


def test_usage_shows_each_default_from_its_spec():
    specs = (
        Spec("a", "--a", "-a", "N", default=3, help="appended"),
        Spec("b", "--b", argument="X", default=1.0, help="placed (default {default}; more)"),
        Spec("c", "--c", argument="K", choices=("y", "x"), default="y", help="one of {choices}"),
        Spec("d", "--d", help="no default"),
    )
    assert usage(specs).splitlines() == [
        "  -a, --a N  appended (default 3)",
        "      --b X  placed (default 1; more)",
        "      --c K  one of y, x (default y)",
        "      --d    no default",
    ]
