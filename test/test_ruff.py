"""Python 3.10 compatibility (the Jetson's Python) and common bugs, checked by ruff."""

from pathlib import Path
import shutil
import subprocess

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.linter
def test_ruff_py310():
    ruff = shutil.which('ruff')
    if ruff is None:
        pytest.skip('ruff is not installed (it is in requirements.txt)')
    result = subprocess.run(
        [ruff, 'check', '--no-cache', 'src', 'test', 'launch', 'scripts', 'setup.py'],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
