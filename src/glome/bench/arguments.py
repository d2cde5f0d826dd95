"""Command-line machinery as Clojure's tools.cli does it, and Java-compatible number reading.

``parse`` tokenizes and parses a command line against a table of ``Spec`` s
token for token as tools.cli does (``--long=value``, clumped short options,
``--`` ending options, later values replacing earlier ones, each option's own
parser and validation), collecting every error rather than stopping at the
first. ``usage`` prints the table, one option a line. The number readers
reproduce what Maelstrom's options use: Clojure's ``parse-long``, Java's
``Long/parseLong`` and ``Double/parseDouble``, the EDN reader and Java's
``String.split``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

# ---------------------------------------------------------------- number readers
# Each mirrors a parse function Maelstrom or Jepsen gives an option; a ValueError
# becomes tools.cli's "Error while parsing option" message.

_LONG = re.compile(r"[+-]?\d+")
_EDN_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|\d+)N?")
_EDN_RATIO = re.compile(r"([+-]?\d+)/(\d+)")
_EDN_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?")
_EDN_WHITESPACE = " \t\n\r\f,"


def parse_long(text: str) -> int | None:
    """Clojure's ``parse-long``: an optionally signed decimal 64-bit integer, else nil."""
    value = int(text) if _LONG.fullmatch(text) else None
    return value if value is not None and -(2**63) <= value < 2**63 else None


def parse_strict_long(text: str) -> int:
    """Java's ``Long/parseLong``: like parse-long but throws on bad input."""
    value = parse_long(text)
    if value is None:
        raise ValueError(f'java.lang.NumberFormatException: For input string: "{text}"')
    return value


def parse_double(text: str) -> float:
    """Java's ``Double/parseDouble``: trims blanks, allows a d/f suffix.

    Java also reads NaN and Infinity, which Maelstrom's rate check lets through;
    no meaningful schedule follows from them, so glome refuses them.
    """
    trimmed = text.strip(" \t\n\r\f\v")
    body = trimmed[:-1] if trimmed[-1:] in ("d", "D", "f", "F") else trimmed
    if body.lstrip("+-") in ("NaN", "Infinity"):
        raise ValueError(
            f"{trimmed} is not a finite number (Maelstrom would accept it; glome does not)"
        )
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", body):
        raise ValueError(f'java.lang.NumberFormatException: For input string: "{text}"')
    return float(body)


@dataclass(frozen=True)
class ReadForm:
    """A form that is not a number (a symbol, say): every validator fails on it,
    as Clojure's comparisons throw on a symbol."""

    text: str


def read_number(text: str) -> int | float | ReadForm | None:
    """The first form of ``text`` read as EDN/Clojure: a number, nil, or another form.

    ``--availability`` (edn/read-string) and ``--nemesis-interval`` (read-string)
    parse this way, so ``1/2``, ``0x10``, ``5N`` and ``1e0`` all work, an empty
    string reads as nil, and anything after the first form is ignored.
    """
    stripped = text.lstrip(_EDN_WHITESPACE)
    token = re.match(r"[^\s,\[\]{}()\"';@^`~\\]*", stripped)
    word = token.group(0) if token else ""
    if not stripped or word == "nil":
        return None
    if match := _EDN_INT.fullmatch(word):
        sign, digits = match.groups()
        value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits)
        return -value if sign == "-" else value
    if match := _EDN_RATIO.fullmatch(word):
        numerator, denominator = match.groups()
        if int(denominator) == 0:
            raise ValueError("java.lang.ArithmeticException: Divide by zero")
        ratio = Fraction(int(numerator), int(denominator))
        return ratio.numerator if ratio.denominator == 1 else float(ratio)
    if _EDN_FLOAT.fullmatch(word):
        return float(word.rstrip("M"))
    return ReadForm(word or stripped)


def split_java(pattern: str, text: str) -> list[str]:
    """Java's ``String.split``: like re.split, but trailing empty strings are dropped."""
    parts = re.split(pattern, text)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if parts == [""] and text:
        return []
    return parts


# ---------------------------------------------------------------------- specs

Choices = Sequence[str] | Callable[[], Sequence[str]]


@dataclass(frozen=True)
class Spec:
    """One option, as a tools.cli spec, and everything else said about it.

    ``default`` is the value the option has when it is not given (None: it has
    none, tools.cli's nil); the options' dataclass takes its field defaults from
    here, and ``usage`` shows it. ``help`` is the option's line in ``usage``:
    ``{default}`` in it is replaced by the default, else `` (default X)`` is
    appended when there is one to show, and ``{choices}`` is replaced by the
    choices. ``choices`` (a sequence, or a function giving one when first
    needed) makes the option a keyword that must be one of them; ``valid``
    and ``invalid_message`` then default to that check and its message.
    """

    key: str  # the parsed value's name
    long: str
    short: str | None = None
    argument: str | None = None  # the metavariable; None for a flag
    parse: Callable[[str], Any] | None = None
    valid: Callable[[Any], bool] | None = None
    invalid_message: str | None = None
    repeated: bool = False  # -n/--node: each use appends
    default: Any = None
    help: str = ""
    choices: Choices | None = None

    def name_with_argument(self) -> str:
        return f"{self.long} {self.argument}" if self.argument else self.long

    def choice_list(self) -> Sequence[str]:
        choices = self.choices() if callable(self.choices) else self.choices
        return choices or ()

    def validate(self, value: Any) -> str | None:
        """Why ``value`` fails this option's validation ("" when no reason is
        given), or None when it passes."""
        if self.valid is not None:
            passed = _passes(self.valid, value)
        elif self.choices is not None:
            passed = value in self.choice_list()
        else:
            return None
        if passed:
            return None
        if self.invalid_message is not None or self.valid is not None:
            return self.invalid_message or ""
        return one_of(self.choice_list())

    def help_line(self) -> str:
        text = self.help
        if "{choices}" in text:
            text = text.replace("{choices}", ", ".join(self.choice_list()))
        shown = show_default(self.default)
        if "{default}" in text:
            return text.replace("{default}", str(shown))
        return text if shown is None else f"{text} (default {shown})"


def one_of(choices: Sequence[str]) -> str:
    """tools.cli-style validation message for a keyword option."""
    return "Must be one of " + ", ".join(sorted(choices))


def show_default(value: Any) -> str | None:
    """A default as ``usage`` shows it, or None for one it does not show (nil,
    false, an empty collection): a whole float without its ``.0``, a list as its
    only element or as ``first .. last``."""
    if value is None or value is False:
        return None
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        items = list(value)
        if not items:
            return None
        return str(items[0]) if len(items) == 1 else f"{items[0]} .. {items[-1]}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def defaults(specs: Sequence[Spec]) -> dict[str, Any]:
    """Option key -> its default, for every option of ``specs``."""
    return {spec.key: spec.default for spec in specs}


def usage(specs: Sequence[Spec]) -> str:
    """Option summary for ``--help``, one option a line."""
    names = [
        (f"{spec.short}, " if spec.short else "    ") + spec.name_with_argument() for spec in specs
    ]
    width = max(map(len, names))
    return "\n".join(
        f"  {name:<{width}}  {spec.help_line()}" for name, spec in zip(names, specs, strict=True)
    )


# ------------------------------------------------------------------ tokenizer


#: one group of words of a command line: the (option, argument-or-None) pairs it holds
#: (none for ``--``), or None for positional words
Tokens = list[tuple[str, str | None]] | None


def token_spans(argv: list[str], specs: Sequence[Spec]) -> Iterator[tuple[Tokens, int, int]]:
    """tools.cli's tokenize-args, with where each token came from: for each option (or
    clump of short options) its pairs and the words ``argv[start:end]`` it spans; for
    positional words (everything after ``--`` among them) None and their span. Lets a
    caller edit a command line option by option without reading it differently."""
    needs_argument = {name for spec in specs if spec.argument for name in (spec.long, spec.short)}
    index = 0
    while index < len(argv):
        word = argv[index]
        start, index = index, index + 1
        following = argv[index] if index < len(argv) else None
        if word == "--":
            yield [], start, index
            if index < len(argv):
                yield None, index, len(argv)
            return
        if re.match(r"^--\S+=", word):
            name, value = word.split("=", 1)
            yield [(name, value)], start, index
        elif word.startswith("--"):
            takes = word in needs_argument and following is not None
            index += takes
            yield [(word, following if takes else None)], start, index
        elif re.match(r"^-.", word, re.DOTALL):
            expanded, took = _expand_short_cluster(word, following, needs_argument)
            index += took
            yield expanded, start, index
        else:
            yield None, start, index


def _tokenize(argv: list[str], specs: Sequence[Spec]) -> tuple[list[tuple[Any, ...]], list[str]]:
    """tools.cli's tokenize-args: (option, argument-or-None) pairs and positional args."""
    tokens: list[tuple[str, str | None]] = []
    positional: list[str] = []
    for group, start, end in token_spans(argv, specs):
        if group is None:
            positional.extend(argv[start:end])
        else:
            tokens.extend(group)
    return tokens, positional


def _expand_short_cluster(
    word: str, following: str | None, needs_argument: set[str | None]
) -> tuple[list[tuple[str, str | None]], bool]:
    """``-abc`` is -a -b -c, unless one of them takes an argument: then the rest is it
    (or the next word, ``following``: the bool says whether it was taken)."""
    expanded: list[tuple[str, str | None]] = []
    letters = word[1:]
    for position, letter in enumerate(letters):
        name = "-" + letter
        if name in needs_argument:
            tail = letters[position + 1 :]
            expanded.append((name, tail if tail else following))
            return expanded, not tail and following is not None
        expanded.append((name, None))
    return expanded, False


def parse(argv: list[str], specs: Sequence[Spec]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Options given (by key; defaults are not filled in), positional arguments,
    and error messages."""
    by_name = {name: spec for spec in specs for name in (spec.long, spec.short) if name}
    tokens, positional = _tokenize(argv, specs)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, argument in tokens:
        spec = by_name.get(name)
        if spec is None:
            errors.append(f"Unknown option: {_pr_str(name)}")
            continue
        if not spec.argument:
            values[spec.key] = True
            continue
        shown = _pr_str(f"{name} {argument if argument is not None else spec.argument}")
        if argument is None:
            errors.append(f"Missing required argument for {shown}")
            continue
        try:
            value = spec.parse(argument) if spec.parse else argument
        except (ValueError, ArithmeticError) as error:
            errors.append(f"Error while parsing option {shown}: {error}")
            continue
        why = spec.validate(value)
        if why is not None:
            message = f"Failed to validate {shown}"
            errors.append(f"{message}: {why}" if why else message)
            continue
        if spec.repeated:
            values.setdefault(spec.key, []).append(value)
        else:
            values[spec.key] = value
    return values, positional, errors


def _passes(check: Callable[[Any], bool], value: Any) -> bool:
    """tools.cli treats a validator that throws (e.g. comparing nil) as a failure."""
    try:
        return bool(check(value))
    except TypeError:
        return False


def _pr_str(text: str) -> str:
    """Clojure's pr-str of a string, as tools.cli quotes options in its messages."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
