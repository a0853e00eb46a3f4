"""The compressed-input bench table: one row per input, figures for JPEG and PNG."""

from digit_recognition.tools.bench_compressed import compressed_input_table, main


def test_table_has_a_row_per_input_with_sizes_and_times():
    table = compressed_input_table(frame_count=3)
    rows = [line for line in table.splitlines() if line.startswith('| ')][2:]
    assert [row.split('|')[1].split()[0] for row in rows] == ['raw', 'jpeg', 'png']
    raw_kb, jpeg_kb, png_kb = (float(row.split('|')[2]) for row in rows)
    assert abs(raw_kb - 640 * 480 * 3 / 1000) < 1
    assert 0 < jpeg_kb < raw_kb and 0 < png_kb < raw_kb
    for row in rows[1:]:
        encode, decode = row.split('|')[3:5]
        assert float(encode.split()[0]) >= 0 and float(decode.split()[0]) >= 0


def test_main_prints_the_table(capsys):
    assert main(['--frames', '2']) == 0
    assert '| png (image_raw/compressed) |' in capsys.readouterr().out
