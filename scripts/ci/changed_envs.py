#!/usr/bin/env python3
"""Which environments does a change touch? One name per line, or a JSON list (--json).

    changed_envs.py --git origin/main          # files changed on this branch since main
    changed_envs.py env/int.yaml modules/x.tf  # these files
    changed_envs.py --all                      # every environment (the nightly drift plan)

Rules: env/NAME.yaml and env/images/NAME.json touch NAME; the Terraform code, the environment
schema and the Python that renders tfvars touch every environment; anything else (docs, tests,
CI) touches none. An environment whose file no longer exists is not planned.
Standard library only: it runs before the project's virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENV_FILE = re.compile(r"^env/([a-z0-9][a-z0-9-]*)\.yaml$")
IMAGE_LOCK = re.compile(r"^env/images/([a-z0-9][a-z0-9-]*)\.json$")
# Changes under these touch every environment.
SHARED = (
    "terraform/",
    "modules/",
    "env/schema/",
    "scripts/sciplat/",
    "pyproject.toml",
    "Makefile",
)
# ...except these parts of the Python package, which do not change what is planned.
NOT_RENDERED = ("scripts/sciplat/review/", "scripts/sciplat/tfdocs", "scripts/sciplat/tfcheck")


def environments(repo: Path = REPO) -> list[str]:
    return sorted(p.stem for p in (repo / "env").glob("*.yaml"))


def touched(files: list[str], known: list[str]) -> list[str]:
    """The environments the changed `files` (paths relative to the repository) touch."""
    names: set[str] = set()
    for raw in files:
        path = raw.strip().removeprefix("./")
        if not path:
            continue
        match = ENV_FILE.match(path) or IMAGE_LOCK.match(path)
        if match:
            names.add(match.group(1))
        elif path.startswith(SHARED) and not path.startswith(NOT_RENDERED):
            names.update(known)
    return sorted(n for n in names if n in known)


def git_changed(base: str, repo: Path = REPO) -> list[str]:
    """Files changed between the merge base of `base` and HEAD."""
    proc = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"changed_envs: git diff against {base} failed: {proc.stderr.strip()}")
    return proc.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="changed files (relative to the repository)")
    parser.add_argument("--git", metavar="BASE", help="take the files from git diff BASE...HEAD")
    parser.add_argument("--all", action="store_true", help="every environment")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    known = environments(args.repo)
    if args.all:
        names = known
    else:
        files = list(args.files)
        if args.git:
            files += git_changed(args.git, args.repo)
        names = touched(files, known)
    print(json.dumps(names) if args.json else "\n".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
