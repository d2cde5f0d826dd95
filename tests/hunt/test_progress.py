"""A hunt's progress: a short plain log when piped, a bar on a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from glome.hunt.progress import PlainProgress, RichProgress, progress_for


def test_a_log_gets_a_line_about_every_tenth_of_the_seeds_and_at_the_last() -> None:
    out = io.StringIO()
    progress = progress_for(25, "glome sweep", out)
    assert isinstance(progress, PlainProgress)
    for seed in range(25):
        progress.advance(failed=seed in (4, 20))
    progress.close()
    lines = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"glome sweep: {done}/25 seeds" for done in (3, 6, 9, 12, 15, 18, 21, 24, 25)
    ]
    assert ", 2 failing, " in lines[-1] and lines[-1].endswith(" seeds/s")


def test_a_terminal_gets_a_bar_with_the_failures_and_the_rate() -> None:
    out = io.StringIO()
    progress = RichProgress(3, Console(file=out, force_terminal=True, width=120), "glome sweep")
    for failed in (False, True, False):
        progress.advance(failed)
    progress.close()
    shown = out.getvalue()
    assert "3/3" in shown and "1 failing" in shown and "seeds/s" in shown
