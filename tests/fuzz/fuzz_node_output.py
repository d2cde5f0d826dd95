"""Atheris harness: the bench's reading of node output on arbitrary bytes.

    python tests/fuzz/fuzz_node_output.py -atheris_runs=1000000 -max_len=4096 \
        -dict=tests/fuzz/protocol.dict

An input is a node's stdout: each of its lines goes through ``parse_line``
(``fuzz.targets.check_output_line``), and all of them through the router's bulk
path, compiled against pure (``check_output_twins``; pure alone with
``GLOME_NO_EXTENSIONS=1`` or no build). Any exception is a finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["glome", "fuzz"]):
    from fuzz.harness import fuzz
    from fuzz.targets import check_output_line, check_output_twins, routed_by
    from glome._fast import PURE_FORCED, compiled_status, load_pure

BOTH_BACKENDS = not PURE_FORCED and compiled_status()["router"] == "compiled"


def test_one_input(data: bytes) -> None:
    lines = data.split(b"\n")
    for line in lines:
        check_output_line(line)
    if BOTH_BACKENDS:
        check_output_twins(lines)
    else:
        routed_by(load_pure("router"), lines)


SEEDS = [
    b'{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"hi","in_reply_to":1}}',
    b'{"id":3,"src":"n1","dest":"n2","body":{"type":"gossip","values":[1,2,3]}}',
    b'{"src":"n1","dest":"lin-kv","body":{"type":"cas","key":1,"from":0,"to":2,"msg_id":9}}',
    b'{"src":"n1","dest":"n2","body":{}} {"src":"n1","dest":"n2","body":{}}',
    b'{"src":"n1","dest":"ghost","body":{"type":"x"}}\n{"src":"n2","dest":"n1","body":{}}',
    b'{"src":"n1","dest":"n2","body":{},"extra":1}\r\n',
    b"[1,2]\nnot json",
]


def main() -> None:
    fuzz(test_one_input, SEEDS)


if __name__ == "__main__":
    main()
