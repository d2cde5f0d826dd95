"""What the atheris harnesses share: their command line and their seed inputs.

A harness starts from its seed inputs: they are written to the first corpus
directory on its command line when that is empty, or to a scratch directory
(named on stderr) when none is given; libFuzzer adds what it finds there.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris


def fuzz(test_one_input: Callable[[bytes], None], seeds: list[bytes]) -> None:
    """Run libFuzzer on ``test_one_input`` with the process's arguments; never returns."""
    argv = list(sys.argv)
    corpora = [arg for arg in argv[1:] if not arg.startswith("-")]
    if corpora:
        corpus = Path(corpora[0])
    else:
        corpus = Path(tempfile.mkdtemp(prefix="glome-fuzz-"))
        argv.append(str(corpus))
        print(f"corpus: {corpus}", file=sys.stderr)
    if corpus.is_dir() and not any(corpus.iterdir()):
        for index, seed in enumerate(seeds):
            (corpus / f"seed-{index}").write_bytes(seed)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
