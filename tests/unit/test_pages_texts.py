"""The pages name every criterion and rule path the registered rules use, in both
languages (chalicelib/pages/assets/rule-texts.js), so no reviewer or seller reads a code."""

import re

from chalicelib.domain.rules import assess
from chalicelib.domain.scenario import dry_run_case, rules_by_reason
from chalicelib.domain.scenarios import REGISTRY
from tests.conftest import ROOT

TEXTS = (ROOT / "chalicelib" / "pages" / "assets" / "rule-texts.js").read_text()


def _keys(language: str) -> set[str]:
    block = re.search(rf"^  {language}: {{\n(.*?)^  }},", TEXTS, re.M | re.S)
    assert block is not None, language
    return set(re.findall(r"^    '([a-z_.0-9]+)': '[^']+',$", block.group(1), re.M))


def _used() -> set[str]:
    names: set[str] = set()
    for scenario in REGISTRY:
        for reason, rule in rules_by_reason(scenario):
            names |= {f"path.{path.name}" for path in rule.paths}
            result = assess(rule, dry_run_case(scenario.code, reason, rule))
            names |= {f"criterion.{c.name}" for c in result.criteria}
    return names


def test_every_criterion_and_rule_path_has_words_in_both_languages() -> None:
    used = _used()
    assert any(n.startswith("criterion.") for n in used) and any(
        n.startswith("path.") for n in used
    )
    for language in ("zh", "en"):
        assert used - _keys(language) == set(), language
