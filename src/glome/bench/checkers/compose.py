"""Running checkers side by side, as Jepsen's ``checker/compose`` does.

Each checker runs under a guard: an exception becomes that checker's result
``{"valid?": "unknown", "error": ...}`` instead of ending the analysis, and the
composed verdict is the merge false > unknown > true of every result.
"""

from __future__ import annotations

import traceback
from typing import Any

from glome.bench.history import UNKNOWN, CheckContext, Checker, Op
from glome.bench.results import is_validity, merge_valid


def check_safe(checker: Checker, history: list[Op], ctx: CheckContext) -> dict[str, Any]:
    """The checker's result, or an "unknown" result saying why it could not decide."""
    try:
        result = checker(history, ctx)
    except Exception as error:
        return {"valid?": UNKNOWN, "error": _describe(error)}
    if not (isinstance(result, dict) and is_validity(result.get("valid?"))):
        return {"valid?": UNKNOWN, "error": f"checker returned no valid? verdict: {result!r}"}
    return result


def _describe(error: Exception) -> str:
    """Exception class, message, and where it was raised: enough to find the bug."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def compose(checkers: dict[str, Checker]) -> Checker:
    """One checker running each named checker safely; results keyed by name plus "valid?"."""

    def check(history: list[Op], ctx: CheckContext) -> dict[str, Any]:
        results: dict[str, Any] = {
            name: check_safe(checker, history, ctx) for name, checker in checkers.items()
        }
        results["valid?"] = merge_valid(*(result["valid?"] for result in results.values()))
        return results

    return check
