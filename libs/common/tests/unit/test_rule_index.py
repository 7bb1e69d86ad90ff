"""The rule index (``zhicheng rules``): its data, the scan of a tree, and the check ``make lint`` runs.

The fake trees spell their unknown ids from pieces (``"EL-" + "99"``), so that this file itself
names no unknown id when the real repository is scanned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhicheng_common.cli import app
from zhicheng_common.policy import KNOWN_RULE_IDS
from zhicheng_common.rules import DOCS_PATH, RuleIndexError, check, load_rule_index, parse_index, render, scan

ROOT = Path(__file__).resolve().parents[4]
UNKNOWN = "EL-" + "99"
UNKNOWN_IN_A_NAME = "EL_" + "98"
MADE_UP = "EL-" + "77"

SMALL_INDEX = """
sources:
  YC24: Yuncheng notice 2024
families:
  EL: Eligibility
rules:
  EL-6:
    statement: An exceptional applicant needs an excellent year.
    sources: [YC24 三(三)]
  EL-5:
    statement: The last or this year's assessment is qualified.
    sources: [YC24 三(三)]
not_rules:
  MADE_UP: a made-up id a test uses on purpose
""".replace("MADE_UP", MADE_UP)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _good_tree(root: Path) -> Path:
    return _tree(
        root,
        {
            "services/intake/src/zhicheng_intake/domain.py": 'RULE = "EL-6"  # exceptional needs excellent\n',
            "services/intake/tests/unit/test_domain.py": (
                "def test_EL_6_exceptional_needs_an_excellent() -> None:\n"
                "    assert True\n\n\n"
                "def test_the_assessment_counts() -> None:\n"
                '    """EL-5: this year or the last."""\n'
                "    assert True\n\n\n"
                "def test_a_made_up_id_is_refused() -> None:\n"
                f'    assert "{MADE_UP}"\n'
            ),
            "libs/common/src/zhicheng_common/policies/pack.yaml": "x: {value: 1, rule: EL-5}\n",
            # Not scanned: outside the code and test roots, and third-party folders.
            "docs/notes.md": "EL-4 is discussed here\n",
            ".venv/lib/site.py": 'X = "EL-3"\n',
        },
    )


def test_the_packaged_index_has_every_rule_once_with_a_statement_and_a_source() -> None:
    index = load_rule_index()
    # CH 4, EL 20, ED 1, RV 6, CM 11, EX 6, MT 5, IN 3, CE 3, DA 3, NA 18: counted by hand.
    assert len(index.rules) == 80
    assert {"CH-1", "EL-20", "ED-1", "RV-6", "CM-11", "EX-6", "MT-5", "IN-3", "CE-3", "DA-3", "NA-18"} <= index.ids
    assert "NA-" + "19" not in index.ids
    assert all(rule.statement and rule.sources for rule in index.rules.values())
    assert list(index.rules)[:5] == ["CH-1", "CH-2", "CH-3", "CH-4", "EL-1"]


def test_policy_packs_accept_exactly_the_indexed_ids() -> None:
    assert load_rule_index().ids == KNOWN_RULE_IDS


def test_scan_splits_code_from_tests_and_reads_test_names_and_docstrings(tmp_path: Path) -> None:
    index = parse_index(SMALL_INDEX)
    mentions = scan(_good_tree(tmp_path), index)
    assert mentions.code == {
        "EL-6": {"services/intake/src/zhicheng_intake/domain.py"},
        "EL-5": {"libs/common/src/zhicheng_common/policies/pack.yaml"},
    }
    assert mentions.tests == {
        "EL-6": {"services/intake/tests/unit/test_domain.py::test_EL_6_exceptional_needs_an_excellent"},
        "EL-5": {"services/intake/tests/unit/test_domain.py::test_the_assessment_counts"},
    }


def test_a_tree_naming_only_indexed_ids_and_declared_non_rules_passes(tmp_path: Path) -> None:
    index = parse_index(SMALL_INDEX)
    root = _good_tree(tmp_path)
    (root / DOCS_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / DOCS_PATH).write_text(render(index, scan(root, index)), encoding="utf-8")
    result = check(root, DOCS_PATH, index)
    assert result.unknown == {}
    assert not result.stale
    assert result.ok


def test_an_unknown_id_in_code_fails_naming_the_file(tmp_path: Path) -> None:
    index = parse_index(SMALL_INDEX)
    root = _good_tree(tmp_path)
    _tree(root, {"services/review/src/zhicheng_review/domain.py": f'refuse(rule="{UNKNOWN}")\n'})
    result = check(root, DOCS_PATH, index)
    assert result.unknown == {UNKNOWN: {"services/review/src/zhicheng_review/domain.py"}}
    assert not result.ok


def test_an_unknown_id_in_a_test_name_fails_naming_the_test(tmp_path: Path) -> None:
    index = parse_index(SMALL_INDEX)
    root = _good_tree(tmp_path)
    test_file = f"def test_{UNKNOWN_IN_A_NAME}_something() -> None:\n    assert True\n"
    _tree(root, {"services/review/tests/unit/test_new.py": test_file})
    result = check(root, DOCS_PATH, index)
    assert result.unknown == {
        UNKNOWN_IN_A_NAME.replace("_", "-"): {
            f"services/review/tests/unit/test_new.py::test_{UNKNOWN_IN_A_NAME}_something"
        }
    }


def test_a_stale_or_missing_rendering_fails(tmp_path: Path) -> None:
    index = parse_index(SMALL_INDEX)
    root = _good_tree(tmp_path)
    assert check(root, DOCS_PATH, index).stale  # missing
    (root / DOCS_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / DOCS_PATH).write_text(render(index, scan(root, index)), encoding="utf-8")
    # A new test naming a rule changes the rendering: the committed file is then stale.
    _tree(root, {"services/intake/tests/unit/test_more.py": "def test_EL_5_again() -> None:\n    assert True\n"})
    result = check(root, DOCS_PATH, index)
    assert result.stale
    assert result.unknown == {}


def test_the_rendering_lists_statement_source_code_and_tests(tmp_path: Path) -> None:
    index = parse_index(SMALL_INDEX)
    text = render(index, scan(_good_tree(tmp_path), index))
    section = text[text.index("### EL-6") : text.index("## Ids that are no rule")]
    assert section == (
        "### EL-6\n\n"
        "An exceptional applicant needs an excellent year.\n\n"
        "- source: YC24 三(三)\n"
        "- code: `services/intake/src/zhicheng_intake/domain.py`\n"
        "- tests:\n"
        "  - `services/intake/tests/unit/test_domain.py::test_EL_6_exceptional_needs_an_excellent`\n\n"
    )
    # Sorted by family then number, whatever the order in the file.
    assert text.index("### EL-5") < text.index("### EL-6")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("    statement: ''\n", "EL-6: the statement must be one line"),
        ("    sources: [XX99 一]\n", "EL-6: unknown source 'XX99 一'"),
        ("    sources: []\n", "EL-6: no source document"),
    ],
)
def test_an_index_with_a_broken_entry_is_refused(broken: str, message: str) -> None:
    key = broken.split(":")[0]
    lines = SMALL_INDEX.splitlines(keepends=True)
    start = lines.index("  EL-6:\n")
    replaced = next(i for i in range(start, len(lines)) if lines[i].startswith(key + ":"))
    lines[replaced] = broken
    with pytest.raises(RuleIndexError) as caught:
        parse_index("".join(lines))
    assert message in str(caught.value)


def test_the_command_fails_on_an_unknown_id_and_writes_then_passes(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"services/intake/src/zhicheng_intake/domain.py": 'RULE = "EL-6"\n'})
    runner = CliRunner()
    written = runner.invoke(app, ["rules", "--root", str(root), "--write", str(DOCS_PATH)])
    assert written.exit_code == 0, written.output
    passed = runner.invoke(app, ["rules", "--root", str(root), "--check"])
    assert passed.exit_code == 0, passed.output
    _tree(root, {"services/intake/src/zhicheng_intake/other.py": f'RULE = "{UNKNOWN}"\n'})
    failed = runner.invoke(app, ["rules", "--root", str(root), "--check"])
    assert failed.exit_code == 1
    assert f"{UNKNOWN} is not in the rule index" in failed.output
    assert "services/intake/src/zhicheng_intake/other.py" in failed.output


def test_the_repository_names_no_unknown_id_and_docs_rules_md_is_fresh() -> None:
    result = check(ROOT, DOCS_PATH)
    assert result.unknown == {}
    assert not result.stale, "run `zhicheng rules --write docs/rules.md` and commit it"
