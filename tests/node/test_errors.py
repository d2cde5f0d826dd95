"""One exception class per Maelstrom error code, plus custom codes."""

from __future__ import annotations

import pytest

from glome import errors, protocol


def class_name(error_name: str) -> str:
    return "".join(part.capitalize() for part in error_name.split("-"))


def test_every_registry_code_has_its_class():
    assert set(protocol.ERROR_CODES) <= set(errors.BY_CODE)
    for code, entry in protocol.ERROR_CODES.items():
        cls = errors.BY_CODE[code]
        assert cls.__name__ == class_name(entry.name)
        assert (cls.code, cls.name, cls.definite) == (entry.code, entry.name, entry.definite)
        assert getattr(errors, cls.__name__) is cls


def test_body_and_round_trip():
    error = errors.KeyDoesNotExist("key does not exist")
    assert error.body() == {"type": "error", "code": 20, "text": "key does not exist"}
    back = errors.error_from_body({**error.body(), "in_reply_to": 3})
    assert (
        type(back) is errors.KeyDoesNotExist and back.text == "key does not exist" and back.definite
    )


def test_unknown_and_custom_codes():
    unknown = errors.error_from_body({"type": "error", "code": 77})
    assert type(unknown) is errors.RPCError and (unknown.code, unknown.name, unknown.definite) == (
        77,
        "unknown",
        False,
    )

    class Fenced(errors.RPCError, code=1042, name="fenced", definite=True):
        """A custom code."""

    try:
        assert errors.BY_CODE[1042] is Fenced
        found = errors.error_from_body({"type": "error", "code": 1042, "text": "old epoch"})
        assert type(found) is Fenced and found.definite and found.name == "fenced"
    finally:
        del errors.BY_CODE[1042]


def test_reserved_and_taken_codes_are_refused():
    with pytest.raises(ValueError, match="Maelstrom's own"):
        type("Bad", (errors.RPCError,), {}, code=500)
    with pytest.raises(ValueError, match="already taken"):
        type("Again", (errors.RPCError,), {}, code=protocol.ABORT)


def test_error_body_without_a_code_is_a_crash():
    assert type(errors.error_from_body({"type": "error", "code": "x"})) is errors.Crash
