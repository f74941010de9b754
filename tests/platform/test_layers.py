"""The layer contracts (pyproject.toml) are run by bin/test; this shows they have teeth: a copy
of the tree whose platform layer imports an app, or whose service imports a view, fails."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT = ROOT / ".venv" / "bin" / "lint-imports"


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for name in ("pmo_platform", "accounts", "assessments", "reports"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tree_keeps_its_layers(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("pmo_platform/cache.py", "from accounts.selectors import firm_by_id", "one way"),
        ("accounts/selectors.py", "import assessments.models", "one way"),
        ("assessments/scoring.py", "from reports import models", "one way"),
        ("reports/selectors.py", "import reports.views", "never import views"),
    ],
)
def test_an_import_against_the_layers_fails(tmp_path, module, line, broken):
    tree = _copy(tmp_path)
    with (tree / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    broken_lines = [row for row in result.stdout.splitlines() if row.endswith(" BROKEN")]
    assert len(broken_lines) == 1 and broken in broken_lines[0], result.stdout
