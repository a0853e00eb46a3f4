"""keep_opencv_on_one_thread(): a node process runs OpenCV without a pool of worker threads."""

import os
import subprocess
import sys

import pytest

# The child prints how many threads the process gained from OpenCV calls that split
# their work over the pool where there is one.
OPENCV_WORK = """
import os, sys
import cv2
import numpy as np
if sys.argv[1] == 'one':
    from digit_recognition.nodes.node_runner import prepare_process
    prepare_process()
before = len(os.listdir('/proc/self/task'))
frame = np.full((1080, 1920, 3), 7, np.uint8)
for _ in range(5):
    cv2.medianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), 5)
print(cv2.getNumThreads(), len(os.listdir('/proc/self/task')) - before)
"""


def _threads(mode):
    result = subprocess.run([sys.executable, '-c', OPENCV_WORK, mode], capture_output=True,
                            text=True, check=True, timeout=120)
    return [int(word) for word in result.stdout.split()]


@pytest.mark.skipif(not os.path.isdir('/proc/self/task'), reason='Linux /proc')
def test_node_processes_run_opencv_on_the_calling_thread():
    """Check: after prepare_process() OpenCV starts no worker thread; by default it does."""
    assert _threads('one') == [1, 0]
    if (os.cpu_count() or 1) > 1:
        number, started = _threads('default')
        assert number > 1 and started > 0, (
            'OpenCV starts no worker threads by default here: the test no longer shows '
            'what keep_opencv_on_one_thread() is for')
