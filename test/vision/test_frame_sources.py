"""Tests of the camera frame sources, with real files written to a temporary folder."""

import os
import sys

import cv2

from digit_recognition.vision.frame_sources import (
    Backoff, CaptureSource, DEFAULT_FOLDER_CACHE_BYTES, DemoSource, FolderSource, Frame,
    ReconnectingSource, SourceUnavailableError)
from digit_recognition.vision.frame_sources import make_frame_source, opencv_has_gstreamer

import numpy as np

import pytest


class FakeClock:
    """A clock the test advances by hand."""

    def __init__(self):
        """Start at an arbitrary time."""
        self.now = 100.0

    def __call__(self):
        """Return the current fake time in seconds."""
        return self.now


def colour_frame(i, w=160, h=120):
    """Colour frame."""
    frame = np.zeros((h, w, 3), np.uint8)
    frame[:] = (10 * i % 256, 200, 255 - 10 * i % 256)
    cv2.putText(frame, str(i), (20, 90), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 0, 0), 5)
    return frame


def opened_source(spec, **options):
    """Return the source ``spec`` names, opened."""
    source = make_frame_source(spec, **options)
    source.open()
    return source


def write_folder(path, count=3):
    """Write folder."""
    path.mkdir(exist_ok=True)
    for i in range(count):
        cv2.imwrite(str(path / f'img_{i:02d}.png'), colour_frame(i))
    (path / 'notes.txt').write_text('not an image')


def write_video(path, count=6):
    """Write video."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (160, 120))
    assert writer.isOpened()
    for i in range(count):
        writer.write(colour_frame(i * 5))
    writer.release()


def test_folder_source_reads_sorted_images_and_loops(tmp_path):
    """Check: folder source reads sorted images and loops."""
    write_folder(tmp_path / 'imgs')
    source = opened_source(str(tmp_path / 'imgs'), width=160, height=120, loop=True)
    assert isinstance(source, FolderSource) and source.is_opened
    frames = [source.read() for _ in range(7)]
    assert all(isinstance(f, Frame) and f.label is None for f in frames)
    for i, frame in enumerate(frames):
        np.testing.assert_array_equal(frame.image, colour_frame(i % 3))
        assert frame.index == i
    source.close()
    assert not source.is_opened


def test_folder_source_ends_without_loop(tmp_path):
    """Check: folder source ends without loop."""
    write_folder(tmp_path / 'imgs', count=2)
    source = opened_source(str(tmp_path / 'imgs'), width=0, height=0, loop=False)
    assert source.read() is not None and source.read() is not None
    assert source.read() is None and source.ended
    assert source.read() is None


def test_folder_source_keeps_decoded_frames_within_its_budget(tmp_path):
    """Check: a looping folder's frames come from memory, up to the byte budget, read-only."""
    write_folder(tmp_path / 'imgs', count=3)
    frame_bytes = 160 * 120 * 3
    everything = opened_source(str(tmp_path / 'imgs'), width=160, height=120,
                               folder_cache_bytes=3 * frame_bytes)
    first, again = ([everything.read() for _ in range(3)] for _ in range(2))
    assert everything.cached_bytes == 3 * frame_bytes
    for i, (frame, repeat) in enumerate(zip(first, again, strict=True)):
        assert repeat.image is frame.image and not frame.image.flags.writeable
        np.testing.assert_array_equal(repeat.image, colour_frame(i))

    # Room for two frames: the first two are kept, the third is read from disk each pass.
    partly = opened_source(str(tmp_path / 'imgs'), width=160, height=120,
                           folder_cache_bytes=3 * frame_bytes - 1)
    first, again = ([partly.read() for _ in range(3)] for _ in range(2))
    assert partly.cached_bytes == 2 * frame_bytes
    assert [a.image is b.image for a, b in zip(first, again, strict=True)] == [True, True, False]
    np.testing.assert_array_equal(again[2].image, colour_frame(2))

    uncached = opened_source(str(tmp_path / 'imgs'), width=160, height=120,
                             folder_cache_bytes=0)
    first, again = ([uncached.read() for _ in range(3)] for _ in range(2))
    assert uncached.cached_bytes == 0 and not any(
        a.image is b.image for a, b in zip(first, again, strict=True))


def test_folder_cache_follows_the_files_on_disk(tmp_path):
    """Check: a file replaced on disk is read again; a removed one is forgotten."""
    folder = tmp_path / 'imgs'
    write_folder(folder, count=3)
    source = opened_source(str(folder), width=160, height=120)
    [source.read() for _ in range(3)]
    assert source.cached_bytes == 3 * 160 * 120 * 3
    replaced = folder / 'img_01.png'
    cv2.imwrite(str(replaced), colour_frame(7))
    status = replaced.stat()  # a later modification time, whatever the clock's resolution
    os.utime(replaced, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
    (folder / 'img_02.png').unlink()
    frames = [source.read() for _ in range(2)]
    np.testing.assert_array_equal(frames[0].image, colour_frame(0))
    np.testing.assert_array_equal(frames[1].image, colour_frame(7))
    assert source.cached_bytes == 2 * 160 * 120 * 3


def test_frames_are_fitted_to_requested_size(tmp_path):
    """Check: frames are fitted to requested size."""
    write_folder(tmp_path / 'imgs', count=1)
    frame = opened_source(str(tmp_path / 'imgs'), width=64, height=64).read()
    assert frame.image.shape == (64, 64, 3)
    # Cover + centre crop keeps the aspect: the middle column stays the middle column.
    original = colour_frame(0)
    expected = cv2.resize(original, (85, 64), interpolation=cv2.INTER_AREA)[:, 10:74]
    np.testing.assert_allclose(frame.image.astype(int), expected.astype(int), atol=2)


def test_video_file_end_of_file_with_and_without_loop(tmp_path):
    """Check: video file end of file with and without loop."""
    video = tmp_path / 'clip.avi'
    write_video(video, count=4)
    source = opened_source(str(video), width=160, height=120, loop=False)
    assert isinstance(source, CaptureSource)
    frames = [source.read() for _ in range(4)]
    assert all(f is not None and f.image.shape == (120, 160, 3) for f in frames)
    # MJPG is lossy: compare the colour of a corner to the frame written.
    assert abs(int(frames[2].image[5, 5, 0]) - 100) < 8
    assert source.read() is None and source.ended
    source.close()

    looping = opened_source(str(video), width=160, height=120, loop=True)
    colours = [int(looping.read().image[5, 5, 0]) for _ in range(10)]
    assert all(abs(c - e) < 8 for c, e in zip(colours, [0, 50, 100, 150] * 3, strict=False))
    assert not looping.ended
    looping.close()


def test_missing_video_file_is_unavailable(tmp_path):
    """Check: missing video file is unavailable."""
    source = make_frame_source(str(tmp_path / 'nope.avi'))
    with pytest.raises(SourceUnavailableError):
        source.open()
    with pytest.raises(SourceUnavailableError):
        source.read()


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='V4L2 device files')
def test_missing_device_index_is_unavailable_without_asking_opencv(capfd):
    """Check: a device index with no /dev/videoN fails with our message, not OpenCV's lines."""
    index = next(i for i in range(60, 100) if not os.path.exists(f'/dev/video{i}'))
    source = make_frame_source(str(index))
    with pytest.raises(SourceUnavailableError, match=f'/dev/video{index} does not exist'):
        source.open()
    assert capfd.readouterr().err == ''


def test_gstreamer_support_is_read_from_the_build_information():
    """Check: OpenCV's build information decides the hint of a pipeline that fails."""
    assert opencv_has_gstreamer('  Video I/O:\n    GStreamer:                   YES (1.20.3)\n')
    assert not opencv_has_gstreamer('  Video I/O:\n    GStreamer:                   NO\n')
    assert not opencv_has_gstreamer('  Video I/O:\n    FFMPEG:                      YES\n')


def test_a_gstreamer_pipeline_that_does_not_open_says_why():
    """Check: a pipeline that cannot open is unavailable, with the build's hint if it applies."""
    source = make_frame_source('nosuchelement_digit_test ! appsink')
    with pytest.raises(SourceUnavailableError) as raised:
        source.open()
    hint = 'this OpenCV build has no GStreamer support'
    assert (hint in str(raised.value)) == (not opencv_has_gstreamer())


def test_spec_parsing(tmp_path):
    """Check: each kind of spec string gives the right source."""
    assert isinstance(make_frame_source('demo'), DemoSource)
    device = make_frame_source('0')
    assert isinstance(device, CaptureSource) and device.kind == 'device' and device.target == 0
    assert make_frame_source('/dev/video3').kind == 'device'
    gst = make_frame_source('videotestsrc ! videoconvert ! appsink')
    assert gst.kind == 'gstreamer'
    assert isinstance(make_frame_source(str(tmp_path)), FolderSource)
    assert make_frame_source(str(tmp_path / 'x.mp4')).kind == 'file'
    with pytest.raises(ValueError):
        make_frame_source('  ')


def test_demo_source_yields_labels():
    """Check: demo source yields labels."""
    with make_frame_source('demo', width=320, height=240, seed=3) as source:
        frame = source.read()
    assert frame.image.shape == (240, 320, 3) and 0 <= frame.label <= 9


def test_backoff_schedule():
    """Check: backoff schedule."""
    backoff = Backoff()
    assert [backoff.next_delay() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
    with pytest.raises(ValueError):
        Backoff(initial=0)


def test_unavailable_device_retries_on_backoff_schedule():
    """Check: unavailable device retries on backoff schedule."""
    clock = FakeClock()
    source = make_frame_source('/dev/video_does_not_exist_77')
    wrapper = ReconnectingSource(source, clock=clock)
    attempts = []
    for tick in range(200):  # 20 s of 0.1 s timer ticks
        clock.now = 100.0 + tick * 0.1
        failures = wrapper.failures
        assert wrapper.read() is None
        if wrapper.failures != failures:
            attempts.append(round(clock.now - 100.0, 1))
    assert attempts[:6] == [0.0, 0.5, 1.5, 3.5, 7.5, 12.5]
    assert wrapper.state == ReconnectingSource.WAITING
    assert 'does not exist' in wrapper.last_error


def test_folder_fails_mid_run_and_comes_back(tmp_path):
    """Check: folder fails mid run and comes back."""
    folder = tmp_path / 'imgs'
    write_folder(folder, count=2)
    clock = FakeClock()
    wrapper = ReconnectingSource(make_frame_source(str(folder), 160, 120), clock=clock)
    assert wrapper.read().index == 0
    hidden = tmp_path / 'hidden'
    folder.rename(hidden)
    assert wrapper.read() is None  # the next image is gone
    assert wrapper.state == ReconnectingSource.WAITING and wrapper.failures == 1
    clock.now += 0.5
    assert wrapper.read() is None and wrapper.failures == 2  # still gone
    hidden.rename(folder)
    clock.now += 0.9
    assert wrapper.read() is None and wrapper.failures == 2  # backoff 1.0 not yet over
    clock.now += 0.1
    frame = wrapper.read()
    assert frame is not None and wrapper.state == ReconnectingSource.STREAMING
    np.testing.assert_array_equal(frame.image, colour_frame(0))
    assert wrapper.failures == 0


def test_video_renamed_away_and_back(tmp_path):
    """Check: video renamed away and back."""
    video = tmp_path / 'clip.avi'
    write_video(video, count=2)
    clock = FakeClock()
    wrapper = ReconnectingSource(make_frame_source(str(video), 160, 120, loop=True),
                                 clock=clock)
    assert wrapper.read() is not None and wrapper.read() is not None
    os.rename(video, tmp_path / 'away.avi')
    assert wrapper.read() is None  # rewinding needs the file
    assert wrapper.state == ReconnectingSource.WAITING
    os.rename(tmp_path / 'away.avi', video)
    clock.now += 0.5
    assert wrapper.read() is not None


def test_reconnecting_source_reports_end(tmp_path):
    """Check: reconnecting source reports end."""
    write_folder(tmp_path / 'imgs', count=1)
    wrapper = ReconnectingSource(make_frame_source(str(tmp_path / 'imgs'), loop=False),
                                 clock=FakeClock())
    assert wrapper.read() is not None
    assert wrapper.read() is None and wrapper.state == ReconnectingSource.ENDED
    assert wrapper.read() is None


@pytest.mark.parametrize('cache_bytes', [0, DEFAULT_FOLDER_CACHE_BYTES])
def test_folder_holds_each_image_then_ends(tmp_path, cache_bytes):
    """Check: a folder of separate pictures repeats each hold_frames times, then ends."""
    write_folder(tmp_path / 'imgs', count=2)
    source = FolderSource(str(tmp_path / 'imgs'), width=160, height=120, loop=False,
                          cache_bytes=cache_bytes, hold_frames=3)
    with source:
        frames = [source.read() for _ in range(7)]
    assert frames[6] is None and source.ended
    images = [frame.image for frame in frames[:6]]
    for same in (images[:3], images[3:]):
        assert all(np.array_equal(same[0], image) for image in same)
        assert not any(image.flags.writeable for image in same)
    assert not np.array_equal(images[2], images[3])
    assert [frame.index for frame in frames[:6]] == list(range(6))


def test_an_image_that_does_not_decode_is_skipped_until_it_does(tmp_path):
    """Check: one corrupt file neither stops the folder nor hides the images after it."""
    folder = tmp_path / 'imgs'
    write_folder(folder, count=3)
    bad = folder / 'img_01.png'
    bad.write_bytes(b'not a png')
    source = FolderSource(str(folder), width=160, height=120, loop=True)
    with source:
        colours = [int(source.read().image[5, 5, 0]) for _ in range(4)]
        assert colours == [int(colour_frame(i)[5, 5, 0]) for i in (0, 2, 0, 2)]
        assert source.unreadable_images == (str(bad),)
        cv2.imwrite(str(bad), colour_frame(1))  # written in full at last
        colours = [int(source.read().image[5, 5, 0]) for _ in range(3)]
        assert colours == [int(colour_frame(i)[5, 5, 0]) for i in (0, 1, 2)]
        assert source.unreadable_images == ()


def test_a_folder_in_which_nothing_decodes_is_unavailable(tmp_path):
    """Check: a pass in which no file decodes fails the source, naming one of them."""
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for name in ('a.png', 'b.jpg'):
        (folder / name).write_bytes(b'garbage')
    source = FolderSource(str(folder), width=160, height=120)
    source.open()
    with pytest.raises(SourceUnavailableError, match='no image in .* can be decoded'):
        source.read()
    assert len(source.unreadable_images) == 2


def test_folder_spec_takes_its_own_hold():
    """Check: make_frame_source gives a folder folder_hold_frames, the demo hold_frames."""
    folder = make_frame_source(os.sep.join(['', 'tmp', '']), hold_frames=30,
                               folder_hold_frames=4)
    assert isinstance(folder, FolderSource) and folder.hold_frames == 4
    assert make_frame_source('demo', hold_frames=30, folder_hold_frames=4).hold_frames == 30


def test_demo_source_holds_each_picture():
    """Check: the demo repeats each picture hold_frames times, read-only (shared, not copied)."""
    with make_frame_source('demo', width=160, height=120, seed=2, hold_frames=3) as source:
        frames = [source.read() for _ in range(6)]
    np.testing.assert_array_equal(frames[0].image, frames[2].image)
    assert not any(frame.image.flags.writeable for frame in frames)
    with pytest.raises(ValueError):
        frames[0].image[0, 0] = 0  # a consumer cannot change the frames that follow
    assert frames[0].label == frames[1].label == frames[2].label
    assert not np.array_equal(frames[2].image, frames[3].image)
    assert [f.index for f in frames] == list(range(6))
