"""keep_image_memory(): frame-sized buffers are reused instead of faulted in every frame."""

import subprocess
import sys

# Per frame the nodes copy, crop and convert buffers of about a megabyte; the child
# prints the page faults one such frame costs once warmed up.
FRAME_WORK = """
import resource, sys
import numpy as np
if sys.argv[1] == 'keep':
    from digit_recognition.nodes.node_runner import keep_image_memory
    assert keep_image_memory(), 'mallopt failed'
frame = np.full((480, 640, 3), 7, np.uint8)
def one_frame():
    copy = frame.copy()
    crop = copy[100:300, 200:400].copy()
    packed = np.frombuffer(copy.tobytes(), np.uint8).copy()
    return int(packed[5]) + int(crop[0, 0, 0])
for _ in range(5):
    one_frame()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(100):
    one_frame()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 100)
"""


def _faults_per_frame(mode):
    result = subprocess.run([sys.executable, '-c', FRAME_WORK, mode], capture_output=True,
                            text=True, check=True, timeout=120)
    return float(result.stdout.strip().splitlines()[-1])


def test_frame_buffers_are_reused_without_page_faults():
    """Check: with the thresholds set, a frame's buffers fault no pages; by default they do."""
    kept = _faults_per_frame('keep')
    default = _faults_per_frame('default')
    assert kept < 5, f'{kept} page faults per frame with keep_image_memory()'
    assert default > 10 * max(kept, 1.0), (
        f'glibc defaults fault {default} pages per frame, kept {kept}: the test no longer '
        'shows what keep_image_memory() is for')
