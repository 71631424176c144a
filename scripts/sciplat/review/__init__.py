"""The plan review: what a Terraform plan will do, how risky it is, and what it costs."""

from __future__ import annotations

from sciplat.review.plan import PlanError, load_plan, parse_plan
from sciplat.review.report import Review, build_review, to_json

__all__ = ["PlanError", "Review", "build_review", "load_plan", "parse_plan", "to_json"]
