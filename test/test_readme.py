"""The README documents every node parameter exactly as the nodes declare it."""

from pathlib import Path

from digit_recognition.nodes import camera_node, classifier_node, overlay_node, preprocessor_node
from digit_recognition.nodes.parameters import markdown_table
import pytest

README = (Path(__file__).resolve().parents[1] / 'README.md').read_text()


@pytest.mark.parametrize('module', [camera_node, preprocessor_node, classifier_node,
                                    overlay_node])
def test_readme_has_the_parameter_table_of(module):
    table = markdown_table(module.PARAMETERS)
    assert table in README, (
        f'README.md is out of date; the table of {module.__name__} is now:\n{table}')


def test_readme_names_the_two_commands():
    assert 'make demo' in README
    assert 'make test' in README
