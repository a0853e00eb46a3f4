"""``make demo``'s run on the demo camera: accuracy, predictions and the contact sheet."""

import cv2
from digit_recognition.tools.demo import run_demo


def test_demo_reaches_97_percent_and_writes_the_contact_sheet(tmp_path):
    summary, sheet_path = run_demo(frames=300, fps=30.0, output_dir=str(tmp_path))
    assert summary['judged'] >= 55, summary  # 300 frames, batches of five
    assert summary['accuracy'] >= 0.97, summary
    sheet = cv2.imread(sheet_path)
    assert sheet is not None and sheet.shape[0] >= 240 and sheet.shape[1] >= 320
