"""Soak-lite: 1,000 camera frames through the real in-process pipeline over DDS."""

from digit_recognition.tools.soak import run_soak


def test_thousand_frames_one_prediction_per_batch_and_bounded_memory():
    result = run_soak(frames=1000, warmup_frames=300, rss_limit=0.10, timeout=60.0)
    print(result.table())
    assert result.error is None, result.error
    assert result.ok, result.table()
    # The pipeline really ran: most frames reached the classifier and became predictions.
    assert result.predictions_published >= 50, result.table()
    assert result.predictions_published == result.predictions_received
    # CPU per frame after the warm-up was measured (the figure make soak and --profile print).
    assert result.cpu_ms_per_frame > 0 and result.main_thread_cpu_ms_per_frame > 0, (
        result.table())
