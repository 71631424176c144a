"""sciplat.files.write_atomic: the one way sciplat replaces a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ------------------------------------------------------------------ several files, all or none


@given(
    count=st.integers(min_value=1, max_value=4),
    existing=st.lists(st.booleans(), min_size=4, max_size=4),
    fail_at=st.integers(min_value=0, max_value=7),
    stage=st.sampled_from(["write", "replace"]),
)
@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_write_all_atomic_replaces_every_file_or_none(
    tmp_path_factory: pytest.TempPathFactory,
    count: int,
    existing: list[bool],
    fail_at: int,
    stage: str,
) -> None:
    import sciplat.files as files

    base = tmp_path_factory.mktemp("many")
    paths = [base / f"f{i}.txt" for i in range(count)]
    for path, exists in zip(paths, existing, strict=False):
        if exists:
            path.write_text(f"old {path.name}\n")
    before = {p: p.read_text() if p.exists() else None for p in paths}
    calls = {"n": 0}
    real = files._temp_beside if stage == "write" else files.os.replace

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == fail_at + 1:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        if stage == "write":
            mp.setattr(files, "_temp_beside", failing)
        else:
            mp.setattr(files.os, "replace", failing)
        try:
            files.write_all_atomic({p: f"new {p.name}\n" for p in paths})
        except OSError:
            failed = True
        else:
            failed = False
    now = {p: p.read_text() if p.exists() else None for p in paths}
    if failed:
        assert now == before  # none replaced, none created
    else:
        assert all(text == f"new {p.name}\n" for p, text in now.items())
    leftovers = [p.name for p in base.iterdir() if p not in paths]
    assert leftovers == []
