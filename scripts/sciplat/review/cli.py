"""`sciplat review PLAN_JSON`: the review of a saved plan, for people and for machines."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from sciplat.errors import SciplatError, UsageError
from sciplat.files import write_atomic
from sciplat.review.cost import Prices, default_prices
from sciplat.review.plan import load_plan
from sciplat.review.render import print_text, to_markdown
from sciplat.review.report import Review, build_review, to_json

EXIT_BLOCKING = 3


class Format(StrEnum):
    text = "text"
    md = "md"
    json = "json"


class FailOn(StrEnum):
    blocking = "blocking"
    warning = "warning"
    never = "never"


def review_file(path: Path, title: str | None = None, prices: Prices | None = None) -> Review:
    """Load and review a plan JSON file (PlanError, exit 2, on bad input)."""
    plan = load_plan(path)
    return build_review(plan, prices if prices is not None else default_prices(), title)


def render(review: Review, fmt: str, console: Console | None = None) -> str | None:
    """Markdown or JSON as a string; the text view prints to `console` and returns None."""
    if fmt == "md":
        return to_markdown(review)
    if fmt == "json":
        return json.dumps(to_json(review), indent=2, sort_keys=False) + "\n"
    print_text(review, console or Console())
    return None


def exit_code(review: Review, fail_on: str) -> int:
    if fail_on == "blocking" and review.blocking:
        return EXIT_BLOCKING
    if fail_on == "warning" and (review.blocking or review.warnings):
        return EXIT_BLOCKING
    return 0


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review_command(
        plan_json: Path = typer.Argument(
            ...,
            help="Plan JSON from `terraform show -json PLANFILE` (build/ENV/plan.json); - reads "
            "standard input.",
        ),
        fmt: Format = typer.Option(
            Format.text, "--format", "-f", help="text (terminal), md (pull request) or json."
        ),
        fail_on: FailOn = typer.Option(
            FailOn.never,
            "--fail-on",
            help="Exit 3 when a finding of this class (or worse) is present.",
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the review to this file instead of stdout."
        ),
        title: str | None = typer.Option(None, help="Title of the review (default: the file)."),
        prices_file: Path | None = typer.Option(
            None, "--prices", help="Price table (JSON/YAML) for the cost delta; default: shipped."
        ),
    ) -> None:
        """Review a saved Terraform plan: changes, risks, drift, cost and images.

        Exit 0 when nothing is blocking, 3 with --fail-on blocking and a blocking finding,
        2 on an unreadable, malformed, empty or unsupported plan file.

        Example: sciplat review build/int/plan.json --format md --fail-on blocking
        """
        if output is not None and fmt is Format.text:
            raise UsageError("--output needs --format md or --format json.")
        review = review_file(plan_json, title, default_prices(prices_file))
        text = render(review, fmt.value)
        if text is not None:
            if output is not None:
                try:
                    write_atomic(output, text)
                except OSError as exc:
                    raise UsageError(f"--output: {output}: cannot write: {exc.strerror}") from None
            else:
                sys.stdout.write(text)
        code = exit_code(review, fail_on.value)
        if code:
            counts = review.severity_counts()
            raise SciplatError(
                f"review: {counts['blocking']} blocking, {counts['warning']} warning finding(s) "
                f"(--fail-on {fail_on.value}).",
                exit_code=code,
            )
