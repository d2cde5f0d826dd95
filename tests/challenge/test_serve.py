"""glome serve: real HTTP requests to a server on a free port."""

from __future__ import annotations

import contextlib
import http.client
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from glome import serve
from glome.challenge import report
from support.fake_store import fake_report_store

SECRET = "the content of a file beside the store"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    for workload, stamp, valid in (
        ("echo", "20260101T000000.000+0000", "true"),
        ("broadcast", "20260102T000000.000+0000", "false"),
        ("echo", "20260103T000000.000+0000", None),
    ):
        run = root / workload / stamp
        run.mkdir(parents=True)
        if valid is not None:
            (run / "results.json").write_text(f'{{"valid?": {valid}}}')
    maelstrom_run = root / "kafka" / "20251231T000000.000+0000"
    maelstrom_run.mkdir(parents=True)
    (maelstrom_run / "results.edn").write_text("{:workload {:valid? false}, :valid? :unknown}")
    (root / "report.html").write_text("<html>the report</html>")
    (root / "echo" / "20260101T000000.000+0000" / "rate.png").write_bytes(b"png bytes")
    (tmp_path / "secret.txt").write_text(SECRET)
    (root / "echo" / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "latest").symlink_to(Path("echo") / "20260101T000000.000+0000")
    return root


@contextlib.contextmanager
def serving(root: Path) -> Iterator[tuple[str, int]]:
    """glome serve's server for ``root`` on a free port, in a thread."""
    httpd = serve.make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server(store: Path) -> Iterator[tuple[str, int]]:
    with serving(store) as address:
        yield address


def get(address: tuple[str, int], path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request("GET", path)  # sent as is: no client-side normalisation
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_index_lists_runs_newest_first_with_verdicts_and_the_report(server) -> None:
    status, page = get(server, "/")
    assert status == 200
    assert '<a href="/report.html">' in page
    order = [page.index(stamp) for stamp in ("20260103", "20260102", "20260101", "20251231")]
    assert order == sorted(order)
    verdicts = re.findall(r"<td>(valid|invalid|unknown|incomplete)</td>", page)
    assert verdicts == ["incomplete", "invalid", "valid", "unknown"]  # unknown: Maelstrom's EDN


def test_files_folders_and_links_inside_the_store_are_served(server) -> None:
    assert get(server, "/report.html") == (200, "<html>the report</html>")
    assert get(server, "/echo/20260101T000000.000%2B0000/rate.png") == (200, "png bytes")
    assert get(server, "/latest/rate.png") == (200, "png bytes")  # a symlink inside the store
    status, listing = get(server, "/echo/20260101T000000.000%2B0000/")
    assert status == 200 and "rate.png" in listing
    assert get(server, "/echo/no-such-file")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/echo/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/echo/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/echo/escape",  # a symlink pointing out of the store
        "/..%5csecret.txt",
        "/%00",
    ],
)
def test_paths_outside_the_store_are_refused(server, path: str) -> None:
    status, body = get(server, path)
    assert status == 403
    assert SECRET not in body


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on ``port`` (Linux's
    /proc/net/tcp and tcp6: hex address, state 0A is LISTEN)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


@pytest.mark.timeout(30)
def test_the_command_binds_localhost_by_default(store: Path) -> None:
    """Asked for port 0, the server takes a free one and names it, so nothing races
    for it; and the only socket on that port listens on 127.0.0.1."""
    process = subprocess.Popen(
        [sys.executable, "-m", "glome", "serve", "--port", "0"],
        cwd=store.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", banner)
        assert found, banner
        port = int(found.group(1))
        assert get(("127.0.0.1", port), "/report.html")[0] == 200
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_without_a_store_it_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glome", "serve", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 254 and "no store/" in done.stdout


def test_every_relative_link_of_the_report_resolves_through_the_server(tmp_path: Path) -> None:
    root = tmp_path / "served"
    root.mkdir()
    report.write_report(root, fake_report_store(root), {"engine": "glome"})
    with serving(root) as address:
        status, page = get(address, "/report.html")
        assert status == 200
        targets = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
        assert len(targets) >= 8
        for target in targets:
            assert get(address, "/" + target)[0] == 200, target
