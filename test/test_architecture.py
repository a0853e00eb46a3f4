"""The package's layers depend one way: tools -> nodes -> vision, and vision knows no ROS."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'src' / 'digit_recognition'

# What each layer may not import (by top-level module or digit_recognition sub-package).
FORBIDDEN = {
    'vision': ('rclpy', 'rcl_interfaces', 'sensor_msgs', 'std_msgs', 'builtin_interfaces',
               'diagnostic_msgs', 'digit_interfaces', 'cv_bridge',
               'digit_recognition.nodes', 'digit_recognition.tools'),
    'nodes': ('digit_recognition.tools',),
}


def imported_modules(path: Path) -> set:
    """Return every module name ``path`` imports, at any depth (function-level too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f'{node.module}.{alias.name}' for alias in node.names)
    return names


def _layer_modules():
    for layer, forbidden in FORBIDDEN.items():
        for path in sorted((PACKAGE / layer).glob('*.py')):
            yield pytest.param(path, forbidden, id=f'{layer}/{path.name}')


@pytest.mark.parametrize('path, forbidden', list(_layer_modules()))
def test_layer_imports_only_what_it_may(path, forbidden):
    wrong = sorted(name for name in imported_modules(path)
                   if any(name == bad or name.startswith(bad + '.') for bad in forbidden))
    assert not wrong, f'{path.relative_to(PACKAGE)} imports {wrong}'


def test_checker_sees_a_forbidden_import(tmp_path):
    module = tmp_path / 'sneaky.py'
    module.write_text('def f():\n    from rclpy.node import Node\n    return Node\n')
    assert 'rclpy.node' in imported_modules(module)


def test_every_module_belongs_to_a_layer():
    top_level = sorted(p.name for p in PACKAGE.glob('*.py') if p.name != '__init__.py')
    assert top_level == [], f'modules outside vision/, nodes/, tools/: {top_level}'


def _readme_architecture() -> str:
    readme = (PACKAGE.parents[1] / 'README.md').read_text()
    return readme.split('## Architecture', 1)[1].split('\n## ', 1)[0]


def test_readme_architecture_names_every_module():
    section = _readme_architecture()
    missing = [f'{path.parent.name}/{path.name}'
               for layer in ('vision', 'nodes', 'tools')
               for path in sorted((PACKAGE / layer).glob('*.py'))
               if path.name != '__init__.py' and path.name not in section]
    assert not missing, f'README "Architecture" does not list {missing}'


def test_readme_architecture_names_no_module_that_is_gone():
    repo = PACKAGE.parents[1]
    named = {word.strip(',') for word in _readme_architecture().split()
             if word.strip(',').endswith('.py') and len(word.strip(',')) > 3 and '/' not in word}
    present = {path.name for path in repo.glob('*.py')}
    present |= {path.name for folder in (PACKAGE, repo / 'test', repo / 'scripts')
                for path in folder.rglob('*.py')}
    assert named - present == set()
