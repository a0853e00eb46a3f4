"""What compressed camera input costs per frame: bytes, encode (camera) and decode (preprocessor).

``make bench`` appends this table to the pipeline's; alone:
``python -m digit_recognition.tools.bench_compressed [--frames N]``. Demo frames
(640x480 bgr8) are compressed as the camera node does and decoded as the
preprocessor does (:mod:`digit_recognition.vision.compressed_images`); the figures are
the median and the range over the frames, CPU time of this process.
"""

import argparse
from collections.abc import Callable, Sequence
import statistics
import sys
import time
from typing import Any

from digit_recognition.vision.compressed_images import decode_compressed, encode_compressed
from digit_recognition.vision.demo_frames import DemoFrameGenerator
import numpy as np

DEFAULT_FRAMES = 60


def _cpu_ms(function: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Return the CPU milliseconds ``function(*args)`` took, and its result."""
    started = time.process_time()
    result = function(*args)
    return (time.process_time() - started) * 1000.0, result


def _spread(values: Sequence[float]) -> str:
    return f'{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})'


def measure_compression(frames: Sequence[np.ndarray], compression: str
                        ) -> tuple[list[int], list[float], list[float]]:
    """Compress and decode each frame; return bytes, encode and decode CPU ms per frame."""
    sizes, encode_ms, decode_ms = [], [], []
    for frame in frames:
        spent, (image_format, data) = _cpu_ms(encode_compressed, frame, 'bgr8', compression)
        encode_ms.append(spent)
        spent, _ = _cpu_ms(decode_compressed, image_format, data)
        decode_ms.append(spent)
        sizes.append(len(data))
    return sizes, encode_ms, decode_ms


def compressed_input_table(frame_count: int = DEFAULT_FRAMES, seed: int = 0) -> str:
    """Return the markdown table of the raw, JPEG and PNG inputs of ``frame_count`` frames."""
    generator = DemoFrameGenerator(seed=seed)
    frames = [generator.next_frame()[0] for _ in range(frame_count)]
    lines = [f'Compressed camera input ({frame_count} demo frames of '
             f'{frames[0].shape[1]}x{frames[0].shape[0]}; CPU ms per frame, median (min-max))',
             '',
             '| input | KB per frame | camera encodes, ms | preprocessor decodes, ms |',
             '| --- | --- | --- | --- |',
             f'| raw bgr8 (image_raw) | {frames[0].nbytes / 1000:.0f} | - | - |']
    for compression in ('jpeg', 'png'):
        sizes, encode_ms, decode_ms = measure_compression(frames, compression)
        lines.append(f'| {compression} (image_raw/compressed) | '
                     f'{statistics.median(sizes) / 1000:.0f} | {_spread(encode_ms)} | '
                     f'{_spread(decode_ms)} |')
    return '\n'.join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=DEFAULT_FRAMES,
                        help='demo frames to compress and decode')
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error('--frames must be at least 1')
    print(compressed_input_table(args.frames), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
