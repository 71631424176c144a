"""Assemble a review from a plan, and turn it into the documented JSON schema."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sciplat.review.classify import BLOCKING, INFO, SEVERITIES, WARNING, Finding, classify
from sciplat.review.cost import CostDelta, Prices, cost_delta
from sciplat.review.images import ImageDelta, image_delta
from sciplat.review.plan import ABSENT, ACTIONS, UNKNOWN, Plan, ResourceChange, Sensitive

SCHEMA = "sciplat.review"
SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("review.schema.json")  # JSON Schema of to_json()


@dataclass
class Review:
    plan: Plan
    findings: list[Finding]
    cost: CostDelta
    images: ImageDelta
    title: str

    @property
    def changes(self) -> list[ResourceChange]:
        """The resources that change or are imported (plain no-ops left out)."""
        return [c for c in self.plan.changes if c.action != "no-op" or c.importing]

    def counts(self) -> dict[str, int]:
        counted = Counter(c.action for c in self.plan.changes)
        return {action: counted.get(action, 0) for action in ACTIONS}

    def module_counts(self) -> dict[str, dict[str, int]]:
        modules: dict[str, Counter[str]] = {}
        for change in self.plan.changes:
            modules.setdefault(change.module, Counter())[change.action] += 1
        return {m: {a: modules[m].get(a, 0) for a in ACTIONS} for m in sorted(modules)}

    def severity_counts(self) -> dict[str, int]:
        counted = Counter(f.severity for f in self.findings)
        return {s: counted.get(s, 0) for s in SEVERITIES}

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == BLOCKING]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def infos(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == INFO]


def build_review(plan: Plan, prices: Prices | None, title: str | None = None) -> Review:
    return Review(
        plan=plan,
        findings=classify(plan.changes),
        cost=cost_delta(plan, prices),
        images=image_delta(plan.changes, plan.output_values),
        title=title or plan.source,
    )


def json_value(value: Any) -> Any:
    """A redacted value as JSON: markers become {"sensitive": true} / {"unknown": true}."""
    if isinstance(value, Sensitive):
        return {"sensitive": True}
    if value is UNKNOWN:
        return {"unknown": True}
    if value is ABSENT:
        return None
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value


def _change_json(change: ResourceChange) -> dict[str, Any]:
    return {
        "address": change.address,
        "module": change.module,
        "mode": change.mode,
        "type": change.type,
        "name": change.name,
        "action": change.action,
        "actions": change.actions,
        "action_reason": change.action_reason,
        "previous_address": change.previous_address,
        "importing": change.importing,
        "replace_paths": change.replace_paths,
        "attributes": [
            {
                "path": a.path,
                "before": json_value(a.before),
                "after": json_value(a.after),
                "forces_replace": a.forces_replace,
            }
            for a in change.attributes
        ],
    }


def to_json(review: Review) -> dict[str, Any]:
    """The stable JSON document (schema `sciplat.review`, version 1; see docs/operations.md)."""
    plan = review.plan
    cost = review.cost
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "plan": {
            "source": plan.source,
            "format_version": plan.format_version,
            "terraform_version": plan.terraform_version,
            "timestamp": plan.timestamp,
            "applyable": plan.applyable,
            "errored": plan.errored,
        },
        "summary": {
            "actions": review.counts(),
            "modules": review.module_counts(),
            "findings": review.severity_counts(),
            "blocking": bool(review.blocking),
            "drift": len(plan.drift),
            "imports": sum(1 for c in plan.changes if c.importing),
        },
        "findings": [
            {"severity": f.severity, "address": f.address, "rule": f.rule, "message": f.message}
            for f in review.findings
        ],
        "changes": [_change_json(c) for c in review.changes],
        "drift": [_change_json(c) for c in plan.drift],
        "outputs": [
            {
                "name": o.name,
                "action": o.action,
                "sensitive": o.sensitive,
                "before": json_value(o.before),
                "after": json_value(o.after),
            }
            for o in plan.outputs
        ],
        "cost": {
            "available": cost.available,
            "currency": "USD",
            "period": "month",
            "region": cost.region,
            "price_date": cost.price_date,
            "before": cost.before_usd if cost.available else None,
            "after": cost.after_usd if cost.available else None,
            "delta": round(cost.delta_usd, 2) if cost.available else None,
            "resources": [
                {"address": line.address, "before": line.before_usd, "after": line.after_usd}
                for line in cost.lines
            ],
            "notes": cost.notes,
            "budget": None
            if cost.budget is None
            else {
                "address": cost.budget.address,
                "amount": cost.budget.amount_usd,
                "thresholds_percent": cost.budget.thresholds_percent,
            },
        },
        "images": {
            "added": review.images.added,
            "removed": review.images.removed,
            "repinned": [
                {"image": r.image, "before": r.before, "after": r.after}
                for r in review.images.repinned
            ],
            "incomplete": review.images.unknown,
        },
    }
