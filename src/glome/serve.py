"""``glome serve``: browse store/ (every run's folder and report.html) over HTTP.

Binds 127.0.0.1 unless told otherwise: the store holds node logs and
histories, which are nobody else's business. The root page lists the runs,
newest first, with their verdicts; every other path is a file or folder under
store/, and any path that resolves outside it (``..``, encoded or not, or a
symlink pointing out) is refused.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote

from glome.bench import edn, results
from glome.challenge.judging import verdict_of
from glome.challenge.report import REPORT_FILE
from glome.exit_codes import BAD_ARGUMENTS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080  # maelstrom serve's


def run_verdict(run: Path) -> str:
    """The stored verdict of a run (glome's results.json, else Maelstrom's results.edn)."""
    try:
        if (run / results.RESULTS_JSON).is_file():
            stored = results.load_results(run)
        elif (run / results.RESULTS_EDN).is_file():
            stored = edn.loads((run / results.RESULTS_EDN).read_text(encoding="utf-8"))
        else:
            return "incomplete"
    except (ValueError, UnicodeDecodeError):
        return "unreadable"
    return verdict_of(stored.get("valid?") if isinstance(stored, dict) else None)


def index_page(root: Path) -> str:
    """The runs under ``root``, newest first, and the challenge report if there is one."""
    rows = []
    for run in reversed(results.stored_tests(root)):
        relative = run.relative_to(root).as_posix()
        verdict = run_verdict(run)
        rows.append(
            f'<tr class="{html.escape(verdict)}"><td>{html.escape(run.parent.name)}</td>'
            f'<td><a href="/{quote(relative)}/">{html.escape(run.name)}</a></td>'
            f"<td>{html.escape(verdict)}</td></tr>"
        )
    report = (
        f'<p><a href="/{REPORT_FILE}">Challenge report</a></p>'
        if (root / REPORT_FILE).is_file()
        else "<p>No challenge report yet: run <code>glome challenge all</code>.</p>"
    )
    table = (
        "<table><thead><tr><th>workload</th><th>run</th><th>verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No runs stored yet.</p>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>glome store</title>'
        "<style>body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:900px}"
        "td,th{padding:.3em .8em;text-align:left;border-bottom:1px solid #ddd}"
        ".invalid td,.incomplete td{color:#b3261e}</style></head><body>"
        f"<h1>glome store</h1>{report}{table}</body></html>\n"
    )


def inside(root: Path, url_path: str) -> Path | None:
    """The file a URL path names under ``root``, or None if it would leave ``root``."""
    path = unquote(url_path.split("?", 1)[0].split("#", 1)[0])
    if "\x00" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, *parts))
    if target != real_root and not target.startswith(real_root + os.sep):
        return None
    return Path(target)


class StoreHandler(SimpleHTTPRequestHandler):
    """Static files from the store, the runs index at /, nothing outside the store."""

    def __init__(self, *args: Any, root: Path, **kwargs: Any) -> None:
        self.root = root
        super().__init__(*args, directory=str(root), **kwargs)

    def send_head(self) -> Any:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html") and not (self.root / "index.html").exists():
            return self._send_index()
        if inside(self.root, self.path) is None:
            self.send_error(HTTPStatus.FORBIDDEN, "outside the store")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        resolved = inside(self.root, path)
        # send_head refused already; a path that slips through still stays in the store
        return str(resolved) if resolved is not None else os.path.realpath(self.root)

    def _send_index(self) -> Any:
        body = index_page(self.root).encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return BytesIO(body)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def make_server(
    root: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> ThreadingHTTPServer:
    """A threaded server for ``root`` (port 0 picks a free port)."""
    server = ThreadingHTTPServer((host, port), partial(StoreHandler, root=root.resolve()))
    server.daemon_threads = True
    return server


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="glome serve", description=__doc__.splitlines()[0])
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("-b", "--host", default=DEFAULT_HOST, help="address to bind (127.0.0.1)")
    parser.add_argument(
        "--store", type=Path, default=results.STORE_ROOT, help="the folder to serve"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else BAD_ARGUMENTS
    if not args.store.is_dir():
        print(f"glome serve: no {args.store}/ here yet; run glome test or glome challenge first")
        return BAD_ARGUMENTS
    try:
        server = make_server(args.store, args.host, args.port)
    except OSError as error:
        print(f"glome serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    # server_bind stored getsockname(), whose host is a str (typeshed allows bytes)
    host, port = cast(tuple[str, int], server.server_address[:2])
    print(f"Serving {args.store}/ at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: listening beyond this machine; the store holds logs and histories")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
