"""store/report.html: the challenge table, then each run's plots and Lamport diagram, and
for an invalid run the explanation of its verdict (explanation.txt, evidence.svg).

One self-contained file (inline CSS) next to the run folders, linking into
them with relative URLs, so it reads the same from file:// and from
``glome serve``. It shows what each run folder holds and names what is
missing; each image marks itself ``data-loaded="yes"`` (or "no") once the
browser has tried it, so a headless browser's DOM shows what really loaded.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from glome.bench.results import EVIDENCE_SVG, EXPLANATION_TXT
from glome.challenge import table
from glome.challenge.catalog import BY_ID
from glome.challenge.judging import Row

REPORT_FILE = "report.html"
IMAGES = (
    ("latency-raw.png", "latency of each operation over time, by outcome"),
    ("latency-quantiles.png", "latency quantiles over time"),
    ("rate.png", "throughput over time"),
    ("messages.svg", "Lamport diagram of the first messages"),
)
LINKS = (
    ("timeline.html", "timeline"),
    ("messages.svg", "Lamport diagram"),
    (EXPLANATION_TXT, "explanation"),
    (EVIDENCE_SVG, "evidence diagram"),
    ("results.edn", "results.edn"),
    ("results.json", "results.json"),
    ("history.txt", "history.txt"),
    ("node-logs", "node logs"),
    ("jepsen.log", "jepsen.log"),
)

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #1d232b; background: #fbfbfa; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccd; padding-bottom: .2em; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: .35em .6em; border-bottom: 1px solid #e2e4e8; text-align: left;
         vertical-align: top; }
th { background: #eef0f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.pass td.result { color: #1b7f3b; font-weight: 600; }
tr.fail td.result { color: #b3261e; font-weight: 600; }
tr.fail { background: #fff5f4; }
code, pre { font: 13px/1.4 ui-monospace, monospace; background: #f0f1f3; padding: .1em .3em; }
pre { padding: .6em; overflow-x: auto; white-space: pre-wrap; }
.meta { color: #5b6470; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 1 1 360px; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid #dde; background: #fff; }
figure.diagram { flex-basis: 100%; max-height: 700px; overflow: auto; }
figcaption { font-size: 13px; color: #5b6470; }
details.explanation { margin: 1em 0; border-left: 3px solid #b3261e; padding-left: .8em; }
details.explanation summary { font-weight: 600; color: #b3261e; cursor: pointer; }
.missing { color: #8a5a00; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _href(folder: str, name: str) -> str:
    return quote(f"{folder}/{name}")


def table_html(rows: list[Row]) -> str:
    numeric = {"msgs/op", "median ms", "max ms", "ok-fraction", "analysis s"}
    head = "".join(f"<th>{_e(header)}</th>" for header in table.HEADERS)
    body = []
    for index, row in enumerate(rows):
        cells = []
        for header, cell in zip(table.HEADERS, table.cells(row), strict=True):
            if header == "challenge":
                cell_html = f'<a href="#run-{index}">{_e(cell)}</a>'
            else:
                cell_html = _e(cell)
            css = "num" if header in numeric else header
            cells.append(f'<td class="{css}">{cell_html}</td>')
        status = "pass" if row.passed else "fail"
        body.append(f'<tr class="{status}" data-challenge="{_e(row.label)}">{"".join(cells)}</tr>')
    rows_html = "".join(body)
    return f'<table id="results"><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>'


def run_html(index: int, row: Row, store_root: Path) -> str:
    parts = [f'<section id="run-{index}"><h2>{_e(row.label)}: {_e(row.title)}</h2>']
    parts.append(
        f'<p class="meta">{_e(table.result_cell(row))} · verdict {_e(row.verdict)} · '
        f"{row.seconds:.1f} s · <code>{_e(' '.join(row.command))}</code></p>"
    )
    anchors = BY_ID[row.challenge].anchors if row.challenge in BY_ID else ""
    if anchors:
        parts.append(f'<p class="meta">Best published: {_e(anchors)}.</p>')
    if row.message:
        parts.append(f"<pre>{_e(row.message)}</pre>")
    if row.store is None:
        parts.append('<p class="missing">This run left no store folder.</p></section>')
        return "".join(parts)
    folder = store_root / row.store
    parts.append(f'<p>Store folder: <a href="{_href(row.store, "")}">{_e(row.store)}/</a>')
    links = [
        f'<a href="{_href(row.store, name)}">{_e(text)}</a>'
        for name, text in LINKS
        if (folder / name).exists()
    ]
    if links:
        parts.append(" · " + " · ".join(links))
    parts.append("</p>")
    parts.append(explanation_html(row.store, folder))
    figures, missing = [], []
    for name, caption in IMAGES:
        if not (folder / name).is_file():
            missing.append(name)
            continue
        css = ' class="diagram"' if name.endswith(".svg") else ""
        figures.append(
            f"<figure{css}><figcaption>{_e(name)}: {_e(caption)}</figcaption>"
            f'<img src="{_href(row.store, name)}" alt="{_e(caption)}" '
            "onload=\"this.dataset.loaded='yes'\" onerror=\"this.dataset.loaded='no'\">"
            "</figure>"
        )
    if not (folder / "timeline.html").exists():
        missing.append("timeline.html")
    if figures:
        parts.append(f'<div class="plots">{"".join(figures)}</div>')
    if missing:
        parts.append(
            f'<p class="missing">Not in this run\'s store folder: {_e(", ".join(missing))}.</p>'
        )
    parts.append("</section>")
    return "".join(parts)


def explanation_html(store: str, folder: Path) -> str:
    """An invalid run's explanation, open, with a link to its evidence diagram; "" for
    a run without one."""
    path = folder / EXPLANATION_TXT
    if not path.is_file():
        return ""
    diagram = (
        f'<p><a href="{_href(store, EVIDENCE_SVG)}">{EVIDENCE_SVG}</a>: the messages that '
        "carried the evidence, highlighted, in a Lamport diagram</p>"
        if (folder / EVIDENCE_SVG).is_file()
        else ""
    )
    text = path.read_text(encoding="utf-8", errors="replace")
    return (
        '<details class="explanation" open><summary>Why the verdict is invalid</summary>'
        f"<pre>{_e(text)}</pre>{diagram}</details>"
    )


def settings_html(settings: dict[str, Any]) -> str:
    items = [f"<li>{_e(key)}: <code>{_e(value)}</code></li>" for key, value in settings.items()]
    return f'<ul class="meta">{"".join(items)}</ul>'


def render(rows: list[Row], settings: dict[str, Any], store_root: Path) -> str:
    written = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    runs = "".join(run_html(index, row, store_root) for index, row in enumerate(rows))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>glome challenge report</title><style>{STYLE}</style></head><body>"
        f'<h1>Gossip Glomers challenges</h1><p class="meta">Written {_e(written)}. '
        f"{_e(table.verdict_sentence(rows))}</p>{settings_html(settings)}"
        f"{table_html(rows)}{runs}</body></html>\n"
    )


def write_report(store_root: Path, rows: list[Row], settings: dict[str, Any]) -> Path:
    store_root.mkdir(parents=True, exist_ok=True)
    path = store_root / REPORT_FILE
    path.write_text(render(rows, settings, store_root), encoding="utf-8")
    return path
