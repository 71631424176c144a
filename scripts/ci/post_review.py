#!/usr/bin/env python3
"""Post (or update) the plan review of one environment as a pull-request comment.

    post_review.py --env int --review build/int/review.md --pr 42

Needs GITHUB_TOKEN and GITHUB_REPOSITORY (owner/name); GITHUB_API_URL defaults to the public
API. One comment per environment, found again by a hidden marker, so a new push edits it instead
of adding another. A missing review (the plan failed) posts a short note with the run's link.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MAX_BODY = 65_000  # the forge refuses comments over 65,536 characters
DEFAULT_API = "https://api.github.com"


def marker(env: str) -> str:
    return f"<!-- sciplat-review:{env} -->"


def comment_body(env: str, review: Path, run_url: str | None) -> str:
    """The comment: marker, the review (or a failure note), and the link to the run."""
    link = f"\n\n[Workflow run]({run_url})" if run_url else ""
    if review.is_file():
        text = review.read_text(encoding="utf-8").rstrip()
    else:
        text = (
            f"### ❌ Plan of `{env}` failed\n\nNo review was produced; the error is in the "
            "workflow log."
        )
    head = marker(env) + "\n"
    room = MAX_BODY - len(head) - len(link) - 200
    if len(text) > room:
        cut = text[:room].rsplit("\n", 1)[0]
        if cut.count("<details>") > cut.count("</details>"):
            cut += "\n\n</details>"
        text = cut + "\n\n*Review truncated: the full review is attached to the workflow run.*"
    return head + text + link + "\n"


class Forge:
    def __init__(self, api: str, repo: str, token: str) -> None:
        self.api = api.rstrip("/")
        self.repo = repo
        self.token = token

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.api}{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "Content-Type": "application/json",
                "User-Agent": "sciplat-ci",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise SystemExit(
                f"post_review: {method} {path}: HTTP {exc.code} {exc.reason}"
            ) from None
        except urllib.error.URLError as exc:
            raise SystemExit(f"post_review: {method} {path}: {exc.reason}") from None
        return json.loads(payload) if payload else None

    def comments(self, pr: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call(
                "GET", f"/repos/{self.repo}/issues/{pr}/comments?per_page=100&page={page}"
            )
            found += batch
            if len(batch) < 100:
                return found
            page += 1

    def upsert(self, pr: int, env: str, body: str) -> str:
        """Edit this environment's comment if there is one, else create it; say which."""
        for comment in self.comments(pr):
            if marker(env) in (comment.get("body") or ""):
                self._call(
                    "PATCH", f"/repos/{self.repo}/issues/comments/{comment['id']}", {"body": body}
                )
                return f"updated comment {comment['id']}"
        created = self._call("POST", f"/repos/{self.repo}/issues/{pr}/comments", {"body": body})
        return f"created comment {created['id']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--review", type=Path, required=True, help="build/ENV/review.md")
    parser.add_argument("--pr", type=int, required=True, help="pull request number")
    args = parser.parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN")
    repo = os.environ.get("GITHUB_REPOSITORY")
    if not token or not repo:
        print("post_review: GITHUB_TOKEN and GITHUB_REPOSITORY must be set", file=sys.stderr)
        return 2
    run_url = None
    if os.environ.get("GITHUB_RUN_ID"):
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        run_url = f"{server}/{repo}/actions/runs/{os.environ['GITHUB_RUN_ID']}"
    forge = Forge(os.environ.get("GITHUB_API_URL", DEFAULT_API), repo, token)
    print(forge.upsert(args.pr, args.env, comment_body(args.env, args.review, run_url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
