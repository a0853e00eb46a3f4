"""``ros2 run digit_recognition pipeline`` options become the right parameter overrides."""

from digit_recognition.nodes.pipeline import overrides_from_arguments, parse_arguments


def overrides(*argv):
    return overrides_from_arguments(parse_arguments(list(argv)))


def test_no_options_override_nothing():
    assert overrides() == {'camera': {}, 'preprocessor': {}, 'classifier': {}}


def test_source_and_backend():
    result = overrides('--source', 'demo', '--backend', 'keras')
    assert result['camera'] == {'source': 'demo'}
    assert result['classifier'] == {'backend': 'keras'}


def test_a_threshold_alone_means_the_fixed_mode():
    assert overrides('--threshold', '90')['preprocessor'] == {
        'threshold': 90, 'threshold_mode': 'fixed'}


def test_an_explicit_mode_wins():
    assert overrides('--threshold', '90', '--threshold-mode', 'otsu')['preprocessor'] == {
        'threshold': 90, 'threshold_mode': 'otsu'}
