"""Tests, benchmarks and soak runs get a DDS domain nobody else on the host uses."""

import os
import socket
import subprocess
import sys

from digit_recognition.tools import ros_isolation

CHILD = ('import os; from digit_recognition.tools.ros_isolation import isolate_ros_traffic; '
         'isolate_ros_traffic(); print(os.environ["ROS_DOMAIN_ID"])')


def run_child(env):
    return subprocess.run([sys.executable, '-c', CHILD], env=env, capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()


def test_a_fresh_process_gets_a_domain_and_its_children_keep_it():
    env = {k: v for k, v in os.environ.items()
           if k not in ('ROS_DOMAIN_ID', 'DIGIT_RECOGNITION_ISOLATED_DOMAIN')}
    chosen = run_child(env)
    assert 1 <= int(chosen) <= ros_isolation.MAX_DOMAIN_ID
    inherited = dict(env, ROS_DOMAIN_ID=chosen, DIGIT_RECOGNITION_ISOLATED_DOMAIN=chosen)
    assert run_child(inherited) == chosen
    # A domain set by the user, not by isolation, is replaced: tests never share it.
    assert run_child(dict(env, ROS_DOMAIN_ID='0')) != '0'


def test_a_domain_whose_ports_are_bound_is_not_chosen():
    domain = 200
    port = ros_isolation.DOMAIN_PORT_BASE + ros_isolation.DOMAIN_PORT_GAIN * domain + 11
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as participant_like:
        participant_like.bind(('127.0.0.1', port))
        assert port in ros_isolation._bound_udp_ports()
    assert ros_isolation._domain_in_use(domain, {port})
    assert not ros_isolation._domain_in_use(domain - 1, {port})
    assert not ros_isolation._domain_in_use(domain + 1, {port})
