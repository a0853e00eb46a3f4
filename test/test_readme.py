"""The README documents every node parameter exactly as the nodes declare it."""

from pathlib import Path

from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.parameters import markdown_table
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / 'README.md').read_text()


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
