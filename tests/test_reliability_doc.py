"""docs/reliability.md names, for each promise, the test that proves it: every test it names exists."""

import re

from conftest import ROOT

DOC = ROOT / "docs" / "reliability.md"


def named_tests() -> list[tuple[str, str]]:
    """(file, test) pairs the doc names: `tests/f.py::test_x`, then `::test_y` on the same line is in f.py too."""
    pairs = []
    for line in DOC.read_text().splitlines():
        current = None
        for match in re.finditer(r"`(tests/\w+\.py)?::(\w+)`", line):
            current = match.group(1) or current
            if current and current != "tests/FILE.py":
                pairs.append((current, match.group(2)))
    return pairs


def test_every_test_the_reliability_doc_names_exists():
    pairs = named_tests()
    assert len(pairs) > 60
    missing = [f"{file}::{name}" for file, name in pairs
               if not re.search(rf"^def {name}\(", (ROOT / file).read_text(), re.MULTILINE)]
    assert not missing, missing
