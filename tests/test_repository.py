"""The checkout stands alone: nothing tracked leans on files beside it, and the README stays short."""

import re
import subprocess

import pytest
from conftest import ROOT

# What only CI and developers have beside their checkout: the folder by name, or a Python path to it.
OUTSIDE = re.compile(rb"\.\./shared\b|\.parent\s*/\s*[\"']shared[\"']")
MAY_NAME_OUTSIDE = {".ci/run"}  # CI's script, which hands what it finds there to the tests
README_MAX_LINES = 300


def tracked_files() -> list[str]:
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("git is not installed, so the tracked files are unknown")
    if done.returncode != 0:
        pytest.skip(f"not a git checkout, so the tracked files are unknown: {done.stderr.decode().strip()}")
    return [name for name in done.stdout.decode().split("\0") if name]


def test_no_tracked_file_but_ci_names_the_folder_beside_the_checkout():
    offenders = []
    for name in tracked_files():
        path = ROOT / name
        if name in MAY_NAME_OUTSIDE or not path.is_file():  # not a file: deleted but not yet committed
            continue
        if OUTSIDE.search(path.read_bytes()):
            offenders.append(name)
    allowed = ", ".join(sorted(MAY_NAME_OUTSIDE))
    assert not offenders, f"tracked files that name the folder beside the checkout (only {allowed} may): {offenders}"


def test_readme_stays_at_most_300_lines():
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; keep it to {README_MAX_LINES} (detail: docs/)"
