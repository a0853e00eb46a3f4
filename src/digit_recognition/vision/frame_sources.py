"""Camera frame sources, ROS-free: V4L2 devices, GStreamer, video files, folders, demo.

:func:`make_frame_source` turns a spec string into a :class:`FrameSource`:

* ``'demo'``: the synthetic :class:`~digit_recognition.vision.demo_frames.DemoFrameGenerator`
  (frames carry their true label);
* an integer (``'0'``) or ``'/dev/videoN'``: a V4L2 camera, asked for the requested
  width, height and fps;
* a string containing ``'!'``: a GStreamer pipeline ending in ``appsink`` (e.g. a
  Jetson CSI camera with ``nvarguscamerasrc``), if OpenCV was built with GStreamer;
* a directory: its ``.png`` / ``.jpg`` / ``.jpeg`` / ``.bmp`` images in name order,
  decoded frames kept in memory up to a byte budget (:class:`FolderSource`);
* anything else: a video file.

Reading contract, the same for every source: :meth:`FrameSource.read` returns a
:class:`Frame`; returns ``None`` at the end of a file or folder when not looping
(:attr:`FrameSource.ended` is then True); and raises :class:`SourceUnavailableError`
when the source cannot be opened or fails (device unplugged, file gone...). A
failed source should be closed and reopened later; :class:`ReconnectingSource` does
that with an exponential :class:`Backoff` and never sleeps. :class:`CaptureThread`
runs all of it (opening, which can take seconds, and blocking reads) on a thread of
its own and keeps only the newest frame, stamped when it was captured.

Frames whose size differs from the requested ``width`` x ``height`` are scaled to
cover that size, keeping their aspect ratio, and centre-cropped to it (no
distortion of the digits); a width or height of 0 keeps the source's size.

A frame's image may be shared with the source (the folder's cache, a held
picture) and is then read-only: copy it before drawing on it.
"""

import abc
import collections.abc
import dataclasses
import os
import re
import sys
import threading
import time
from typing import Any

import cv2

from digit_recognition.vision.demo_frames import DemoFrameGenerator

import numpy as np

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp')
"""File name endings read by a folder source (case-insensitive)."""


class SourceUnavailableError(RuntimeError):
    """The source cannot be opened or stopped delivering frames; retry later."""


@dataclasses.dataclass
class Frame:
    """One frame from a source."""

    image: np.ndarray
    """BGR uint8 ``(H, W, 3)``; may be read-only and shared with the source."""
    label: int | None = None
    """The true digit when the source knows it (demo: 0-9, or -1 for no digit)."""
    index: int = 0
    """Running number of the frame since the source was created."""


def opencv_has_gstreamer(build_information: str | None = None) -> bool:
    """Return whether OpenCV was built with GStreamer (``cv2.getBuildInformation()``)."""
    if build_information is None:
        build_information = cv2.getBuildInformation()
    return re.search(r'^\s*GStreamer:\s*YES', build_information, re.MULTILINE) is not None


def fit_frame(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale an image to cover ``width`` x ``height`` keeping aspect, centre-crop to it.

    Returns the image itself when it already has that size or when width or height
    is 0; converts mono and BGRA images to BGR.
    """
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    h, w = image.shape[:2]
    if width <= 0 or height <= 0 or (w == width and h == height):
        return image
    scale = max(width / w, height / h)
    new_w = max(width, int(round(w * scale)))
    new_h = max(height, int(round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp)
    x0 = (new_w - width) // 2
    y0 = (new_h - height) // 2
    return resized[y0:y0 + height, x0:x0 + width]


class FrameSource(abc.ABC):
    """A source of BGR frames; see the module docstring for the reading contract."""

    live = False
    """True for a camera, whose frames go stale when not read: a capture thread reads
    it at its rate even while the last frame was not taken yet."""

    def __init__(self, width: int = 640, height: int = 480, hold_frames: int = 1) -> None:
        """Remember the requested frame size (0 keeps the source's own size).

        Each picture is delivered ``hold_frames`` times in a row (at least once), as when
        a person holds a card up to the camera for a moment.
        """
        self.width = int(width)
        self.height = int(height)
        self.hold_frames = max(1, int(hold_frames))
        self._held: tuple | None = None
        self._held_count = 0
        self._opened = False
        self._ended = False
        self._count = 0

    @property
    def is_opened(self) -> bool:
        """True between a successful :meth:`open` and :meth:`close`."""
        return self._opened

    @property
    def ended(self) -> bool:
        """True once a non-looping file or folder has delivered its last frame."""
        return self._ended

    @property
    def unreadable_images(self) -> tuple[str, ...]:
        """Pictures skipped because they cannot be decoded (an image folder's); none here."""
        return ()

    def open(self) -> None:  # noqa: A003 (the camera-style name is the API)
        """Open (or reopen) the source.

        Raises:
            SourceUnavailableError: if it cannot be opened now.

        """
        self.close()
        self._open()
        self._opened = True
        self._ended = False
        self._held = None

    def close(self) -> None:
        """Release the source; safe to call repeatedly."""
        self._close()
        self._opened = False

    def read(self) -> Frame | None:
        """Return the next frame, or None at the end of a non-looping file or folder.

        Raises:
            SourceUnavailableError: if the source is not opened or failed.

        """
        if not self._opened:
            raise SourceUnavailableError(f'{self.describe()} is not opened')
        if self._ended:
            return None
        if self._held is None or self._held_count >= self.hold_frames:
            got = self._read()
            if got is None:
                self._ended = True
                return None
            image, label = got
            image = fit_frame(image, self.width, self.height)
            if self.hold_frames > 1:
                # Delivered hold_frames times without a copy: read-only, so that a
                # consumer cannot change the frames that follow.
                image.setflags(write=False)
            self._held = image, label
            self._held_count = 0
        self._held_count += 1
        frame = Frame(self._held[0], self._held[1], self._count)
        self._count += 1
        return frame

    def __enter__(self) -> 'FrameSource':
        """Open the source for a ``with`` block."""
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the source at the end of a ``with`` block."""
        self.close()

    @abc.abstractmethod
    def describe(self) -> str:
        """Return a short human-readable description for logs."""

    @abc.abstractmethod
    def _open(self) -> None:
        ...

    @abc.abstractmethod
    def _close(self) -> None:
        ...

    @abc.abstractmethod
    def _read(self) -> tuple | None:
        """Return ``(image, label)``, None at the end, or raise SourceUnavailableError."""


class DemoSource(FrameSource):
    """The synthetic demo camera; frames carry their true label."""

    def __init__(self, width: int = 640, height: int = 480, seed: int = 0,
                 empty_probability: float = 0.0, hold_frames: int = 1) -> None:
        """Create a demo source drawing frames of the requested size.

        Each generated picture is delivered ``hold_frames`` times in a row.
        """
        super().__init__(width, height, hold_frames)
        self._generator = DemoFrameGenerator(width or 640, height or 480, seed=seed,
                                             empty_probability=empty_probability)

    def describe(self) -> str:
        """Return ``'demo'``."""
        return 'demo'

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass

    def _read(self) -> tuple | None:
        return self._generator.next_frame()


DEFAULT_FOLDER_CACHE_BYTES = 64 * 2**20
"""Decoded frames a :class:`FolderSource` keeps in memory by default (about 70 VGA frames)."""


class FolderSource(FrameSource):
    """The images of a directory, in file name order.

    A looping folder (a replayed recording, a test set) would otherwise decode every
    image from disk again on every pass. Its decoded, fitted frames are kept in memory
    instead, up to ``cache_bytes``: the first frames that fit are kept, later ones are
    read from disk each time (with a folder read in a cycle, evicting old frames for
    new ones would keep none of them long enough to be read again). A kept frame is
    used only while its file's modification time and size are unchanged, so a file
    replaced on disk is read again; one removed fails as before.

    A file that cannot be decoded (corrupt, or still being written) is skipped and
    listed in :attr:`unreadable_images` until it decodes on a later pass: one bad file
    does not stop the others. Only a pass in which no file decodes fails the source.
    """

    def __init__(self, path: str, width: int = 640, height: int = 480,
                 loop: bool = True, cache_bytes: int = DEFAULT_FOLDER_CACHE_BYTES,
                 hold_frames: int = 1) -> None:
        """Create a source for the images in ``path``.

        Args:
            path: the directory.
            width: frame width delivered (0: the image's own).
            height: frame height delivered (0: the image's own).
            loop: restart at the end instead of ending.
            cache_bytes: bytes of decoded frames kept in memory; 0 reads every frame
                from disk.
            hold_frames: frames each image is delivered in a row: 1 for a recording
                (frame by frame); more for separate pictures, each held in view.

        """
        super().__init__(width, height, hold_frames)
        if cache_bytes < 0:
            raise ValueError('cache_bytes must not be negative')
        self.path = path
        self.loop = loop
        self.cache_bytes = int(cache_bytes)
        self._files: list[str] = []
        self._next = 0
        self._cache: dict[str, tuple[tuple[int, int], np.ndarray]] = {}
        self._cached_bytes = 0
        # Replaced, never changed in place: another thread reads it (the camera node).
        self._unreadable: tuple[str, ...] = ()

    @property
    def cached_bytes(self) -> int:
        """Bytes of decoded frames held in memory now."""
        return self._cached_bytes

    @property
    def unreadable_images(self) -> tuple[str, ...]:
        """Files of the folder skipped on their last read because they do not decode."""
        return self._unreadable

    def describe(self) -> str:
        """Return ``'folder <path>'``."""
        return f'folder {self.path}'

    def _list(self) -> list[str]:
        try:
            names = sorted(os.listdir(self.path))
        except OSError as error:
            raise SourceUnavailableError(f'cannot list {self.path}: {error}') from error
        return [os.path.join(self.path, n) for n in names
                if n.lower().endswith(IMAGE_EXTENSIONS)]

    def _open(self) -> None:
        self._files = self._list()
        if not self._files:
            raise SourceUnavailableError(f'no images in {self.path}')
        self._next = 0
        self._forget_missing()

    def _close(self) -> None:
        self._files = []

    def _forget_missing(self) -> None:
        listed = set(self._files)
        for path in [path for path in self._cache if path not in listed]:
            self._forget(path)
        self._unreadable = tuple(path for path in self._unreadable if path in listed)

    def _forget(self, path: str) -> None:
        _, image = self._cache.pop(path)
        self._cached_bytes -= image.nbytes

    def _read(self) -> tuple | None:
        tried = 0
        while True:
            if self._next >= len(self._files):
                if not self.loop:
                    return None
                # Pick up files added or removed since the last pass.
                self._files = self._list()
                self._next = 0
                if not self._files:
                    raise SourceUnavailableError(f'no images left in {self.path}')
                self._forget_missing()
            path = self._files[self._next]
            self._next += 1
            image = self._decoded(path)
            if image is not None:
                if path in self._unreadable:
                    self._unreadable = tuple(p for p in self._unreadable if p != path)
                return image, None
            if path not in self._unreadable:
                self._unreadable = (*self._unreadable, path)
            tried += 1
            if tried >= len(self._files):
                raise SourceUnavailableError(
                    f'no image in {self.path} can be decoded (e.g. {path})')

    def _decoded(self, path: str) -> np.ndarray | None:
        """Return the fitted frame of ``path`` (kept or decoded), None if it does not decode."""
        try:
            status = os.stat(path)
        except OSError as error:
            raise SourceUnavailableError(f'cannot read image {path}: {error}') from error
        version = (status.st_mtime_ns, status.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        if cached is not None:
            self._forget(path)
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            return None
        image = fit_frame(image, self.width, self.height)
        if self._cached_bytes + image.nbytes <= self.cache_bytes:
            image = np.ascontiguousarray(image)
            image.setflags(write=False)
            self._cache[path] = (version, image)
            self._cached_bytes += image.nbytes
        return image


class CaptureSource(FrameSource):
    """A ``cv2.VideoCapture``: V4L2 device, GStreamer pipeline or video file."""

    DEVICE = 'device'
    GSTREAMER = 'gstreamer'
    FILE = 'file'

    def __init__(self, target: int | str, kind: str, width: int = 640,
                 height: int = 480, fps: float = 30.0, loop: bool = True) -> None:
        """Create a capture source.

        Args:
            target: device index or path, pipeline string or file path.
            kind: ``DEVICE``, ``GSTREAMER`` or ``FILE``.
            width: requested frame width (also asked of a device).
            height: requested frame height (also asked of a device).
            fps: frame rate asked of a device.
            loop: for files, restart at the end instead of ending.

        """
        super().__init__(width, height)
        if kind not in (self.DEVICE, self.GSTREAMER, self.FILE):
            raise ValueError(f'unknown capture kind {kind!r}')
        self.live = kind != self.FILE
        self.target = target
        self.kind = kind
        self.fps = float(fps)
        self.loop = loop
        self._capture: cv2.VideoCapture | None = None
        self._frames_since_open = 0

    def describe(self) -> str:
        """Return e.g. ``'device /dev/video0'`` or ``'file clip.avi'``."""
        return f'{self.kind} {self.target}'

    def _open(self) -> None:
        if self.kind == self.FILE and not os.path.isfile(str(self.target)):
            raise SourceUnavailableError(f'video file {self.target} does not exist')
        if self.kind == self.DEVICE and isinstance(self.target, str) and not os.path.exists(
                self.target):
            raise SourceUnavailableError(f'camera device {self.target} does not exist')
        if (self.kind == self.DEVICE and isinstance(self.target, int)
                and sys.platform.startswith('linux')
                and not os.path.exists(f'/dev/video{self.target}')):
            # Checked here so that OpenCV does not log its own two lines at every retry.
            raise SourceUnavailableError(f'camera device /dev/video{self.target} does not exist')
        if self.kind == self.DEVICE:
            capture = cv2.VideoCapture(self.target, cv2.CAP_V4L2)
        elif self.kind == self.GSTREAMER:
            capture = cv2.VideoCapture(self.target, cv2.CAP_GSTREAMER)
        else:
            capture = cv2.VideoCapture(self.target)
        if not capture.isOpened():
            capture.release()
            hint = ''
            if self.kind == self.GSTREAMER and not opencv_has_gstreamer():
                hint = ' (this OpenCV build has no GStreamer support)'
            raise SourceUnavailableError(f'cannot open {self.describe()}{hint}')
        if self.kind == self.DEVICE:
            # The fewest frames queued in the driver: a read returns a recent frame,
            # not one that waited there (V4L2 honours it; others ignore it).
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            if self.width > 0 and self.height > 0:
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            if self.fps > 0:
                capture.set(cv2.CAP_PROP_FPS, self.fps)
        self._capture = capture
        self._frames_since_open = 0

    def _close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _grab(self) -> np.ndarray | None:
        assert self._capture is not None
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        self._frames_since_open += 1
        return image

    def _read(self) -> tuple | None:
        image = self._grab()
        if image is not None:
            return image, None
        if self.kind != self.FILE or self._frames_since_open == 0:
            raise SourceUnavailableError(f'{self.describe()} delivered no frame')
        if not self.loop:
            return None
        # Reopen rather than seek: it also notices a file that was replaced or removed.
        self._close()
        self._open()
        image = self._grab()
        if image is None:
            raise SourceUnavailableError(f'{self.describe()} delivered no frame after rewind')
        return image, None


def make_frame_source(spec: str, width: int = 640, height: int = 480, fps: float = 30.0,
                      loop: bool = True, seed: int = 0, empty_probability: float = 0.0,
                      hold_frames: int = 1, folder_hold_frames: int = 1,
                      folder_cache_bytes: int = DEFAULT_FOLDER_CACHE_BYTES) -> FrameSource:
    """Create the source a spec names (see the module docstring), without opening it.

    Args:
        spec: ``'demo'``, a device index or ``/dev/videoN``, a GStreamer pipeline
            (contains ``'!'``), an image directory or a video file path.
        width: frame width delivered by ``read()`` (0: the source's own).
        height: frame height delivered by ``read()`` (0: the source's own).
        fps: frame rate asked of a camera device.
        loop: restart files and folders at their end instead of ending.
        seed: demo source's random seed.
        empty_probability: demo source's chance of a frame without a digit.
        hold_frames: demo source's number of frames each picture is repeated.
        folder_hold_frames: image folder's number of frames each image is repeated.
        folder_cache_bytes: image folder's budget of decoded frames kept in memory.

    Raises:
        ValueError: on an empty spec.

    """
    spec = spec.strip()
    if not spec:
        raise ValueError('empty frame source spec')
    if spec.lower() == 'demo':
        return DemoSource(width, height, seed=seed, empty_probability=empty_probability,
                          hold_frames=hold_frames)
    if '!' in spec:
        return CaptureSource(spec, CaptureSource.GSTREAMER, width, height, fps, loop)
    if spec.isdigit():
        return CaptureSource(int(spec), CaptureSource.DEVICE, width, height, fps, loop)
    if spec.startswith('/dev/'):
        return CaptureSource(spec, CaptureSource.DEVICE, width, height, fps, loop)
    if os.path.isdir(spec) or spec.endswith(os.sep):
        return FolderSource(spec, width, height, loop, cache_bytes=folder_cache_bytes,
                            hold_frames=folder_hold_frames)
    return CaptureSource(spec, CaptureSource.FILE, width, height, fps, loop)


class Backoff:
    """Exponential retry delays: ``initial``, doubled each failure, capped at ``maximum``."""

    def __init__(self, initial: float = 0.5, maximum: float = 5.0, factor: float = 2.0) -> None:
        """Create the schedule (seconds)."""
        if initial <= 0 or maximum < initial or factor < 1:
            raise ValueError('need 0 < initial <= maximum and factor >= 1')
        self.initial = float(initial)
        self.maximum = float(maximum)
        self.factor = float(factor)
        self._delay = self.initial

    def next_delay(self) -> float:
        """Return the delay before the next retry and lengthen the following one."""
        delay = self._delay
        self._delay = min(self.maximum, self._delay * self.factor)
        return delay

    def reset(self) -> None:
        """Start again from ``initial`` (call after a success)."""
        self._delay = self.initial


class ReconnectingSource:
    """Wraps a source: opens it lazily, and after a failure reopens it with backoff.

    Meant to be polled from a timer: :meth:`read` never sleeps. It returns a
    :class:`Frame`, or None when there is no frame now: while waiting to retry
    (:attr:`state` ``'waiting'``, see :attr:`retry_at` and :attr:`last_error`), or
    for good at the end of a non-looping file or folder (``'ended'``).
    """

    STREAMING = 'streaming'
    WAITING = 'waiting'
    ENDED = 'ended'

    def __init__(self, source: FrameSource, backoff: Backoff | None = None,
                 clock: collections.abc.Callable[[], float] = time.monotonic) -> None:
        """Wrap ``source`` (opened or not); ``clock`` returns seconds (inject for tests)."""
        self.source = source
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.retry_at: float = float('-inf')
        """Clock time of the next open attempt while waiting."""
        self.last_error: str | None = None
        """Message of the last failure, for logging."""
        self.failures = 0
        """Consecutive failed open or read attempts."""
        self.state = self.STREAMING if source.is_opened else self.WAITING

    def read(self) -> Frame | None:
        """Return a frame, or None if there is none now (see the class docstring)."""
        if self.state == self.ENDED:
            return None
        if not self.source.is_opened:
            if self.clock() < self.retry_at:
                return None
            try:
                self.source.open()
            except SourceUnavailableError as error:
                self._failed(error)
                return None
        try:
            frame = self.source.read()
        except SourceUnavailableError as error:
            self._failed(error)
            return None
        if frame is None:
            self.state = self.ENDED
            self.source.close()
            return None
        self.state = self.STREAMING
        self.failures = 0
        self.backoff.reset()
        return frame

    def _failed(self, error: Exception) -> None:
        self.source.close()
        self.failures += 1
        self.last_error = str(error)
        self.retry_at = self.clock() + self.backoff.next_delay()
        self.state = self.WAITING

    def close(self) -> None:
        """Close the wrapped source."""
        self.source.close()


SLOT_WAIT_S = 0.1
"""Longest wait of a file, folder or demo capture thread for its frame to be taken
(take() and stop() wake it at once; the timeout only bounds how late it notices that
:attr:`CaptureThread.active` changed)."""


class CaptureThread:
    """Reads a source on a thread of its own and keeps only the newest frame.

    Opening a device (seconds for a GStreamer or Argus pipeline), reopening it with
    backoff, and blocking reads all happen on this thread, never in the caller's. The
    newest frame waits in a one-frame slot with the time it was captured
    (``clock()`` right after the read returned); a frame not taken before the next
    one arrives is replaced, never queued. Frames are read at ``fps`` (a camera
    delivers its frames at its own rate, and with the smallest driver buffer the read
    returns a recent one) and only while :attr:`active` is True.
    """

    def __init__(self, source: ReconnectingSource, fps: float,
                 clock: collections.abc.Callable[[], Any] = time.time,
                 on_frame: collections.abc.Callable[[], None] | None = None) -> None:
        """Prepare the thread; :meth:`start` starts it.

        Args:
            source: the source, opened lazily and reopened after failures.
            fps: frames per second to read.
            clock: returns the capture time stored with each frame (a node passes its
                ROS clock, so stamps follow ``use_sim_time``).
            on_frame: called on the capture thread after each new frame, and once at
                the end of a non-looping source (e.g. to wake an executor).

        """
        self.source = source
        self.fps = float(fps)
        self.active = True
        """Read frames only while True (e.g. while someone subscribes)."""
        self.frames_captured = 0
        self.frames_replaced = 0
        """Frames overwritten in the slot before anyone took them."""
        self._clock = clock
        self._on_frame = on_frame
        self._slot: tuple[Frame, Any] | None = None
        self._lock = threading.Lock()
        self._slot_free = threading.Condition(self._lock)
        """Notified when the slot was emptied, or when stopping."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name='capture', daemon=True)

    @property
    def ended(self) -> bool:
        """True once a non-looping file or folder has delivered its last frame."""
        return self.source.state == ReconnectingSource.ENDED

    def start(self) -> None:
        """Start reading."""
        self._thread.start()

    def take(self) -> tuple[Frame, Any] | None:
        """Return the newest ``(frame, capture time)`` not taken yet, or None."""
        with self._lock:
            taken, self._slot = self._slot, None
            self._slot_free.notify()
        return taken

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop reading and close the source; return False if still busy after ``timeout``.

        A thread blocked in a slow open or read finishes it, then closes the source
        itself and ends without calling ``on_frame`` again.
        """
        self._stopping.set()
        with self._lock:
            self._slot_free.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        next_read = time.monotonic()
        try:
            while not self._stopping.is_set():
                period = 1.0 / self.fps
                if not self.active:
                    self._stopping.wait(period)
                    next_read = time.monotonic()
                    continue
                if self._slot is not None and not self.source.source.live:
                    # A file, folder or the demo waits for its reader, rather than
                    # reading frames nobody takes; a live camera keeps its frames fresh.
                    # Woken by take() (or stop()), not by polling: a poll every
                    # millisecond cost more CPU than reading a cached frame.
                    with self._lock:
                        self._slot_free.wait_for(
                            lambda: self._slot is None or self._stopping.is_set(),
                            timeout=SLOT_WAIT_S)
                    continue
                frame = self.source.read()
                if self._stopping.is_set():
                    break
                if frame is not None:
                    self._store(frame, self._clock())
                elif self.ended:
                    self._notify()
                    break
                now = time.monotonic()
                next_read = max(next_read + period, now)
                self._stopping.wait(next_read - now)
        finally:
            self.source.close()

    def _store(self, frame: Frame, captured: Any) -> None:
        with self._lock:
            if self._slot is not None:
                self.frames_replaced += 1
            self._slot = (frame, captured)
        self.frames_captured += 1
        self._notify()

    def _notify(self) -> None:
        if self._on_frame is not None and not self._stopping.is_set():
            self._on_frame()
