"""Maelstrom's services (docs/maelstrom.md §5), including seq-kv's exact stale-read algorithm."""

from __future__ import annotations

from glome.bench.services import LinTSO, LwwKV, SeqKV, kv_apply


class Scripted:
    """A stand-in RNG returning scripted values, to pin down the algorithm."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)
        self.calls: list[tuple] = []

    def randint(self, low: int, high: int) -> int:
        self.calls.append((low, high))
        value = self.values.pop(0)
        assert low <= low + value <= high or low <= value <= high
        return value

    def randrange(self, n: int) -> int:
        self.calls.append((0, n - 1))
        return self.values.pop(0)


def test_kv_state_machine():
    state, reply = kv_apply({}, {"type": "read", "key": "a"})
    assert reply == {"type": "error", "code": 20, "text": "key does not exist"}
    state, reply = kv_apply(state, {"type": "write", "key": "a", "value": 1})
    assert reply == {"type": "write_ok"}
    _, reply = kv_apply(state, {"type": "cas", "key": "a", "from": "1", "to": 2})
    assert reply == {"type": "error", "code": 22, "text": 'current value 1 is not "1"'}
    state, reply = kv_apply(state, {"type": "cas", "key": "a", "from": 1, "to": 2})
    assert reply == {"type": "cas_ok"}
    _, reply = kv_apply(state, {"type": "read", "key": "a"})
    assert reply == {"type": "read_ok", "value": 2}
    state, reply = kv_apply(
        state, {"type": "cas", "key": "b", "from": 0, "to": 5, "create_if_not_exists": 0}
    )
    assert reply == {"type": "cas_ok"}  # 0 is truthy in Clojure
    _, reply = kv_apply(state, {"type": "read", "key": "b"})
    assert reply["value"] == 5


def test_kv_keys_compare_as_json_values():
    state, _ = kv_apply({}, {"type": "write", "key": 1, "value": "x"})
    _, reply = kv_apply(state, {"type": "read", "key": "1"})
    assert reply["code"] == 20
    state, _ = kv_apply(state, {"type": "write", "key": [1, {"a": 2}], "value": "y"})
    _, reply = kv_apply(state, {"type": "read", "key": [1, {"a": 2}]})
    assert reply["value"] == "y"


def test_no_op_writes_leave_the_state_identical():
    state, _ = kv_apply({}, {"type": "write", "key": "k", "value": 1})
    same, _ = kv_apply(state, {"type": "write", "key": "k", "value": 1})
    assert same is state
    changed, _ = kv_apply(state, {"type": "write", "key": "k", "value": 1.0})
    assert changed is not state


def test_seq_kv_reads_from_a_state_no_older_than_the_senders_last():
    rng = Scripted()
    kv = SeqKV(rng)
    for value in (1, 2, 3):
        rng.values.append(0)  # a write always applies to the newest state
        assert kv.handle("n1", {"type": "write", "key": "k", "value": value}) == {
            "type": "write_ok"
        }
    assert kv.last_index == 3 and kv.seen["n1"] == 3
    # n2 has seen nothing: it may read any state 0..3; choose state #1
    rng.values.append(1)
    assert kv.handle("n2", {"type": "read", "key": "k"}) == {"type": "read_ok", "value": 1}
    assert rng.calls[-1] == (0, 3)
    assert kv.seen["n2"] == 1
    # its next read is drawn from [1, 3]; offset 0 keeps it at state #1
    rng.values.append(0)
    assert kv.handle("n2", {"type": "read", "key": "k"})["value"] == 1
    assert rng.calls[-1] == (0, 2)
    # state #0 is the empty map: a read from there fails
    rng.values.append(0)
    assert kv.handle("n3", {"type": "read", "key": "k"})["code"] == 20
    # n1 wrote last, so it always reads its own newest state
    rng.values.append(0)
    assert kv.handle("n1", {"type": "read", "key": "k"})["value"] == 3


def test_seq_kv_cas_applies_to_the_newest_state():
    rng = Scripted(0, 0, 0)
    kv = SeqKV(rng)
    kv.handle("n1", {"type": "write", "key": "k", "value": 1})
    kv.handle("n1", {"type": "write", "key": "k", "value": 2})
    # n2 picks state #1 (value 1): cas 1->5 changes it, so it re-runs on the newest (2)
    rng.values = [1]
    reply = kv.handle("n2", {"type": "cas", "key": "k", "from": 1, "to": 5})
    assert reply["code"] == 22 and reply["text"] == "current value 2 is not 1"
    # Maelstrom appends the re-run's (unchanged) state anyway and moves n2 to it
    assert kv.last_index == 3 and kv.seen["n2"] == 3


def test_seq_kv_wraps_around_its_32_state_buffer():
    rng = Scripted()
    kv = SeqKV(rng)
    for value in range(40):
        rng.values.append(0)
        kv.handle("n1", {"type": "write", "key": "k", "value": value})
    assert len(kv.states) == 32 and kv.last_index == 40
    # n2 at index 0 picks index 0: position (0 - 40 - 1) mod 32 = 23 -> value 31
    rng.values.append(0)
    assert kv.handle("n2", {"type": "read", "key": "k"})["value"] == 31


def test_lww_kv_replicas_never_merge_and_ignore_create_if_not_exists():
    rng = Scripted(0, 1, 0, 1)
    kv = LwwKV(rng)
    assert kv.handle("n1", {"type": "write", "key": "k", "value": "v"}) == {"type": "write_ok"}
    assert kv.handle("n1", {"type": "read", "key": "k"})["code"] == 20  # replica 1 never saw it
    assert kv.handle("n1", {"type": "read", "key": "k"}) == {"type": "read_ok", "value": "v"}
    reply = kv.handle(
        "n1", {"type": "cas", "key": "j", "from": 1, "to": 2, "create_if_not_exists": True}
    )
    assert reply["code"] == 20


def test_lww_kv_precondition_text_prints_from_raw():
    rng = Scripted(0, 0)
    kv = LwwKV(rng)
    kv.handle("n1", {"type": "write", "key": "k", "value": "v"})
    reply = kv.handle("n1", {"type": "cas", "key": "k", "from": "w", "to": "x"})
    assert reply["text"] == 'current value "v" is not w'


def test_lin_tso_counts_from_zero():
    tso = LinTSO()
    assert [tso.handle("n1", {"type": "ts"})["ts"] for _ in range(3)] == [0, 1, 2]
