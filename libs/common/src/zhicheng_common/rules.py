"""The rule index (规则索引): every policy rule id, what it says, where it comes from, and where the
code and the tests name it.

The statements and sources are data (``catalogs/rules.yaml``); the rest is read from the tree:
a rule id in a source file or policy pack is code that enforces or parameterizes the rule, a test
function whose name holds the id (``test_XX_6_...``) or whose docstring states it names the rule.
``zhicheng rules --write docs/rules.md`` renders the index; ``zhicheng rules --check`` (run by
``make lint``) fails when code or a test names an id the index does not have, or when the
rendered file is stale.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

INDEX_RESOURCE = "catalogs/rules.yaml"
DOCS_PATH = Path("docs/rules.md")

# Where code and tests live, relative to the repository root. Everything below a ``tests`` folder
# is a test; the rest is code. Generated and third-party folders are skipped.
SCANNED_ROOTS = ("libs", "services", "tests", "bench")
SCANNED_SUFFIXES = (".py", ".yaml", ".yml")
SKIPPED_PARTS = frozenset({".venv", ".tools", ".zhicheng", "__pycache__", ".mypy_cache", ".ruff_cache", "node_modules"})


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    statement: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RuleIndex:
    """The data of ``catalogs/rules.yaml``, checked for shape."""

    sources: dict[str, str]
    families: dict[str, str]
    rules: dict[str, Rule]
    not_rules: dict[str, str]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self.rules)


class RuleIndexError(ValueError):
    pass


def _rule_sort_key(rule_id: str, families: list[str]) -> tuple[int, int]:
    family, _, number = rule_id.partition("-")
    return (families.index(family), int(number))


def parse_index(text: str) -> RuleIndex:
    """Read and check an index document: ids as ``XX-n`` in a declared family, known sources."""
    data: dict[str, Any] = yaml.safe_load(text)
    sources = {str(k): str(v) for k, v in data["sources"].items()}
    families = {str(k): str(v) for k, v in data["families"].items()}
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for rule_id, body in data["rules"].items():
        family, _, number = str(rule_id).partition("-")
        if family not in families or not number.isdigit():
            problems.append(f"{rule_id}: not an id of a declared family")
            continue
        statement = str(body.get("statement", "")).strip()
        if not statement or "\n" in statement:
            problems.append(f"{rule_id}: the statement must be one line")
        cited = tuple(str(s) for s in body.get("sources", []))
        if not cited:
            problems.append(f"{rule_id}: no source document")
        problems.extend(f"{rule_id}: unknown source {s!r}" for s in cited if s.split(" ")[0] not in sources)
        rules[str(rule_id)] = Rule(id=str(rule_id), family=family, statement=statement, sources=cited)
    not_rules = {str(k): str(v) for k, v in (data.get("not_rules") or {}).items()}
    problems.extend(f"{k}: listed both as a rule and as no rule" for k in not_rules if k in rules)
    if problems:
        raise RuleIndexError("; ".join(problems))
    order = list(families)
    ordered = dict(sorted(rules.items(), key=lambda item: _rule_sort_key(item[0], order)))
    return RuleIndex(sources=sources, families=families, rules=ordered, not_rules=not_rules)


@cache
def load_rule_index() -> RuleIndex:
    """The packaged index."""
    return parse_index(resources.files("zhicheng_common").joinpath(INDEX_RESOURCE).read_text(encoding="utf-8"))


def id_pattern(families: Iterable[str]) -> re.Pattern[str]:
    """``XX-6`` as written in prose and data (not inside a longer word or number)."""
    alternatives = "|".join(sorted(families))
    return re.compile(rf"(?<![A-Za-z0-9_-])(?:{alternatives})-\d+(?![0-9])")


def named_in_test_pattern(families: Iterable[str]) -> re.Pattern[str]:
    """``XX_6`` inside a test function's name (``test_XX_6_exceptional_...``)."""
    alternatives = "|".join(sorted(families))
    return re.compile(rf"(?<![A-Za-z0-9])({alternatives})_(\d+)(?![0-9])")


@dataclass
class Mentions:
    """Where each id stands in the tree: code files, and tests (``path::function``)."""

    code: dict[str, set[str]] = field(default_factory=dict)
    tests: dict[str, set[str]] = field(default_factory=dict)
    # id -> places, for every id found (known or not), to report unknown ones with a location
    places: dict[str, set[str]] = field(default_factory=dict)


# The index itself names every id; it is the data, not a use.
INDEX_PATH = Path("libs/common/src/zhicheng_common") / INDEX_RESOURCE


def _files(root: Path, exclude: Iterable[Path]) -> Iterator[Path]:
    skipped = {path.resolve() for path in exclude} | {(root / INDEX_PATH).resolve()}
    for top in SCANNED_ROOTS:
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in SCANNED_SUFFIXES or not path.is_file():
                continue
            if SKIPPED_PARTS.intersection(path.relative_to(root).parts) or path.resolve() in skipped:
                continue
            yield path


def _is_test(relative: Path) -> bool:
    return "tests" in relative.parts


def _test_functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            yield node


def scan(root: Path, index: RuleIndex, *, exclude: Iterable[Path] = ()) -> Mentions:
    """Every mention of a rule id under ``root`` (the repository), split into code and tests."""
    prose = id_pattern(index.families)
    named = named_in_test_pattern(index.families)
    found = Mentions()
    for path in _files(root, exclude):
        relative = path.relative_to(root)
        where = relative.as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        ids_in_text = set(prose.findall(text))
        for rule_id in ids_in_text:
            found.places.setdefault(rule_id, set()).add(where)
        if not _is_test(relative):
            for rule_id in ids_in_text:
                found.code.setdefault(rule_id, set()).add(where)
            continue
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for function in _test_functions(tree):
            ids = {f"{family}-{number}" for family, number in named.findall(function.name)}
            ids |= set(prose.findall(ast.get_docstring(function) or ""))
            for rule_id in ids:
                found.tests.setdefault(rule_id, set()).add(f"{where}::{function.name}")
                found.places.setdefault(rule_id, set()).add(f"{where}::{function.name}")
    return found


def unknown_ids(index: RuleIndex, mentions: Mentions) -> dict[str, set[str]]:
    """Ids named in code or tests that are neither in the index nor declared as no rule."""
    return {
        rule_id: places
        for rule_id, places in sorted(mentions.places.items())
        if rule_id not in index.rules and rule_id not in index.not_rules
    }


def render(index: RuleIndex, mentions: Mentions) -> str:
    """The Markdown of ``docs/rules.md``."""
    lines = [
        "# Rule index",
        "",
        "<!-- Generated by `zhicheng rules --write docs/rules.md` from",
        "     libs/common/src/zhicheng_common/catalogs/rules.yaml and the code; do not edit by hand. -->",
        "",
        "Every policy rule the platform knows, by id: a one-line statement (a paraphrase for finding",
        "one's way, not the policy text), the documents it comes from, the code that names it (source",
        "files and policy packs) and the tests that name it (in their name or docstring). The numbers",
        "of the rules are parameters of the policy packs (`docs/policy-packs.md`). `make lint` fails",
        "when code or a test names an id missing here, or when this file is stale.",
        "",
        "## Sources",
        "",
        "| short | document |",
        "|---|---|",
        *(f"| {short} | {document} |" for short, document in index.sources.items()),
        "",
    ]
    named = sum(1 for rule_id in index.rules if rule_id in mentions.code or rule_id in mentions.tests)
    lines += [f"{len(index.rules)} rules; {named} named by code or tests.", ""]
    for family, title in index.families.items():
        rules = [rule for rule in index.rules.values() if rule.family == family]
        if not rules:
            continue
        lines += [f"## {family}: {title}", ""]
        for rule in rules:
            lines += [f"### {rule.id}", "", rule.statement, "", f"- source: {'; '.join(rule.sources)}"]
            code = sorted(mentions.code.get(rule.id, ()))
            tests = sorted(mentions.tests.get(rule.id, ()))
            lines.append(f"- code: {', '.join(f'`{c}`' for c in code)}" if code else "- code: none yet")
            if tests:
                lines.append("- tests:")
                lines += [f"  - `{t}`" for t in tests]
            else:
                lines.append("- tests: none yet")
            lines.append("")
    if index.not_rules:
        lines += ["## Ids that are no rule", ""]
        lines += [f"- {rule_id}: {why}" for rule_id, why in index.not_rules.items()]
        lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class CheckResult:
    unknown: dict[str, set[str]]
    stale: bool

    @property
    def ok(self) -> bool:
        return not self.unknown and not self.stale


def check(root: Path, docs: Path, index: RuleIndex | None = None) -> CheckResult:
    """Unknown ids under ``root`` and whether ``docs`` (relative to ``root``) differs from a fresh render."""
    index = index or load_rule_index()
    target = root / docs
    mentions = scan(root, index, exclude=[target])
    expected = render(index, mentions)
    stale = not target.is_file() or target.read_text(encoding="utf-8") != expected
    return CheckResult(unknown=unknown_ids(index, mentions), stale=stale)
