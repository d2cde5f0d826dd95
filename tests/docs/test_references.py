"""Every reference to docs/ in the repository resolves: the file exists and each
cited section (``docs/maelstrom.md §7.3``) is a numbered heading of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEARCHED = ("src", "tests", "benchmarks", "tools", "docs", "README.md")
SUFFIXES = {".py", ".pyx", ".pyi", ".md", ".toml"}
SECTION = r"\d+(?:\.\d+)*"
#: "docs/x.md", then optionally "§1.2", ranges "§6.3-6.5" and lists "§9.5, §9.6"
REFERENCE = re.compile(r"docs/([a-z_-]+\.md)((?:\s*§" + SECTION + r"(?:[-–]" + SECTION + r")?,?)*)")


def _files() -> list[Path]:
    found: list[Path] = []
    for name in SEARCHED:
        path = REPO / name
        found += [path] if path.is_file() else sorted(path.rglob("*"))
    this = Path(__file__).resolve()  # its own examples are not references
    return [p for p in found if p.suffix in SUFFIXES and p.is_file() and p.resolve() != this]


def _references() -> list[tuple[str, str, list[str]]]:
    cited = []
    for path in _files():
        text = path.read_text(encoding="utf-8")
        for match in REFERENCE.finditer(text):
            sections = re.findall(SECTION, match.group(2))
            cited.append((str(path.relative_to(REPO)), match.group(1), sections))
    return cited


def _headings(doc: Path) -> set[str]:
    return set(re.findall(r"^#+ (" + SECTION + r")[. ]", doc.read_text(encoding="utf-8"), re.M))


REFERENCES = _references()


def test_the_code_cites_the_docs():
    assert len(REFERENCES) > 50
    assert any(sections for _, _, sections in REFERENCES)


@pytest.mark.parametrize("doc", sorted({doc for _, doc, _ in REFERENCES}))
def test_every_cited_section_is_a_heading_of_its_document(doc):
    path = REPO / "docs" / doc
    assert path.is_file(), f"docs/{doc} is cited but does not exist"
    headings = _headings(path)
    dangling = [
        f"{where}: docs/{doc} §{section}"
        for where, cited_doc, sections in REFERENCES
        if cited_doc == doc
        for section in sections
        if section not in headings
    ]
    assert dangling == []


def test_nothing_cites_the_external_specification():
    stale = re.compile(r"\bspec(?: sections?)? \d+\.\d|maelstrom-spec")
    offenders = [
        str(path.relative_to(REPO))
        for path in _files()
        if path.suffix != ".md" and stale.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
