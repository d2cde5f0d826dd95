"""Rewrite the README's challenge results table from a ``glome challenge`` run's summary.

    glome challenge all && python tools/readme_table.py

reads store/challenge-summary.json (or --summary PATH) and replaces the text
between the README's two marker comments with the table of that run and a
line saying which command, engine and machine produced it. A run with
``--time-limit`` is labelled a smoke run, so its figures are never taken
for the official ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glome.challenge import table
from glome.challenge.judging import SUMMARY_FILE, Row, read_summary

START = "<!-- challenge-results:start -->"
END = "<!-- challenge-results:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(settings: dict, rows: list[Row]) -> str:
    header = "| " + " | ".join(table.HEADERS) + " |"
    rule = "|" + "|".join("---" for _ in table.HEADERS) + "|"
    body = ["| " + " | ".join(_cell(cell) for cell in table.cells(row)) + " |" for row in rows]
    command = settings.get("command", "glome challenge")
    started = settings.get("started", "unknown time")
    machine = settings.get("machine", "unknown machine")
    engine = settings.get("engine", "glome")
    caption = f"`{command}` on {started} ({machine}; engine {engine}): "
    caption += table.verdict_sentence(rows)
    if "time-limit override" in settings:
        caption += (
            " **Smoke run**: every time limit was overridden with `--time-limit`, so these"
            " are not the figures of the official command lines."
        )
    if "interrupted" in settings:
        caption += f" Interrupted {settings['interrupted']}."
    return "\n".join([caption, "", header, rule, *body])


def replace_section(readme: str, section: str) -> str:
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {START} ... {END} section")
    return readme[: start + len(START)] + "\n" + section + "\n" + readme[end:]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", type=Path, default=Path("store") / SUMMARY_FILE)
    parser.add_argument("--readme", type=Path, default=Path(__file__).parents[1] / "README.md")
    args = parser.parse_args(argv)
    settings, rows = read_summary(args.summary)
    readme = args.readme.read_text(encoding="utf-8")
    try:
        updated = replace_section(readme, markdown(settings, rows))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    args.readme.write_text(updated, encoding="utf-8")
    print(f"{args.readme}: table of {len(rows)} runs from {args.summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
