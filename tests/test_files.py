"""sciplat.files.write_atomic: the one way sciplat replaces a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciplat.files import write_atomic


def test_writes_text_as_utf8_and_bytes_as_given(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "out.txt"
    write_atomic(target, "Recommended (Weekly 2026_46) ✓\n")
    assert target.read_bytes() == "Recommended (Weekly 2026_46) ✓\n".encode()
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "lock.json"
    target.write_text("old\n")
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["lock.json"]
