"""store/report.html: the table and each run's plots, checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from glome.challenge import judging, report
from glome.challenge.judging import Row
from glome.challenges import BY_ID

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
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


def fake_store(root: Path) -> list[Row]:
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


def test_report_links_what_exists_and_names_what_is_missing(tmp_path: Path) -> None:
    rows = fake_store(tmp_path)
    page = report.write_report(tmp_path, rows, {"engine": "glome"}).read_text()
    assert page.count("<tr class=") == 3
    for name in PLOTS:
        assert f'src="broadcast/20260101T000000.000%2B0000/{name}"' in page
    assert 'href="broadcast/20260101T000000.000%2B0000/timeline.html"' in page
    missing = "Not in this run's store folder: "
    assert f"{missing}latency-raw.png, latency-quantiles.png, messages.svg, timeline.html." in page
    assert page.count(missing) == 2  # the echo run and the crashed one; the full run lacks nothing
    assert "Node n0 crashed &lt;exit 3&gt; &amp; stopped" in page  # escaped
    assert "http://" not in page and "file://" not in page  # relative links only


def dump_dom(page: Path) -> str:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.timeout(90)
def test_report_in_headless_chromium_shows_the_rows_and_loads_the_images(tmp_path: Path) -> None:
    rows = fake_store(tmp_path)
    dom = dump_dom(report.write_report(tmp_path, rows, {"engine": "glome"}))
    table_rows = re.findall(r'<tr class="(pass|fail)" data-challenge="([^"]+)"', dom)
    assert table_rows == [("pass", "3d"), ("fail", "1"), ("fail", "2")]
    images = re.findall(r'<img src="([^"]+)"[^>]*data-loaded="(yes|no)"', dom)
    loaded = {src.rsplit("/", 1)[1]: state for src, state in images}
    assert loaded == {
        "latency-raw.png": "yes",
        "latency-quantiles.png": "yes",
        "rate.png": "no",  # the broken file in the echo run: the marker can say no
        "messages.svg": "yes",
    }
    assert len(images) == 5  # four in the full run, the broken rate.png in the echo run
    assert [src for src, state in images if state == "yes"] == [
        f"broadcast/20260101T000000.000%2B0000/{name}" for name in (*PLOTS, "messages.svg")
    ]
