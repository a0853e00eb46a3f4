"""The Jetson's Python is 3.10 (Ubuntu 22.04, ROS 2 Humble): nothing here may need a newer one.

ruff (``target-version = "py310"``, test_ruff.py) checks syntax and idioms; a module or a
function that only a newer standard library has (``tomllib``, ``datetime.UTC``,
``enum.StrEnum``) passes it and fails on the robot at import. vermin knows which version
each of them arrived in.
"""

from pathlib import Path
import shutil
import subprocess

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECKED = ['src', 'test', 'launch', 'scripts', 'setup.py']


def _vermin(*paths: str, cwd: Path) -> subprocess.CompletedProcess:
    vermin = shutil.which('vermin')
    if vermin is None:
        pytest.skip('vermin is not installed (it is in requirements.txt)')
    # --eval-annotations: without `from __future__ import annotations`, Python 3.10
    # evaluates annotations when it defines the function, so they count too.
    return subprocess.run(
        [vermin, '--no-tips', '--target=3.10-', '--violations', '--eval-annotations', *paths],
        cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.linter
def test_nothing_needs_a_python_newer_than_310():
    result = _vermin(*CHECKED, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.linter
def test_the_check_finds_what_python_310_lacks(tmp_path):
    """The check itself works: standard library of 3.11 is reported, file and name."""
    (tmp_path / 'newer.py').write_text(
        'import datetime\nimport tomllib\n\n'
        'EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)\n')
    result = _vermin('newer.py', cwd=tmp_path)
    assert result.returncode != 0, result.stdout
    assert 'newer.py' in result.stdout
    assert "'tomllib' module requires" in result.stdout, result.stdout
    assert "'datetime.UTC' member requires" in result.stdout, result.stdout
