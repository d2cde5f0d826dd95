"""Human explanations of anomalies, and the files under ``store/elle/``.

Every anomaly example gets an ``explanation``: for a cycle, the transactions
(named T1, T2, …) and, for each step, the fact that orders one before the
next; for the other anomalies, the operation and the values that give it away.
The same text goes to ``elle/<anomaly>.txt``; cycles and cyclic components are
drawn as Graphviz DOT (``.dot`` always, ``.svg`` when ``dot`` is installed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from glome.bench.checkers.elle import graph as g
from glome.bench.checkers.elle.analysis import CycleAnalysis, result_map
from glome.bench.history import Op

#: Graphviz is given at most this much DOT, and this long, per drawing.
MAX_PLOT_BYTES = 65536
PLOT_TIMEOUT_S = 5.0
#: Cyclic components drawn per run, and the largest one drawn.
MAX_COMPONENT_PLOTS = 100
MAX_COMPONENT_SIZE = 400
#: Graphviz takes tens of milliseconds a drawing, so only the first few cycles
#: of each anomaly type (and the first few components) become SVG.
SVG_PER_KIND = 5


#: ``json.dumps(value, default=str)`` without building an encoder per value: the
#: C encoder is made once, without the circularity check (values come from JSON).
_JSON = json.JSONEncoder(default=str)
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_C_JSON = (
    None
    if _make_c_encoder is None
    else _make_c_encoder(
        None, str, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
)


def show(value: Any) -> str:
    if value is None:
        return "nil"
    if _C_JSON is None:
        return _JSON.encode(value)
    return "".join(_C_JSON(value, 0))


def describe_op(op: Op) -> str:
    return (
        f"index {op.get('index')}, process {op.get('process')}, {op.get('type')}: "
        f"{show(op.get('value'))}"
    )


# --- steps of a cycle --------------------------------------------------------


def render_step(step: dict[str, Any], a: str, b: str, appends: bool) -> str:
    """Why transaction ``a`` precedes ``b`` in one step of a cycle; ``appends``
    says the keys are lists built by appends rather than registers."""
    kind = step["type"]
    key = show(step.get("key"))
    value, later = step.get("value"), step.get("value'")
    if kind == "realtime":
        return _render_realtime(step, a, b)
    if kind == "process":
        return f"process {step['process']} completed {a} before it invoked {b}"
    if appends:
        if kind == "ww":
            return f"{b} appended {show(later)} to key {key} right after {a}'s {show(value)}"
        if kind == "wr":
            return (
                f"{a} appended {show(value)} to key {key}, and {b}'s read of that key ended there"
            )
        if value is None:
            return f"{a} read key {key} empty, and {b} appended its first element {show(later)}"
        return (
            f"{a} read key {key} up to {show(value)} and missed {b}'s append of "
            f"{show(later)}, the next element"
        )
    if kind == "wr":
        return f"{a} wrote key {key} = {show(value)}, and {b} read that value"
    if kind == "ww":
        return (
            f"{a} wrote key {key} = {show(value)}, and {b} wrote {show(later)}, "
            "a later version of that key"
        )
    return (
        f"{a} read key {key} = {show(value)}, and {b} wrote {show(later)}, "
        "a later version of that key"
    )


def _render_realtime(step: dict[str, Any], a: str, b: str) -> str:
    done, start = step["a'"], step["b"]
    gap = ""
    if done.get("time") is not None and start.get("time") is not None:
        seconds = (start["time"] - done["time"]) / 1e9
        gap = f", {seconds:.3f} s later" if seconds > 0 else ", at about the same time"
    return (
        f"{a} completed (history index {done.get('index')}) before {b} was invoked "
        f"(index {start.get('index')}{gap})"
    )


def render_cycle(case: dict[str, Any], appends: bool) -> str:
    ops = case["cycle"][:-1]
    names = [f"T{i + 1}" for i in range(len(ops))]
    lines = [f"{case['type']}: a cycle of {len(ops)} transactions"]
    lines += [f"  {name} = {describe_op(op)}" for name, op in zip(names, ops, strict=True)]
    for i, step in enumerate(case["steps"]):
        a, b = names[i], names[(i + 1) % len(names)]
        lines.append(f"  {a} < {b}: {render_step(step, a, b, appends)}")
    lines.append(f"So {names[0]} would have to precede itself: no such order exists.")
    return "\n".join(lines)


# --- the other anomalies -----------------------------------------------------


def _element_list(values: list[Any]) -> str:
    return ", ".join(show(v) for v in values)


def _render_read_of(case: dict[str, Any], what: str) -> str:
    _, k, v = case["mop"]
    return (
        f"{describe_op(case['op'])} read key {show(k)} = {show(v)}; {what} "
        f"(writer: {describe_op(case['writer'])})"
    )


def _render_internal(case: dict[str, Any]) -> str:
    _, k, v = case["mop"]
    expected = case["expected"]
    if isinstance(expected, list) and expected[:1] == ["..."]:
        shown = f"a list ending in {_element_list(expected[1:])}"
    else:
        shown = show(expected)
    return (
        f"{describe_op(case['op'])} read key {show(k)} = {show(v)}, but its own earlier "
        f"micro-ops left the key at {shown}"
    )


def _render_existence(case: dict[str, Any]) -> str:
    return (
        f"a cycle exists among the {case['scc-size']} transactions at indices "
        f"{case['scc']} using only {show(case['subgraph'])} edges, so the history is not "
        f"{case['not']} (no single cycle was singled out)"
    )


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "G1a": lambda c: _render_read_of(
        c,
        "that value"
        + (f" (element {show(c['element'])})" if "element" in c else "")
        + " was written only by a transaction that failed (aborted read)",
    ),
    "G1b": lambda c: _render_read_of(
        c,
        "that state"
        + (f" (ending in {show(c['element'])})" if "element" in c else "")
        + " was an intermediate write its writer itself overwrote (intermediate read)",
    ),
    "internal": _render_internal,
    "future-read": lambda c: (
        f"{describe_op(c['op'])} read {show(c['mop'])}, which already contains "
        f"{show(c['element'])}, an element this same transaction appends later"
    ),
    "lost-update": lambda c: (
        f"{len(c['txns'])} committed transactions read key {show(c['key'])} = "
        f"{show(c['value'])} and each wrote that key, so all but one update was lost: "
        + "; ".join(describe_op(op) for op in c["txns"])
    ),
    "cyclic-versions": lambda c: (
        f"the version order of key {show(c['key'])}, inferred from {', '.join(c['sources'])}, "
        f"is cyclic among the values {_element_list(c['scc'])}"
    ),
    "duplicate-elements": lambda c: (
        f"{describe_op(c['op'])} read {show(c['mop'])}, in which "
        + ", ".join(f"{show(e)} appears {n} times" for e, n in c["duplicates"].items())
    ),
    "incompatible-order": lambda c: (
        f"two reads of key {show(c['key'])} saw {show(c['values'][0])} and "
        f"{show(c['values'][1])}; the shorter is not a prefix of the longer, so no single "
        "order of appends explains both"
    ),
    "dirty-update": lambda c: (
        f"key {show(c['key'])}: the failed transaction {describe_op(c['txns'][0])} "
        f"appended {_element_list(c['values'][:-1])}, and the committed transaction "
        f"{describe_op(c['txns'][-1])} appended {show(c['values'][-1])} on top of it"
    ),
    "cycle-search-timeout": lambda c: (
        f"the search for {c['anomaly-spec-type']} in a cyclic component of {c['scc-size']} "
        "transactions ran out of time; one cycle of that component is reported as found"
    ),
}


def explain(anomaly_type: str, case: Any, appends: bool) -> str | None:
    """The explanation of one example of an anomaly type."""
    if isinstance(case, dict) and "steps" in case:
        return render_cycle(case, appends)
    if anomaly_type.endswith("-cycle-exists"):
        return _render_existence(case)
    renderer = RENDERERS.get(anomaly_type)
    return renderer(case) if renderer and isinstance(case, dict) else None


def annotate(anomalies: dict[str, Any], appends: bool) -> None:
    """Adds an ``explanation`` to every example, in place."""
    for anomaly_type, cases in anomalies.items():
        if not isinstance(cases, list):
            continue
        for case in cases:
            text = explain(anomaly_type, case, appends)
            if text is not None:
                case["explanation"] = text


# --- drawings ----------------------------------------------------------------

_NODE_COLORS = {"ok": "#1f5fa8", "info": "#a86a12", "fail": "#a8234f"}
_EDGE_COLORS = {
    "ww": "#b8330f",
    "wr": "#a3189a",
    "rw": "#5a22b0",
    "realtime": "#1d6fc4",
    "process": "#168f8f",
}


def _escape(text: str) -> str:
    for ch in '\\|{}"<>':
        text = text.replace(ch, "\\" + ch)
    return text


def _mop_text(mop: list[Any]) -> str:
    f, k, v = mop
    return f"{'a' if f == 'append' else f} {show(k)} {show(v)}"


def dot_of(ops: list[Op], edges: list[tuple[Op, Op, dict[str, Any]]]) -> str:
    """A DOT digraph: one record per transaction (a field per micro-op), one
    arrow per explained dependency, from the micro-op behind it when known."""
    lines = ["digraph elle {", "  node [shape=record, height=0.4];"]
    for op in ops:
        fields = "|".join(
            f"<f{i}> {_escape(_mop_text(mop))}" for i, mop in enumerate(op.get("value") or [])
        )
        color = _NODE_COLORS.get(op.get("type", ""), "#555555")
        lines.append(f'  T{op["index"]} [label="{fields}", color="{color}", fontcolor="{color}"];')
    for a, b, step in edges:
        source = f"T{a['index']}" + (f":f{step['a-mop-index']}" if "a-mop-index" in step else "")
        target = f"T{b['index']}" + (f":f{step['b-mop-index']}" if "b-mop-index" in step else "")
        rel = step["type"]
        short = {"realtime": "rt", "process": "p"}.get(rel, rel)
        color = _EDGE_COLORS.get(rel, "#555555")
        lines.append(
            f'  {source} -> {target} [label="{short}", color="{color}", fontcolor="{color}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def cycle_dot(case: dict[str, Any]) -> str:
    ops = case["cycle"][:-1]
    edges = [(ops[i], ops[(i + 1) % len(ops)], step) for i, step in enumerate(case["steps"])]
    return dot_of(ops, edges)


def component_dot(analysis: CycleAnalysis, component: list[int]) -> str:
    by_index = analysis.txns.by_index
    label = g.label_table(analysis.priority)
    members = set(component)
    edges = []
    for v in component:
        for w, rels in sorted(analysis.graph.out[v].items()):
            if w in members:
                a, b = by_index[v], by_index[w]
                edges.append((a, b, analysis.explainer.explain(a, b, label[rels])))
    return dot_of([by_index[v] for v in component], edges)


def _write_drawing(directory: Path, name: str, dot: str, svg: bool) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.dot").write_text(dot)
    program = shutil.which("dot")
    if not svg or program is None or len(dot) > MAX_PLOT_BYTES:
        return
    try:
        image = subprocess.run(
            [program, "-Tsvg"],
            input=dot,
            capture_output=True,
            text=True,
            timeout=PLOT_TIMEOUT_S,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return
    (directory / f"{name}.svg").write_text(image)


def write_store(directory: Path, anomalies: dict[str, Any], analysis: CycleAnalysis) -> None:
    """``<type>.txt`` per reported anomaly type, ``<type>/<i>.dot`` per reported
    cycle, and ``sccs/<i>.dot`` per (not too large) cyclic component; the first
    few drawings of each kind also as ``.svg`` when Graphviz is installed."""
    directory.mkdir(parents=True, exist_ok=True)
    for anomaly_type, cases in anomalies.items():
        if not isinstance(cases, list):
            text = f"{anomaly_type}: {show(cases)}"
            if anomaly_type == "empty-transaction-graph":
                text += " (no transaction depends on any other: nothing could be checked)"
            (directory / f"{anomaly_type}.txt").write_text(text + "\n")
            continue
        texts = [
            f"{anomaly_type} #{i}\n{case.get('explanation', '')}" for i, case in enumerate(cases)
        ]
        (directory / f"{anomaly_type}.txt").write_text("\n\n\n".join(texts) + "\n")
        for i, case in enumerate(cases):
            if "steps" in case:
                _write_drawing(directory / anomaly_type, str(i), cycle_dot(case), i < SVG_PER_KIND)
    drawable = [c for c in analysis.components if len(c) <= MAX_COMPONENT_SIZE]
    for i, component in enumerate(drawable[:MAX_COMPONENT_PLOTS]):
        dot = component_dot(analysis, component)
        _write_drawing(directory / "sccs", str(i), dot, i < SVG_PER_KIND)


def report(
    consistency_models: Sequence[str],
    cycles: CycleAnalysis,
    found: dict[str, Any],
    store: Path | None,
    appends: bool,
) -> dict[str, Any]:
    """Elle's result map over the cycle anomalies and the other ``found`` ones
    (empty entries dropped), the reported ones explained and written to the store."""
    anomalies = {**cycles.anomalies, **{t: cases for t, cases in found.items() if cases}}
    result = result_map(consistency_models, anomalies)
    reported = result.get("anomalies")
    if reported:
        annotate(reported, appends)
        if store is not None:
            write_store(Path(store) / "elle", reported, cycles)
    return result
