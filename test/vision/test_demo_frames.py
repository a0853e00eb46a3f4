"""Tests of the built-in demo camera."""

import os
import time

import cv2

from digit_recognition.vision import preprocessing
from digit_recognition.vision.demo_frames import DemoFrameGenerator, SAMPLE_PATH
from digit_recognition.vision.demo_frames import load_sample
from digit_recognition.vision.preprocessing import RegionOfInterest

import numpy as np

import pytest


def test_sample_is_small_balanced_mnist():
    """Check: the shipped sample is small, balanced and MNIST-like."""
    assert os.path.getsize(SAMPLE_PATH) < 200 * 1024
    images, labels = load_sample()
    assert images.shape == (300, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [30] * 10
    # MNIST-normalised: ink bright on dark, nothing in the 4-px border ring mostly.
    assert images[:, :, :2].mean() < 1.0 and images.max() == 255


def test_frames_are_deterministic_per_seed():
    """Check: frames are deterministic per seed."""
    a = DemoFrameGenerator(seed=5)
    b = DemoFrameGenerator(seed=5)
    c = DemoFrameGenerator(seed=6)
    for _ in range(5):
        fa, la = a.next_frame()
        fb, lb = b.next_frame()
        fc, _ = c.next_frame()
        assert la == lb
        np.testing.assert_array_equal(fa, fb)
        assert not np.array_equal(fa, fc)


def test_frame_format_and_labels():
    """Check: frame format and labels."""
    gen = DemoFrameGenerator(width=320, height=240, seed=1)
    frame, label = gen.next_frame()
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    assert 0 <= label <= 9


def ink_mask(frame):
    """Pixels much darker than the paper around them (a closing estimates the paper)."""
    gray = frame.min(axis=2)
    paper = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((41, 41), np.uint8))
    return cv2.subtract(paper, gray) > 50


def test_digit_stays_inside_region_and_is_dark_ink_on_paper():
    """Check: digit stays inside region and is dark ink on paper."""
    gen = DemoFrameGenerator(seed=2, ruled_probability=0.0)
    for _ in range(25):
        frame, _ = gen.next_frame()
        ink = np.argwhere(ink_mask(frame))
        assert len(ink) > 100
        assert ink[:, 0].min() >= 140 and ink[:, 0].max() < 340
        assert ink[:, 1].min() >= 220 and ink[:, 1].max() < 420


def test_custom_region_is_respected():
    """Check: custom region is respected."""
    region = RegionOfInterest(20, 30, 150, 150)
    gen = DemoFrameGenerator(seed=4, region=region, ruled_probability=0.0)
    for _ in range(20):
        frame, _ = gen.next_frame()
        ink = np.argwhere(ink_mask(frame))
        assert ink[:, 0].min() >= 30 and ink[:, 0].max() < 180
        assert ink[:, 1].min() >= 20 and ink[:, 1].max() < 170


def test_empty_frames_when_requested():
    """Check: empty frames when requested."""
    gen = DemoFrameGenerator(seed=3, empty_probability=0.5)
    labels = [gen.next_frame()[1] for _ in range(60)]
    assert 15 < labels.count(-1) < 45
    assert -1 not in [DemoFrameGenerator(seed=3).next_frame()[1] for _ in range(30)]


def test_preprocessor_finds_the_digit_and_empty_frames():
    """Check: preprocessor finds the digit and empty frames."""
    gen = DemoFrameGenerator(seed=8, empty_probability=0.2)
    for _ in range(40):
        frame, label = gen.next_frame()
        assert preprocessing.preprocess(frame).is_empty == (label == -1)


def test_generation_is_fast():
    """Check: generation is fast."""
    gen = DemoFrameGenerator(seed=0)
    gen.next_frame()
    times = []
    for _ in range(30):
        start = time.perf_counter()
        gen.next_frame()
        times.append(time.perf_counter() - start)
    # The target is < 3 ms; allow for a loaded test machine.
    assert np.median(times) < 0.015


def test_bad_arguments():
    """Check: bad sizes, regions and image/label pairs are rejected."""
    with pytest.raises(ValueError):
        DemoFrameGenerator(width=0)
    with pytest.raises(ValueError):
        DemoFrameGenerator(region=RegionOfInterest(700, 0, 10, 10))
    with pytest.raises(ValueError):
        DemoFrameGenerator(images=np.zeros((2, 28, 28), np.uint8))
