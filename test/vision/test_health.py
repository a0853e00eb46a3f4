"""Health levels from a node's frame counts: the thresholds the README documents."""

from digit_recognition.vision.health import (
    DROPPED_WARN_SHARE, FlowMonitor, Level, NO_INPUT_ERROR_S)


class ManualClock:
    """A clock the test moves by hand (the monitor's only time source)."""

    now = 100.0


def monitor_with_clock():
    clock = ManualClock()
    return FlowMonitor('image_raw', clock=lambda: clock.now), clock


def test_no_input_yet_is_an_error_unless_idle_on_purpose():
    monitor, _ = monitor_with_clock()
    report = monitor.report()
    assert report.level is Level.ERROR
    assert 'no image_raw received yet' in report.message
    assert report.values['seconds since last input'] == 'never'
    idle = monitor.report(idle='nobody subscribes to overlay')
    assert idle.level is Level.OK
    assert idle.message == 'idle: nobody subscribes to overlay'


def test_frames_flowing_are_ok_with_their_rates():
    monitor, clock = monitor_with_clock()
    monitor.report()
    for _ in range(30):
        clock.now += 1.0 / 30
        monitor.received()
        monitor.sent()
    report = monitor.report()
    assert report.level is Level.OK
    assert report.values['image_raw per s'] == '30.0'
    assert report.values['frames out per s'] == '30.0'
    assert report.values['frames received'] == '30'
    assert report.message == '30.0 image_raw frames/s'


def test_input_older_than_the_threshold_is_an_error_and_recovers():
    monitor, clock = monitor_with_clock()
    monitor.received()
    clock.now += NO_INPUT_ERROR_S * 0.9
    assert monitor.report().level is Level.OK
    clock.now += NO_INPUT_ERROR_S * 0.2
    report = monitor.report()
    assert report.level is Level.ERROR
    assert report.message.startswith('no image_raw for ')
    monitor.received()
    assert monitor.report().level is Level.OK


def test_dropping_more_than_the_share_warns_and_names_the_reasons():
    monitor, clock = monitor_with_clock()
    received = 20
    dropped = int(DROPPED_WARN_SHARE * received) + 1
    for index in range(received):
        monitor.received()
        if index < dropped:
            monitor.dropped('corrupt compressed image')
    report = monitor.report()
    assert report.level is Level.WARN
    assert f'dropped {dropped} of {received}' in report.message
    assert report.values['dropped: corrupt compressed image'] == str(dropped)
    # A new period with few drops is OK again; the total stays in the figures.
    for _ in range(received):
        monitor.received()
    monitor.dropped('corrupt compressed image')
    report = monitor.report()
    assert report.level is Level.OK
    assert report.values['frames dropped'] == str(dropped + 1)


def test_problems_of_the_node_combine_with_the_flow_and_the_worst_wins():
    monitor, _ = monitor_with_clock()
    monitor.received()
    report = monitor.report(problems=[(Level.WARN, 'source ended')])
    assert (report.level, report.message) == (Level.WARN, 'source ended')
    report = monitor.report(problems=[(Level.ERROR, 'camera retrying'),
                                      (Level.WARN, 'source ended')])
    assert report.level is Level.ERROR
    assert report.message == 'camera retrying'


def test_work_time_is_the_mean_of_the_period_and_extra_values_follow():
    monitor, _ = monitor_with_clock()
    monitor.received()
    monitor.worked(0.002)
    monitor.worked(0.004)
    report = monitor.report(values={'stable digit': '7'}, work_name='inference time (ms)')
    assert report.values['inference time (ms)'] == '3.00'
    assert list(report.values)[-1] == 'stable digit'
    assert 'inference time (ms)' not in monitor.report().values
