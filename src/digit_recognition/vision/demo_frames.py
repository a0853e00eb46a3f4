"""A built-in demo camera: MNIST test digits written onto synthetic paper photos.

The sample in ``data/mnist_sample.npz`` holds 300 images of the MNIST *test* set
(30 per digit, drawn with a fixed seed), so accuracy measured on it is not measured
on training data. Each frame imitates a phone/webcam picture of a sheet of paper:
warm off-white paper lit unevenly (gradient plus vignette), faint light-blue ruled
lines on some frames, black or dark-blue ink of varied stroke width, slight blur,
sensor noise, a digit 90-170 px tall placed with jitter (and sometimes rotated)
inside the default centred 200x200 region of interest.
"""

import os

import cv2

from digit_recognition.vision import preprocessing

import numpy as np

SAMPLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data',
                           'mnist_sample.npz')
"""The shipped MNIST test-set sample (``images`` (N, 28, 28) uint8, ``labels`` (N,))."""

EMPTY_LABEL = -1
"""Label of a frame without a digit."""

_NOISE_MARGIN = 64


def load_sample(path: str = SAMPLE_PATH) -> tuple[np.ndarray, np.ndarray]:
    """Load the MNIST sample: ``(images (N, 28, 28) uint8, labels (N,) int64)``."""
    with np.load(path) as data:
        return data['images'].copy(), data['labels'].astype(np.int64)


class DemoFrameGenerator:
    """Deterministic generator of synthetic camera frames showing one digit each."""

    def __init__(self, width: int = 640, height: int = 480, seed: int = 0,
                 region: preprocessing.RegionOfInterest | None = None,
                 empty_probability: float = 0.0,
                 ruled_probability: float = 0.3,
                 rotate_probability: float = 0.25,
                 images: np.ndarray | None = None,
                 labels: np.ndarray | None = None) -> None:
        """Create the generator.

        Args:
            width: frame width in pixels.
            height: frame height in pixels.
            seed: random seed; the same seed gives the same frame sequence.
            region: the box the digit must stay inside; default: the preprocessor's
                default ROI (centred 200x200), clipped to the frame.
            empty_probability: chance of a frame without a digit (label -1).
            ruled_probability: chance of ruled (lined) paper.
            rotate_probability: chance of a slightly rotated digit (up to 12 degrees).
            images: digits to draw, ``(N, 28, 28)`` uint8 MNIST-style; default: the
                shipped sample.
            labels: their labels ``(N,)``; required with ``images``.

        Raises:
            ValueError: on a non-positive size or a region outside the frame.

        """
        if width <= 0 or height <= 0:
            raise ValueError('frame width and height must be positive')
        if images is None:
            images, labels = load_sample()
        elif labels is None or len(labels) != len(images):
            raise ValueError('labels must be given, one per image')
        self.width = int(width)
        self.height = int(height)
        self.images = np.asarray(images, np.uint8)
        self.labels = np.asarray(labels, np.int64)
        self.empty_probability = float(empty_probability)
        self.ruled_probability = float(ruled_probability)
        self.rotate_probability = float(rotate_probability)
        wanted = region or preprocessing.RegionOfInterest()
        box, _ = preprocessing.clip_roi(wanted, (self.height, self.width))
        if box is None:
            raise ValueError('the region lies outside the frame')
        self.region = box
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(self.images))
        self._index = 0
        # Fresh Gaussian noise per frame costs more than the rest of the frame; a bank
        # viewed at random offsets looks the same to the preprocessor.
        shape = (self.height + _NOISE_MARGIN, self.width + _NOISE_MARGIN, 3)
        noise = self._rng.normal(0.0, 1.0, shape).astype(np.float32)
        self._noise_pos = np.clip(noise * 4, 0, 255).astype(np.uint8)
        self._noise_neg = np.clip(-noise * 4, 0, 255).astype(np.uint8)

    def _paper(self) -> np.ndarray:
        rng = self._rng
        sw, sh = 32, 24
        ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
        xs = xs / (sw - 1) - 0.5
        ys = ys / (sh - 1) - 0.5
        gx, gy = rng.uniform(-0.5, 0.5, 2)
        cx, cy = rng.uniform(-0.3, 0.3, 2)
        light = (1.0 + gx * xs + gy * ys
                 - rng.uniform(0.1, 0.6) * ((xs - cx) ** 2 + (ys - cy) ** 2))
        light *= rng.uniform(0.7, 1.0)
        base = np.array([rng.uniform(200, 225), rng.uniform(222, 240), rng.uniform(232, 250)],
                        np.float32)
        small = np.clip(light[..., None] * base, 0, 255).astype(np.uint8)
        return cv2.resize(small, (self.width, self.height), interpolation=cv2.INTER_LINEAR)

    def _rule(self, frame: np.ndarray) -> None:
        rng = self._rng
        spacing = int(rng.integers(28, 42))
        start = int(rng.integers(0, spacing))
        factor = np.array([rng.uniform(0.85, 0.95), rng.uniform(0.72, 0.85),
                           rng.uniform(0.62, 0.78)], np.float32)
        thick = int(rng.integers(1, 3))
        for y in range(start, self.height, spacing):
            rows = frame[y:y + thick]
            rows[...] = (rows * factor).astype(np.uint8)

    def _digit_alpha(self, image: np.ndarray) -> np.ndarray:
        """Upscaled, re-stroked, maybe rotated ink coverage (float32 0-1), ink-tight."""
        rng = self._rng
        region = self.region
        target_h = rng.uniform(90, 170)
        target_h = min(target_h, 0.85 * min(region.width, region.height))
        scale = target_h / 20.0
        side = int(round(28 * scale))
        up = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
        choice = rng.random()
        k = int(round(scale * rng.uniform(0.3, 0.9)))
        if k >= 2 and choice < 0.3:
            up = cv2.erode(up, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        elif k >= 2 and choice > 0.65:
            up = cv2.dilate(up, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        if rng.random() < self.rotate_probability:
            angle = rng.uniform(-12, 12)
            pad = side // 4
            up = cv2.copyMakeBorder(up, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
            c = up.shape[1] / 2.0
            rot = cv2.getRotationMatrix2D((c, c), angle, 1.0)
            up = cv2.warpAffine(up, rot, (up.shape[1], up.shape[0]), flags=cv2.INTER_LINEAR)
        # Pen ink is opaque: sharpen MNIST's soft ramp into a narrower edge.
        alpha = np.clip((up.astype(np.float32) - 50.0) / 130.0, 0.0, 1.0)
        pts = cv2.findNonZero((alpha > 0).astype(np.uint8))
        if pts is None:
            return alpha
        x, y, w, h = cv2.boundingRect(pts)
        alpha = alpha[y:y + h, x:x + w]
        # Never bigger than the region (rotation can widen the digit).
        limit = 0.95 * min(region.width, region.height)
        if max(w, h) > limit:
            f = limit / max(w, h)
            alpha = cv2.resize(alpha, (max(1, int(w * f)), max(1, int(h * f))),
                               interpolation=cv2.INTER_AREA)
        return alpha

    def next_frame(self) -> tuple[np.ndarray, int]:
        """Return the next ``(frame, label)``: a BGR uint8 frame and its digit, or -1."""
        rng = self._rng
        frame = self._paper()
        if rng.random() < self.ruled_probability:
            self._rule(frame)
        label = EMPTY_LABEL
        if not (self.empty_probability > 0 and rng.random() < self.empty_probability):
            if self._index >= len(self._order):
                self._order = rng.permutation(len(self.images))
                self._index = 0
            i = int(self._order[self._index])
            self._index += 1
            label = int(self.labels[i])
            self._draw(frame, self._digit_alpha(self.images[i]))
        oy, ox = rng.integers(0, _NOISE_MARGIN, 2)
        view = (slice(oy, oy + self.height), slice(ox, ox + self.width))
        frame = cv2.add(frame, self._noise_pos[view])
        frame = cv2.subtract(frame, self._noise_neg[view])
        return frame, label

    def _draw(self, frame: np.ndarray, alpha: np.ndarray) -> None:
        rng = self._rng
        r = self.region
        h, w = alpha.shape
        x = r.x + int(rng.integers(0, max(1, r.width - w + 1)))
        y = r.y + int(rng.integers(0, max(1, r.height - h + 1)))
        blur = rng.uniform(0.0, 1.6)
        if blur > 0.5:
            # Blur a padded patch so that the soft edge is not cut at the patch border.
            pad = int(3 * blur) + 1
            x0, y0 = max(0, x - pad), max(0, y - pad)
            x1, y1 = min(self.width, x + w + pad), min(self.height, y + h + pad)
            big = np.zeros((y1 - y0, x1 - x0), np.float32)
            big[y - y0:y - y0 + h, x - x0:x - x0 + w] = alpha
            alpha = cv2.GaussianBlur(big, (0, 0), blur)
            x, y, h, w = x0, y0, y1 - y0, x1 - x0
        if rng.random() < 0.5:
            ink = np.array([rng.uniform(20, 50)] * 3, np.float32)
        else:
            ink = np.array([rng.uniform(100, 150), rng.uniform(30, 60), rng.uniform(10, 40)],
                           np.float32)
        strength = rng.uniform(0.85, 1.0)
        patch = frame[y:y + h, x:x + w].astype(np.float32)
        a = (alpha * strength)[..., None]
        # Ink absorbs light: darken multiplicatively so shading applies to ink too.
        ink_rel = ink / 235.0
        patch *= (1.0 - a) + a * ink_rel
        frame[y:y + h, x:x + w] = patch.astype(np.uint8)
