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

from ament_flake8.main import main_with_errors
import pytest

# build/, install/ and log/ live in this folder too (the repository is the workspace).
LINTED_PATHS = ['src/digit_recognition', 'test', 'launch', 'scripts', 'setup.py']


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8():
    rc, errors = main_with_errors(argv=LINTED_PATHS)
    assert rc == 0, \
        f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)
