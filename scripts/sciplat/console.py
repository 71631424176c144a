"""The consoles every command prints through: rich for people, never mangling what it prints.

No emoji codes (`:100:` in a path stays as it is), no guessed highlighting, and no hard wrapping
of long lines, so a path or a `FILE:LINE: field: message` line survives a pipe or a narrow
terminal intact and can be copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    out: Console  # standard output
    err: Console  # standard error


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, emoji=False, highlight=False, soft_wrap=True, **options)


def __getattr__(name: str) -> Console:
    # `out` and `err` are made on first use (PEP 562): importing rich costs start-up time that a
    # command printing nothing through it (validate of a valid file) need not pay.
    if name in ("out", "err"):
        made = make_console(stderr=name == "err")
        globals()[name] = made
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
