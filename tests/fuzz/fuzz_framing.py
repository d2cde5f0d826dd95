"""Atheris harness: the node runtime's framing and dispatch on arbitrary bytes.

    python tests/fuzz/fuzz_framing.py -atheris_runs=1000000 -dict=tests/fuzz/protocol.dict

(add -max_len=4096 -len_control=0 to reach long lines sooner).

The first bytes of an input choose whether an init line comes first, where the
stream is cut into reads and whether lines are cut short (a small ``line_limit``);
the rest is the stream. It goes through a whole node
(``fuzz.targets.check_node``) on the compiled core and on the pure one, whose
outputs must be the same bytes; with ``GLOME_NO_EXTENSIONS=1``, or no build, on
the pure core alone. Any exception is a finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["glome", "fuzz"]):
    from fuzz.harness import fuzz
    from fuzz.strategies import split
    from fuzz.targets import INIT_LINE, check_node, check_node_twins, core_module
    from glome._fast import PURE_FORCED, compiled_status

BOTH_BACKENDS = not PURE_FORCED and compiled_status()["node"] == "compiled"
MAX_CUTS = 8


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    init_first = provider.ConsumeBool()
    line_limit = provider.ConsumeIntInRange(0, 600) if provider.ConsumeBool() else None
    cuts = [
        provider.ConsumeIntInRange(0, 1 << 16)
        for _ in range(provider.ConsumeIntInRange(0, MAX_CUTS))
    ]
    stream = provider.ConsumeBytes(provider.remaining_bytes())
    chunks = split(INIT_LINE + b"\n" + stream if init_first else stream, cuts)
    if BOTH_BACKENDS:
        check_node_twins(chunks, line_limit)
    else:
        check_node(core_module("pure"), chunks, line_limit)


#: flag bytes (init first, no short line limit), no cuts, then a stream
SEEDS = [
    b"\x01\x00\x00" + line + b"\n"
    for line in (
        b'{"src":"c1","dest":"n0","body":{"type":"echo","echo":"hi","msg_id":2}}',
        b'{"src":"c1","dest":"n0","body":{"type":"ask","q":1,"msg_id":3}}\n'
        b'{"src":"n1","dest":"n0","body":{"type":"answer_ok","answer":4,"in_reply_to":1}}',
        b'{"src":"n1","dest":"n0","body":{"type":"error","code":11,"in_reply_to":2}}',
        b'{"src":"c1","dest":"n0","body":{"type":"crash","msg_id":4}}',
        b'{"src":"c1","dest":"n0","body":{"type":"init","msg_id":5,"node_id":"n0","node_ids":[]}}',
        b'{"src":"c1","dest":[[[[1]]]],"body":{"type":"refuse","msg_id":6}}',
        b'{"src":"c2","dest":"n0","body":{"msg_id":7,"type":"echo","ec',
    )
]


def main() -> None:
    fuzz(test_one_input, SEEDS)


if __name__ == "__main__":
    main()
