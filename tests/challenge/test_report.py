"""store/report.html: the table and each run's plots, checked in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from glome.challenge import report
from support.fake_store import PLOTS, fake_report_store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_links_what_exists_and_names_what_is_missing(tmp_path: Path) -> None:
    rows = fake_report_store(tmp_path)
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
    rows = fake_report_store(tmp_path)
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
