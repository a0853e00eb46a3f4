"""The README documents every node parameter as the nodes declare it, and files that exist."""

import importlib
from pathlib import Path
import re

import digit_recognition
from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.parameters import markdown_table
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / 'README.md').read_text()
DOCUMENTS = [REPO_ROOT / 'README.md', *sorted((REPO_ROOT / 'doc').glob('*.md'))]
REPOSITORY_PATH = re.compile(
    r'`((?:\.ci|config|doc|fonts|launch|resource|scripts|src|test)/[^`\s]*)`')
"""A path in the repository, as the documents name one in backticks."""
FILE_SUFFIXES = {'json', 'keras', 'md', 'png', 'py', 'tflite', 'txt', 'yaml'}
"""Endings of file names that look like ``module.name`` (``field.md``)."""


@pytest.mark.parametrize('module', [camera_node, preprocessor_node, classifier_node,
                                    overlay_node])
def test_readme_has_the_parameter_table_of(module):
    table = markdown_table(module.PARAMETERS)
    assert table in README, (
        f'README.md is out of date; the table of {module.__name__} is now:\n{table}')


def _two_commands() -> dict:
    """Map each make target of the README's "Two commands" block to its comment."""
    section = README.split('## Two commands on a fresh machine', 1)[1]
    block = section.split('```sh\n', 1)[1].split('```', 1)[0]
    commands = {}
    for line in block.splitlines():
        command, _, comment = line.partition('#')
        commands[command.strip()] = comment.strip()
    return commands


def _make_prerequisites(target: str) -> list:
    """Return the prerequisites of ``target`` in the Makefile, or fail if it has none."""
    for line in (REPO_ROOT / 'Makefile').read_text().splitlines():
        if line.startswith(f'{target}:'):
            return line.split(':', 1)[1].split()
    pytest.fail(f'the Makefile has no target {target!r}')


def test_ci_runs_exactly_the_readme_test_command():
    commands = _two_commands()
    assert len(commands) == 2, commands
    test_command = next(c for c, comment in commands.items() if 'test suite' in comment)
    ci_lines = [line.strip() for line in (REPO_ROOT / '.ci' / 'run').read_text().splitlines()
                if line.strip() and not line.lstrip().startswith('#')
                and not line.startswith(('set ', 'cd '))]
    assert ci_lines == [test_command]


def _sets_up_first(target: str) -> bool:
    """Whether ``make target`` runs the bootstrap before anything else it does."""
    makefile = (REPO_ROOT / 'Makefile').read_text()
    first_step = makefile.split(f'\n{target}:', 1)[1].split('\n')[1].strip()
    if '$(MAKE)' in first_step:  # a target that runs other targets
        return all(_sets_up_first(name) for name in first_step.split('$(MAKE)')[1].split())
    return 'setup' in _make_prerequisites(target) or first_step.startswith(
        ('scripts/bootstrap.sh', 'DIGIT_ROS=jazzy scripts/bootstrap.sh'))


@pytest.mark.parametrize('command', ['make demo', 'make check'])
def test_each_readme_command_sets_up_first(command):
    assert command in _two_commands()
    assert _sets_up_first(command.split()[1]), f'{command} does not set up the environment'


def test_the_files_the_documents_name_are_there():
    """Check: every repository path README.md and doc/ name in backticks exists (globs match).

    Tests and modules move; a README that sends a reader to a file that is gone is out of
    date. What the bootstrap installs (``fonts/node_modules``) is left out.
    """
    named = {(document.name, path) for document in DOCUMENTS
             for path in REPOSITORY_PATH.findall(document.read_text())}
    assert len(named) >= 10, f'the pattern finds only {sorted(named)}: is it out of date?'
    missing = sorted((name, path) for name, path in named
                     if not path.startswith('fonts/node_modules')
                     and not any(REPO_ROOT.glob(path.rstrip('/'))))
    assert not missing, f'paths named but not there: {missing}'


def test_the_functions_the_documents_name_are_there():
    """Check: every ``module.name`` of this package that README.md names exists.

    The README names functions by their module (``node_runner.run_nodes``); renamed or
    moved, the name would send the reader nowhere. (The logs in doc/ are dated records
    of what was there then.)
    """
    package = Path(digit_recognition.__file__).parent
    modules = {path.stem: f'digit_recognition.{path.parent.name}.{path.stem}'
               for path in package.glob('*/*.py') if path.stem != '__init__'}
    named = {match for match in re.findall(r'`([a-z_]+(?:\.[A-Za-z_]\w*)+)`', README)
             if match.split('.')[0] in modules and match.split('.')[-1] not in FILE_SUFFIXES}
    assert len(named) >= 5, f'the pattern finds only {sorted(named)}: is it out of date?'
    missing = []
    for dotted in sorted(named):
        module_name, *attributes = dotted.split('.')
        target = importlib.import_module(modules[module_name])
        for attribute in attributes:
            if not hasattr(target, attribute):
                missing.append(dotted)
                break
            target = getattr(target, attribute)
    assert not missing, f'README.md names what is not there: {missing}'
