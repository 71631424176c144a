"""Build Go programs into a cache outside the repository, once per version and source checksum.

Used for the Terraform providers (`sciplat providers`, from their released sources) and by the
test harness for kube-apiserver, kube-controller-manager, kubectl and helm (from the Go module
proxy through the pinned tools modules in tools/). Every build:

- is keyed by a checksum of what it is built from, so a changed source or pin rebuilds and an
  unchanged one is reused at once;
- holds a lock while it builds, so two builders of the same thing wait for each other instead of
  racing (the second one then finds the finished binary);
- shows progress: packages compiled out of the packages the program needs, as a bar on a terminal
  and a line every 30 seconds elsewhere (CI logs);
- leaves nothing half-written: the binary is built under a temporary name and moved in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sciplat import console as consoles
from sciplat.errors import SciplatError

err = consoles.err

STAMP = ".built"


def cache_base() -> Path:
    """Root of every sciplat build cache: $XDG_CACHE_HOME/sciplat (default ~/.cache/sciplat)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sciplat"


def go_executable() -> str:
    go = shutil.which("go")
    if go is None:
        raise SciplatError(
            "Go is needed to build this offline and `go` is not on PATH; install Go 1.24 or newer "
            "(for example `apt-get install golang-go`); a newer toolchain is fetched through the "
            "Go module proxy when a go.mod asks for one.",
            exit_code=2,
        )
    return go


def checksum(paths: Iterable[Path], *extra: str) -> str:
    """A short sha256 of the files' names and bytes and of `extra` strings."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for text in extra:
        digest.update(text.encode())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if missing) for the duration of the block."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Target:
    """One program to build: `package` (an import path or ".") compiled in `workdir`."""

    label: str  # shown to people: "hashicorp/google 7.45.0"
    workdir: Path
    package: str
    output: Path
    ldflags: str = ""
    cgo: bool | None = None  # None: the environment's setting


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GOTOOLCHAIN", "auto")
    env.setdefault("GOFLAGS", "-mod=mod")
    return env


def _count_packages(go: str, target: Target, env: dict[str, str]) -> int:
    """How many non-standard packages the program needs (downloads modules on first use)."""
    proc = subprocess.run(
        [go, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", target.package],
        cwd=target.workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SciplatError(f"{target.label}: go list failed:\n{_tail(proc.stderr)}")
    return sum(1 for line in proc.stdout.splitlines() if line.strip())


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def build(target: Target, *, quiet: bool = False) -> Path:
    """Compile `target` into target.output (atomically); return the output path."""
    go = go_executable()
    env = _go_env()
    if target.cgo is not None:
        env["CGO_ENABLED"] = "1" if target.cgo else "0"
    started = time.monotonic()
    if not quiet:
        err.print(f"{target.label}: resolving modules", markup=False)
    total = _count_packages(go, target, env)
    target.output.parent.mkdir(parents=True, exist_ok=True)
    staged = target.output.with_name(target.output.name + ".partial")
    argv = [go, "build", "-v", "-trimpath", "-o", str(staged)]
    if target.ldflags:
        argv += ["-ldflags", target.ldflags]
    argv.append(target.package)
    proc = subprocess.Popen(
        argv, cwd=target.workdir, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    assert proc.stderr is not None
    compiled = 0
    lines: list[str] = []
    progress = None if quiet else _Progress(target.label, total)
    try:
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip()
            lines.append(line)
            if line and " " not in line and not line.startswith("#"):
                compiled += 1
                if progress:
                    progress.update(compiled)
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        staged.unlink(missing_ok=True)
        raise
    finally:
        if progress:
            progress.close()
    if code != 0:
        staged.unlink(missing_ok=True)
        raise SciplatError(f"{target.label}: go build failed:\n{_tail(chr(10).join(lines))}")
    staged.replace(target.output)
    if not quiet:
        size = target.output.stat().st_size / 2**20
        err.print(
            f"{target.label}: built {target.output.name} ({size:.0f} MiB, {compiled} of {total} "
            f"packages compiled, the rest cached) in {time.monotonic() - started:.0f}s",
            markup=False,
        )
    return target.output


class _Progress:
    """A bar on a terminal; a line every 30 seconds otherwise."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, max(total, 1)
        self.started = self.last = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                "packages",
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self.task = self.bar.add_task(label, total=self.total)
            self.bar.start()

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=min(done, self.total))
            return
        now = time.monotonic()
        if now - self.last >= 30:
            self.last = now
            err.print(
                f"{self.label}: {done} of about {self.total} packages compiled, "
                f"{now - self.started:.0f}s",
                markup=False,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def cached(out_dir: Path, key: str, make: Callable[[Path], None]) -> Path:
    """Run `make(out_dir)` once for `key`: reuse out_dir when its stamp says `key`.

    Concurrent callers wait on a lock beside out_dir; the first builds, the rest reuse.
    """
    stamp = out_dir / STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == key:
        return out_dir
    with locked(out_dir.parent / f".{out_dir.name}.lock"):
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == key:
            return out_dir
        stamp.unlink(missing_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        make(out_dir)
        stamp.write_text(key, encoding="utf-8")
    return out_dir
