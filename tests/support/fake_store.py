"""A fake store of three challenge runs, for the report and serve tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from glome.challenge import judging
from glome.challenge.catalog import BY_ID
from glome.challenge.judging import Row

PLOTS = ("latency-raw.png", "latency-quantiles.png", "rate.png")


def png(width: int = 4, height: int = 3) -> bytes:
    """A small, valid, grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
    '<rect width="20" height="10"/></svg>'
)


def fake_report_store(root: Path) -> list[Row]:
    """Three runs: one with every file, one with a broken plot, one crashed with nothing."""
    full = root / "broadcast" / "20260101T000000.000+0000"
    partial = root / "echo" / "20260101T000001.000+0000"
    bare = root / "unique-ids" / "20260101T000002.000+0000"
    for folder in (full, partial, bare):
        folder.mkdir(parents=True)
    for name in PLOTS:
        (full / name).write_bytes(png())
    (full / "messages.svg").write_text(SVG)
    (full / "timeline.html").write_text("<html><body>timeline</body></html>")
    (full / "results.json").write_text("{}")
    (partial / "rate.png").write_bytes(b"not a png at all")
    good = judging.judge(
        Row("3d", BY_ID["3d"].title, 1, 1, 1, ["-w", "broadcast"]),
        {
            "valid?": True,
            "net": {"servers": {"msgs-per-op": 1.1}},
            "workload": {"stable-latencies": {"0.5": 250, "1": 480}},
        },
        BY_ID["3d"].targets,
        0.4,
    )
    good.store = full.relative_to(root).as_posix()
    missed = judging.judge(
        Row("1", "Echo", 1, 1, 1, ["-w", "echo"]), {"valid?": False}, BY_ID["1"].targets, 0.1
    )
    missed.store = partial.relative_to(root).as_posix()
    crashed = Row("2", BY_ID["2"].title, 1, 1, 1, ["-w", "unique-ids"])
    crashed.message = "Node n0 crashed <exit 3> & stopped"
    crashed.store = bare.relative_to(root).as_posix()
    return [good, missed, crashed]
