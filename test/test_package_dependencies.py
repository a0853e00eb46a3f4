"""package.xml names a rosdep key for every module the installed code imports.

``rosdep install`` on a Jetson installs exactly what package.xml declares: a module
imported by the nodes, tools or launch file without its key fails there at run time.
"""

import ast
from pathlib import Path
import sys
import xml.etree.ElementTree as ElementTree

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTALLED_CODE = [REPO_ROOT / 'src' / 'digit_recognition', REPO_ROOT / 'launch']
NOT_ROS_KEYS = {'cv2': 'python3-opencv', 'numpy': 'python3-numpy', 'yaml': 'python3-yaml',
                'psutil': 'python3-psutil', 'matplotlib': 'python3-matplotlib',
                'h5py': 'python3-h5py', 'PIL': 'python3-pil'}
"""Top-level module -> rosdep key, where they differ (ROS packages are their own key)."""
NO_ROSDEP_KEY = {'tensorflow', 'keras', 'ai_edge_litert'}
"""Installed with pip instead (README, "On a Jetson"; scripts/bootstrap.sh)."""


def package_dependencies(kind: str) -> set:
    """Return the keys of one dependency kind (``exec_depend``, ...) in package.xml."""
    root = ElementTree.parse(REPO_ROOT / 'package.xml').getroot()
    return {element.text.strip() for element in root.iter(kind)}


def imported_top_level_modules() -> set:
    """Return every non-standard top-level module the installed code imports."""
    names = set()
    for folder in INSTALLED_CODE:
        for path in folder.rglob('*.py'):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split('.')[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split('.')[0])
    return {name for name in names if name not in sys.stdlib_module_names
            and name != 'digit_recognition'}


@pytest.mark.parametrize('module', sorted(imported_top_level_modules()))
def test_every_imported_module_has_an_exec_depend(module):
    if module in NO_ROSDEP_KEY:
        readme = (REPO_ROOT / 'README.md').read_text()
        assert module.replace('_', '-') in readme or module in readme, \
            f'{module} has no rosdep key: the README must say how to install it'
        return
    assert NOT_ROS_KEYS.get(module, module) in package_dependencies('exec_depend')


def test_every_exec_depend_is_used():
    keys = {NOT_ROS_KEYS.get(module, module) for module in imported_top_level_modules()}
    # rqt_image_view is started (not imported) by the launch file's rqt:=true.
    assert package_dependencies('exec_depend') - keys == {'rqt_image_view'}


def test_test_depends_are_used():
    sources = '\n'.join(path.read_text() for path in (REPO_ROOT / 'test').rglob('*.py'))
    for key in package_dependencies('test_depend'):
        module = {'python3-pytest': 'pytest', 'python3-yaml': 'yaml'}.get(key, key)
        assert f'import {module}' in sources or f'from {module}' in sources, key


def requirement_names(path: Path) -> set:
    """Return the package names a requirements file lists (without versions)."""
    lines = path.read_text().splitlines()
    return {line.split('==')[0].strip() for line in lines
            if line.strip() and not line.lstrip().startswith('#')}


def test_jazzy_requirements_have_every_ros_package_of_the_kilted_ones():
    kilted = {name[len('ros-'):] for name in requirement_names(REPO_ROOT / 'requirements.txt')
              if name.startswith('ros-')}
    jazzy = {name[len('ros-jazzy-'):]
             for name in requirement_names(REPO_ROOT / 'requirements-jazzy.txt')}
    # ament_cmake_ros_core is kilted's split of ament_cmake_ros; jazzy has no such wheel.
    assert kilted - jazzy == {'ament-cmake-ros-core'}
