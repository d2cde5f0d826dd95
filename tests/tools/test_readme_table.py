"""tools/readme_table.py rewrites only the README's results section, from a summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from glome.challenge import judging
from glome.challenge.catalog import BY_ID
from glome.challenge.judging import Row

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "readme_table.py"
START, END = "<!-- challenge-results:start -->", "<!-- challenge-results:end -->"


def rows() -> list[Row]:
    good = judging.judge(
        Row("3d", BY_ID["3d"].title, 1, 1, 1, []),
        {
            "valid?": True,
            "net": {"servers": {"msgs-per-op": 1.06}},
            "workload": {"stable-latencies": {"0.5": 244, "1": 485}},
        },
        BY_ID["3d"].targets,
        0.5,
    )
    crashed = Row("6b", BY_ID["6b"].title, 2, 2, 1, [])
    return [good, crashed]


def regenerate(tmp_path: Path, readme: str, settings: dict) -> subprocess.CompletedProcess[str]:
    summary = judging.write_summary(tmp_path / "store", rows(), settings)
    (tmp_path / "README.md").write_text(readme)
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--summary",
            str(summary),
            "--readme",
            str(tmp_path / "README.md"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_section_between_the_markers_is_replaced(tmp_path: Path) -> None:
    readme = f"# title\n\nbefore\n\n{START}\nold table\n{END}\n\nafter\n"
    settings = {
        "command": "glome challenge all",
        "started": "2026-01-01T00:00:00+00:00",
        "machine": "x86_64, 2 cores",
        "engine": "glome",
    }
    done = regenerate(tmp_path, readme, settings)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("# title\n\nbefore\n\n" + START + "\n")
    assert text.endswith(END + "\n\nafter\n") and "old table" not in text
    section = text[text.index(START) : text.index(END)]
    assert (
        "`glome challenge all` on 2026-01-01T00:00:00+00:00 (x86_64, 2 cores; engine glome)"
        in section
    )
    assert "| 3d | real | valid | 1.06 | 244 | 485 |" in section
    assert "| 6b line 2 | real | crashed |" in section and section.count("FAIL") == 1
    assert "Smoke run" not in section


def test_a_smoke_run_is_labelled_as_such(tmp_path: Path) -> None:
    readme = f"{START}\n{END}\n"
    done = regenerate(tmp_path, readme, {"time-limit override": "2 s (smoke run)"})
    assert done.returncode == 0, done.stderr
    assert "**Smoke run**" in (tmp_path / "README.md").read_text()


def test_a_readme_without_markers_is_left_alone(tmp_path: Path) -> None:
    done = regenerate(tmp_path, "# no markers\n", {})
    assert done.returncode == 1 and "no <!-- challenge-results:start -->" in done.stderr
    assert (tmp_path / "README.md").read_text() == "# no markers\n"


def test_the_readme_starts_with_glome_challenge_all_and_has_the_section() -> None:
    readme = (REPO / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert first_block == [
        "pip install . && glome challenge all",
        'pip install ".[test]" && python -m pytest',
    ]
    assert readme.index(START) < readme.index(END)
