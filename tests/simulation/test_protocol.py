"""The simulation protocol's pieces on their own: lines, parsers, time rounding, framing."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glome import simulation


def test_control_lines_parse_back() -> None:
    assert simulation.parse_step(simulation.step_line(0).rstrip()) == 0
    assert simulation.parse_step(simulation.step_line(12_345_678_901).rstrip()) == 12_345_678_901
    assert simulation.parse_report(simulation.idle_line(None).rstrip()) == ("idle", None)
    assert simulation.parse_report(simulation.idle_line(7).rstrip()) == ("idle", 7)
    assert simulation.parse_report(simulation.sleep_line(9).rstrip()) == ("sleep", 9)
    for line in (simulation.step_line(1), simulation.idle_line(2), simulation.sleep_line(3)):
        assert simulation.is_control(line)
    assert not simulation.is_control(b'{"src":"n1","dest":"c1","body":{}}')


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        b'{"glome_sim":"idle"}',  # next missing: null must be said
        b'{"glome_sim":"idle","next":-1}',
        b'{"glome_sim":"idle","next":1.5}',
        b'{"glome_sim":"sleep","until":null}',
        b'{"glome_sim":"done"}',
    ],
)
def test_malformed_reports_are_refused(line: bytes) -> None:
    with pytest.raises(simulation.ProtocolError):
        simulation.parse_report(line)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_a_timer_is_due_at_the_ns_reported_for_it_and_not_before(seconds: float) -> None:
    ns = simulation.seconds_to_ns(seconds)
    assert ns / simulation.SECOND_NS >= seconds
    assert ns == 0 or (ns - 1) / simulation.SECOND_NS < seconds


@given(
    st.lists(
        st.tuples(
            st.lists(st.binary(min_size=1).map(lambda b: b.replace(b"\n", b"."))),
            st.integers(0, 2**62),
        ),
        max_size=6,
    ),
    st.data(),
)
def test_steps_are_read_whole_however_the_pipe_cuts_them(
    steps: list[tuple[list[bytes], int]], data: st.DataObject
) -> None:
    """Messages and step lines come back as written, whatever chunks the reads return."""
    stream = b"".join(
        b"".join(b'{"id":' + line + b"}\n" for line in lines) + simulation.step_line(now)
        for lines, now in steps
    )
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(stream) - 1)), max_size=8)))
    read_fd, write_fd = os.pipe()
    try:
        pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
        reader = simulation.StepReader(read_fd, read_size=7)
        got = []
        for piece in pieces:
            os.write(write_fd, piece)
        os.close(write_fd)
        write_fd = -1
        while (step := reader.next_step()) is not None:
            got.append(step)
        assert reader.leftover() == b""
    finally:
        os.close(read_fd)
        if write_fd >= 0:
            os.close(write_fd)
    expected = [
        (b"".join(b'{"id":' + line + b"}\n" for line in lines), now) for lines, now in steps
    ]
    assert got == expected
