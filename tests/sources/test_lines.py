"""Reading text files into numbered lines, across chunk boundaries, endings, blanks, bad bytes and gzip."""

import gzip

import pytest

from warroom.sources.lines import read_lines

TEXT = b"first\r\nsecond line\n\n   \nfourth is \xff\xfe bad bytes\n" + b"x" * 100 + b"\nlast without newline"


def read(path, chunk_bytes):
    out = []
    for chunk in read_lines(path, chunk_bytes):
        out += list(zip(chunk.numbers.tolist(), chunk.text.to_pylist(), strict=True))
    return out


@pytest.mark.parametrize("chunk_bytes", [7, 16, 64, 1 << 20])
@pytest.mark.parametrize("gz", [False, True])
def test_lines_keep_their_numbers_whatever_the_chunks(tmp_path, chunk_bytes, gz):
    path = tmp_path / ("log.gz" if gz else "log")
    path.write_bytes(gzip.compress(TEXT) if gz else TEXT)
    assert read(path, chunk_bytes) == [
        (1, "first"),
        (2, "second line"),
        (5, "fourth is \ufffd\ufffd bad bytes"),
        (6, "x" * 100),
        (7, "last without newline"),
    ]


def test_an_empty_file_has_no_lines(tmp_path):
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert read(path, 16) == []
