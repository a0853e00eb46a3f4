# Copyright 2026 digit_recognition maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

from ament_pep257.main import main
import pytest

# The package documents its API with Google-style docstrings (Args:/Returns:/Raises:),
# so pydocstyle's google convention replaces ament's default, which expects the
# summary on the second line and numpy-style section underlines. Every public module,
# class and function of the package needs a docstring; test functions do not.


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257_package():
    rc = main(argv=['src/digit_recognition', 'launch', 'scripts', '--convention', 'google'])
    assert rc == 0, 'Found code style errors / warnings'


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257_tests():
    rc = main(argv=['test', '--convention', 'google',
                    '--add-ignore', 'D100', 'D101', 'D102', 'D103', 'D104'])
    assert rc == 0, 'Found code style errors / warnings'
