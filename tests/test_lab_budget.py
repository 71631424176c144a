"""The environment's billing budget: from the capacity plan, rendered, and stated by the review."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from test_config import raw, write_env
from test_tf_contract import rendered_tfvars

from sciplat.capacity import plan_capacity
from sciplat.config import load_environment
from sciplat.review.cost import default_prices
from sciplat.review.plan import parse_plan
from sciplat.review.report import build_review, to_json


def test_the_budget_is_the_planned_cost_plus_the_margin() -> None:
    data = load_environment("stable").data
    sizing = plan_capacity(data).to_dict()
    budget = sizing["budget"]
    assert budget["source"] == "plan" and budget["margin_percent"] == 20
    assert budget["amount_usd"] == math.ceil(sizing["cost"]["monthly_usd"] * 1.2)
    tfvars, _ = rendered_tfvars("stable")
    assert tfvars["budget"] == {
        "enabled": True,
        "billing_account": "012345-6789AB-CDEF01",
        "amount_usd": budget["amount_usd"],
        "thresholds_percent": [50, 90, 100],
        "forecast_percent": 100,
        "notify_emails": ["platform-team@sciplat.example.org"],
    }
    # A bigger plan raises the budget with it.
    bigger = copy.deepcopy(data)
    bigger["users"]["peak_concurrent"] = 200
    assert plan_capacity(bigger).to_dict()["budget"]["amount_usd"] > budget["amount_usd"]


def test_a_fixed_amount_wins_and_no_budget_when_disabled() -> None:
    data = copy.deepcopy(load_environment("stable").data)
    data["budget"]["amount_usd"] = 9000
    assert plan_capacity(data).to_dict()["budget"]["amount_usd"] == 9000
    assert plan_capacity(load_environment("sandbox").data).to_dict()["budget"] is None
    tfvars, _ = rendered_tfvars("sandbox")
    assert tfvars["budget"]["enabled"] is False and tfvars["budget"]["amount_usd"] == 0


def test_capacity_shows_the_budget(run_cli) -> None:
    result = run_cli("capacity", "stable", "--json")
    assert result.code == 0
    report = json.loads(result.out)
    assert report["budget"]["amount_usd"] > report["cost"]["monthly_usd"]


BAD = [
    ({"billing_account": None}, "budget.billing_account: a budget needs the billing account"),
    ({"billing_account": "12345"}, "budget.billing_account: '12345' does not match"),
    ({"notify_emails": []}, "budget.notify_emails: name at least one address to alert"),
    ({"notify_emails": ["not-an-address"]}, "budget.notify_emails[0]: 'not-an-address' does not"),
    ({"thresholds_percent": [90, 50]}, "budget.thresholds_percent: list each threshold once"),
    ({"margin": 10}, "budget.margin: unknown key (did you mean 'margin_percent'?)"),
]


@pytest.mark.parametrize(("change", "expected"), BAD, ids=[b[1].split(":")[0] for b in BAD])
def test_bad_budget_settings(
    tmp_path: Path, change: dict[str, Any], expected: str, run_cli
) -> None:
    data = raw("stable")
    data["budget"].update(change)
    data["budget"] = {k: v for k, v in data["budget"].items() if v is not None}
    path = write_env(tmp_path, data)
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if "budget" in line]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:") and expected in lines[0], lines[0]
    assert int(lines[0].split(":")[1]) > path.read_text().splitlines().index("budget:")


def _plan(amount: str | None) -> dict[str, Any]:
    budget = {
        "amount": [{"specified_amount": [{"currency_code": "USD", "units": amount}]}],
        "threshold_rules": [
            {"threshold_percent": 0.5, "spend_basis": "CURRENT_SPEND"},
            {"threshold_percent": 0.9, "spend_basis": "CURRENT_SPEND"},
            {"threshold_percent": 1.0, "spend_basis": "CURRENT_SPEND"},
            {"threshold_percent": 1.0, "spend_basis": "FORECASTED_SPEND"},
        ],
    }
    pool = {
        "name": "user",
        "autoscaling": [{"total_min_node_count": 2, "total_max_node_count": 9}],
        "initial_node_count": 1,
        "node_config": [
            {"machine_type": "n2-standard-8", "disk_type": "pd-ssd", "disk_size_gb": 200}
        ],
    }

    def change(address: str, kind: str, after: dict[str, Any]) -> dict[str, Any]:
        return {
            "address": address,
            "mode": "managed",
            "type": kind,
            "name": address.rsplit(".", 1)[-1],
            "provider_name": "registry.terraform.io/hashicorp/google",
            "change": {
                "actions": ["create"],
                "before": None,
                "after": after,
                "after_unknown": {},
                "before_sensitive": False,
                "after_sensitive": {},
            },
        }

    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "resource_changes": [
            change("module.budget[0].google_billing_budget.this", "google_billing_budget", budget),
            change(
                "module.gke.google_container_node_pool.user", "google_container_node_pool", pool
            ),
        ],
    }


def test_the_review_states_the_budget_the_cost_meets(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_plan("12700")), encoding="utf-8")
    review = build_review(parse_plan(json.loads(path.read_text())), prices=default_prices())
    sentence = review.cost.budget_sentence()
    share = round(100 * review.cost.after_usd / 12700)
    assert sentence == (
        f"Budget $12,700.00 a month (alerts at 50%, 90%, 100%): the estimate after is "
        f"{share}% of it."
    )
    assert to_json(review)["cost"]["budget"] == {
        "address": "module.budget[0].google_billing_budget.this",
        "amount": 12700.0,
        "thresholds_percent": [50.0, 90.0, 100.0],
    }
    result = run_cli("review", str(path))
    assert "Budget $12,700.00 a month" in result.out
    # Below the estimate, the sentence says so.
    review = build_review(parse_plan(_plan("100")), prices=default_prices())
    assert "above the budget" in (review.cost.budget_sentence() or "")
