"""Maelstrom's wire protocol, defined once for the node runtime and the bench.

Error codes and their definiteness, the envelope's keys, and the language of
the closed response schemas that Maelstrom's clients validate node replies
against, with the validator (docs/maelstrom.md §2.4 and §6.1). A reply with a
key outside its schema is *malformed*: Maelstrom records the operation as
indeterminate. Each bench workload declares its own schemas in this language
(``RESPONSE_SCHEMAS`` in its module under glome.bench.workloads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    """One row of Maelstrom's error registry."""

    code: int
    name: str
    definite: bool  # True: the operation certainly did not, and never will, happen


ERROR_CODES: dict[int, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode(0, "timeout", False),
        ErrorCode(1, "node-not-found", True),
        ErrorCode(10, "not-supported", True),
        ErrorCode(11, "temporarily-unavailable", True),
        ErrorCode(12, "malformed-request", True),
        ErrorCode(13, "crash", False),
        ErrorCode(14, "abort", True),
        ErrorCode(20, "key-does-not-exist", True),
        ErrorCode(21, "key-already-exists", True),
        ErrorCode(22, "precondition-failed", True),
        ErrorCode(30, "txn-conflict", True),
    )
}

TIMEOUT = 0
NODE_NOT_FOUND = 1
NOT_SUPPORTED = 10
TEMPORARILY_UNAVAILABLE = 11
MALFORMED_REQUEST = 12
CRASH = 13
ABORT = 14
KEY_DOES_NOT_EXIST = 20
KEY_ALREADY_EXISTS = 21
PRECONDITION_FAILED = 22
TXN_CONFLICT = 30

FIRST_USER_CODE = 1000  # codes below are reserved for Maelstrom


def error_code(code: int) -> ErrorCode:
    """The registry row for ``code``; unknown and user codes are indefinite ``unknown``."""
    return ERROR_CODES.get(code) or ErrorCode(code, "unknown", False)


# --- Response schemas -------------------------------------------------------
#
# A schema is a type spec, one of:
#   ANY                     any JSON value
#   INT                     an integer (not a bool, not a float: 3.0 is malformed)
#   STR                     a string
#   ("list", spec)          an array of spec; null is accepted (Plumatic Schema vectors)
#   ("map", spec)           an object whose values match spec (keys are strings in JSON)
#   ("tuple", spec, ...)    an array of exactly these element specs
#   ("enum", v, ...)        one of these literal values
#   ("either", spec, ...)   any of these specs
# A response schema is (reply_type, {key: spec}); the reply may hold exactly those
# keys plus ``type``, ``in_reply_to`` (required integer) and ``msg_id`` (optional integer).

ANY = "any"
INT = "int"
STR = "str"

Spec = Any
ResponseSchema = tuple[str, dict[str, Spec]]

#: a message's keys (docs/protocol.md): the bench refuses any other
ENVELOPE_KEYS = frozenset({"src", "dest", "body"})
ENVELOPE_OPTIONAL_KEYS = frozenset({"id"})
REPLY_BOOKKEEPING_KEYS = frozenset({"type", "in_reply_to", "msg_id"})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _all_match_trivially(spec: Spec, items: list[Any]) -> bool:
    """True when every item matches ``spec`` by a check that needs no path per element:
    ``spec`` is ANY, or INT or STR and every item is exactly that (JSON gives exact
    ints and strs; a bool is not an int here). A broadcast read holds thousands."""
    if spec == ANY:
        return True
    if spec == INT:
        return all(type(item) is int for item in items)
    if spec == STR:
        return all(type(item) is str for item in items)
    return False


def spec_violation(spec: Spec, value: object, path: str = "") -> str | None:
    """Why ``value`` does not match ``spec``, or None when it does."""
    where = path or "value"
    if spec == ANY:
        return None
    if spec == INT:
        return None if _is_int(value) else f"{where} should be an integer, got {value!r}"
    if spec == STR:
        return None if isinstance(value, str) else f"{where} should be a string, got {value!r}"
    kind = spec[0]
    if kind == "list":
        if value is None:
            return None
        if not isinstance(value, list):
            return f"{where} should be an array, got {value!r}"
        if _all_match_trivially(spec[1], value):
            return None
        for i, item in enumerate(value):
            why = spec_violation(spec[1], item, f"{where}[{i}]")
            if why:
                return why
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return f"{where} should be an object, got {value!r}"
        for key, item in value.items():
            why = spec_violation(spec[1], item, f"{where}[{key!r}]")
            if why:
                return why
        return None
    if kind == "tuple":
        elements = spec[1:]
        if not isinstance(value, list) or len(value) != len(elements):
            return f"{where} should be an array of {len(elements)} elements, got {value!r}"
        for i, (element_spec, item) in enumerate(zip(elements, value, strict=True)):
            why = spec_violation(element_spec, item, f"{where}[{i}]")
            if why:
                return why
        return None
    if kind == "enum":
        if value in spec[1:]:
            return None
        return f"{where} should be one of {list(spec[1:])}, got {value!r}"
    if kind == "either":
        reasons = [spec_violation(option, value, path) for option in spec[1:]]
        if None in reasons:
            return None
        return f"{where} matches none of the allowed forms ({reasons[0]})"
    raise ValueError(f"unknown schema spec {spec!r}")


def response_violation(schema: ResponseSchema, body: dict[str, Any]) -> str | None:
    """Why a reply ``body`` breaks a closed response schema, or None when it conforms."""
    reply_type, fields = schema
    if body.get("type") != reply_type:
        return f"type should be {reply_type!r}, got {body.get('type')!r}"
    if not _is_int(body.get("in_reply_to")):
        return f"in_reply_to should be an integer, got {body.get('in_reply_to')!r}"
    if "msg_id" in body and not _is_int(body["msg_id"]):
        return f"msg_id should be an integer when present, got {body['msg_id']!r}"
    extra = sorted(set(body) - set(fields) - REPLY_BOOKKEEPING_KEYS)
    if extra:
        return f"disallowed key(s) {extra}: Maelstrom's response schemas are closed"
    for key, spec in fields.items():
        if key not in body:
            return f"missing required key {key!r}"
        why = spec_violation(spec, body[key], key)
        if why:
            return why
    return None
