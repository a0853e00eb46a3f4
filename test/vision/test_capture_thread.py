"""The capture thread: reads off the caller's thread, one-frame slot, capture stamps."""

import threading
import time

from digit_recognition.vision.frame_sources import (
    CaptureThread, DemoSource, FolderSource, ReconnectingSource, SourceUnavailableError)
import numpy as np


class SlowOpenSource(DemoSource):
    """A demo camera whose open blocks until released, like a GStreamer/Argus open."""

    def __init__(self):
        """Create it; the test releases the open."""
        super().__init__(64, 48)
        self.opening = threading.Event()
        self.release = threading.Event()

    def _open(self):
        self.opening.set()
        if not self.release.wait(10.0):
            raise SourceUnavailableError('never released')


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_blocking_open_does_not_block_the_caller():
    source = SlowOpenSource()
    frames = threading.Semaphore(0)
    capture = CaptureThread(ReconnectingSource(source), fps=200.0, on_frame=frames.release)
    capture.start()
    try:
        assert source.opening.wait(10.0)
        assert capture.take() is None  # the caller goes on while the open blocks
        source.release.set()
        assert frames.acquire(timeout=10.0)
        frame, _ = capture.take()
        assert frame.image.shape == (48, 64, 3)
    finally:
        source.release.set()
        assert capture.stop()
    assert not source.is_opened  # the thread closed it


class LiveDemoSource(DemoSource):
    """The demo camera standing in for a live one, read at its rate whoever takes frames."""

    live = True


def test_a_file_or_demo_source_waits_for_its_reader():
    capture = CaptureThread(ReconnectingSource(DemoSource(32, 24)), fps=500.0)
    capture.start()
    try:
        assert wait_for(lambda: capture.frames_captured >= 1)
        time.sleep(0.2)
        assert capture.frames_captured == 1 and capture.frames_replaced == 0
        assert capture.take()[0].index == 0
        assert wait_for(lambda: capture.frames_captured >= 2)
    finally:
        assert capture.stop()


def test_frames_carry_the_clock_at_capture_and_the_slot_keeps_only_the_newest():
    ticks = iter(range(1, 10**6))
    capture = CaptureThread(ReconnectingSource(LiveDemoSource(32, 24, hold_frames=1)),
                            fps=500.0, clock=lambda: next(ticks))
    capture.start()
    try:
        assert wait_for(lambda: capture.frames_captured >= 20)
        capture.active = False
        time.sleep(0.1)  # a read in progress ends
        captured = capture.frames_captured
        frame, stamp = capture.take()
    finally:
        assert capture.stop()
    # Nobody took frames: each new one replaced the one before, none queued.
    assert capture.frames_replaced == captured - 1
    assert stamp == captured and frame.index == captured - 1
    assert capture.take() is None


def test_inactive_capture_reads_nothing():
    capture = CaptureThread(ReconnectingSource(DemoSource(32, 24)), fps=500.0)
    capture.active = False
    capture.start()
    time.sleep(0.2)
    assert capture.stop()
    assert capture.frames_captured == 0 and capture.take() is None


def test_the_end_of_a_folder_is_reported_and_the_thread_ends(tmp_path):
    import cv2
    (tmp_path / 'frames').mkdir()
    for index in range(3):
        cv2.imwrite(str(tmp_path / 'frames' / f'{index}.png'), np.zeros((8, 8, 3), np.uint8))
    calls = []
    capture = CaptureThread(ReconnectingSource(FolderSource(str(tmp_path / 'frames'), 8, 8,
                                                            loop=False)),
                            fps=500.0, on_frame=lambda: calls.append(1))
    capture.start()
    taken = []
    assert wait_for(lambda: taken.append(capture.take()) or capture.ended)
    assert capture.stop(timeout=10.0)
    assert capture.frames_captured == 3 and len(calls) == 4  # three frames, then the end
    assert len([frame for frame in taken + [capture.take()] if frame is not None]) == 3
