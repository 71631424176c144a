#!/usr/bin/env python3
"""Summarise a nightly refresh-only plan: exit 1 when anything drifted, 0 when nothing did.

    drift_report.py build/int/review.json [--summary FILE]

Reads the review JSON (`sciplat.review` schema) that `sciplat plan ENV --refresh-only` writes and
prints one line per drifted resource; with --summary (the job summary file) it also appends a
Markdown table there. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def drift_lines(review: dict) -> list[str]:
    lines = []
    for item in review.get("drift", []):
        what = "deleted outside Terraform" if item["action"] == "delete" else "changed"
        paths = ", ".join(a["path"] for a in item.get("attributes", [])[:5])
        lines.append(f"{item['address']}: {what}" + (f" ({paths})" if paths else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("review", type=Path)
    parser.add_argument("--summary", type=Path, help="append a Markdown summary to this file")
    args = parser.parse_args(argv)
    try:
        review = json.loads(args.review.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"drift_report: {args.review}: {exc}", file=sys.stderr)
        return 2
    if (
        not isinstance(review, dict)
        or review.get("schema") != "sciplat.review"
        or review.get("schema_version") != 1
    ):
        print(f"drift_report: {args.review}: not a sciplat.review v1 document", file=sys.stderr)
        return 2
    lines = drift_lines(review)
    title = review.get("plan", {}).get("source", str(args.review))
    print(f"{len(lines)} resource(s) drifted ({title})")
    for line in lines:
        print(f"  {line}")
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as handle:
            handle.write(f"### Drift: {len(lines)} resource(s)\n\n")
            handle.writelines(f"- `{line}`\n" for line in lines)
            handle.write("\n")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
