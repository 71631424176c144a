"""Writing files so that readers see the old content or the new, never half of it.

Every file sciplat writes is created 0600 (a temp file from `mkstemp`, renamed into place), and
`private_dir` makes a directory 0700: build/ENV holds saved plans and state copies whose values
are in clear.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create `path` (and its parents) and make it 0700."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _temp_beside(path: Path, data: str | bytes) -> str:
    """Write `data` to a new 0600 temp file in the directory of `path`; return its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace `path` in one step: a temp file beside it (UTF-8 for text), then a rename.

    The parent directory is created when missing; on any failure the temp file is removed and
    the previous file, if any, is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all_atomic(files: Mapping[Path, str | bytes]) -> None:
    """Replace several files together: every file is written first, then all are moved into
    place; when anything fails, every file is left as it was before (none half-replaced).

    The files should share one file system (in practice one directory): the old contents are
    kept as hard links until every rename has succeeded, and put back on failure.
    """
    temps: dict[Path, str] = {}
    backups: dict[Path, str | None] = {}
    moved: list[Path] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temps[path] = _temp_beside(path, data)
        for path in files:
            backups[path] = None
            if path.is_file():
                backup = f"{temps[path]}.old"  # unique: named after this write's temp file
                os.link(path, backup)
                backups[path] = backup
        for path, tmp in temps.items():
            os.replace(tmp, path)
            moved.append(path)
    except BaseException:
        for path in reversed(moved):
            saved = backups.get(path)
            try:
                if saved is not None:
                    os.replace(saved, path)
                else:
                    path.unlink(missing_ok=True)
            except OSError:
                pass
        raise
    finally:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
        for saved in backups.values():
            if saved is not None:
                Path(saved).unlink(missing_ok=True)
