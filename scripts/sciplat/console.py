"""The consoles every command prints through: rich for people, never mangling what it prints.

No emoji codes (`:100:` in a path stays as it is), no guessed highlighting, and no hard wrapping
of long lines, so a path or a `FILE:LINE: field: message` line survives a pipe or a narrow
terminal intact and can be copied.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    return Console(stderr=stderr, emoji=False, highlight=False, soft_wrap=True, **options)


out = make_console()
err = make_console(stderr=True)
