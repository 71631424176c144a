"""Estimated monthly cost before and after a plan, from the capacity model's price table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sciplat.errors import SciplatError
from sciplat.review.classify import base_type
from sciplat.review.plan import Plan, _Marker

LOCAL_SSD_GIB = 375  # every GKE local SSD is 375 GiB
PRICED_TYPES = (
    "google_container_cluster",
    "google_container_node_pool",
    "google_filestore_instance",
    "google_compute_router_nat",
)  # plus the registry mirror, priced once by its cache budget


class Prices(Protocol):
    @property
    def region(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def hours_per_month(self) -> float: ...

    def node_hour_usd(self, machine_type: str, spot: bool = False) -> float: ...
    def disk_gib_month_usd(self, disk_type: str) -> float: ...
    def local_ssd_gib_month_usd(self) -> float: ...
    def filestore_gib_month_usd(self, tier: str) -> float: ...
    def registry_gib_month_usd(self) -> float: ...
    def nat_gateway_month_usd(self) -> float: ...


@dataclass
class CostLine:
    address: str
    before_usd: float
    after_usd: float


@dataclass
class CostDelta:
    available: bool
    before_usd: float = 0.0
    after_usd: float = 0.0
    lines: list[CostLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    price_date: str | None = None
    region: str | None = None
    budget: Budget | None = None

    @property
    def delta_usd(self) -> float:
        return self.after_usd - self.before_usd

    def budget_sentence(self) -> str | None:
        """One sentence on the budget the plan leaves in place and the share of it the estimate
        after takes, or None when the plan has no budget."""
        budget = self.budget
        if budget is None:
            return None
        if budget.amount_usd is None:
            return "Budget: its amount is known only after apply."
        alerts = ", ".join(f"{t:g}%" for t in budget.thresholds_percent) or "no thresholds"
        text = f"Budget ${budget.amount_usd:,.2f} a month (alerts at {alerts})"
        if self.available and budget.amount_usd > 0:
            share = 100 * self.after_usd / budget.amount_usd
            over = " — above the budget" if share > 100 else ""
            text += f": the estimate after is {share:.0f}% of it{over}"
        return text + "."


@dataclass
class Budget:
    """The billing budget the plan leaves in place (google_billing_budget, after the change)."""

    address: str
    amount_usd: float | None
    thresholds_percent: list[float]


def _budget(plan: Plan) -> Budget | None:
    for change in plan.changes:
        if change.mode != "managed" or base_type(change.type) != "google_billing_budget":
            continue
        if change.action in ("delete", "forget") or not isinstance(change.after, dict):
            continue
        try:
            units = change.after["amount"][0]["specified_amount"][0]["units"]
            amount: float | None = float(units)
        except (KeyError, IndexError, TypeError, ValueError):
            amount = None
        rules = change.after.get("threshold_rules")
        thresholds = sorted(
            round(float(r["threshold_percent"]) * 100, 2)
            for r in (rules if isinstance(rules, list) else [])
            if isinstance(r, dict)
            and _is_number(r.get("threshold_percent"))
            and r.get("spend_basis", "CURRENT_SPEND") == "CURRENT_SPEND"
        )
        return Budget(change.address, amount, thresholds)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Unpriced(Exception):
    """A value needed for the estimate is unknown, sensitive or missing."""


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unpriced(repr(value))
    return float(value)


def _str(value: Any) -> str:
    if not isinstance(value, str) or isinstance(value, _Marker):
        raise _Unpriced(repr(value))
    return value


def _first(obj: Any, key: str) -> dict[str, Any]:
    """The first block of a nested block list ({} when absent); anything else is unpriced."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, list):
        value = value[0] if value else {}
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Unpriced(f"{key} {value!r}")
    return value


def node_pool_month(obj: dict[str, Any], prices: Prices) -> float:
    """Nodes (fixed count, else the autoscaling minimum) x (machine + boot disk + local SSD)."""
    config = _first(obj, "node_config")
    zones = obj.get("node_locations")
    n_zones = len(zones) if isinstance(zones, list) and zones else 1
    auto = _first(obj, "autoscaling")
    if isinstance(obj.get("node_count"), int | float) and not auto:
        nodes = _num(obj["node_count"]) * n_zones
    elif isinstance(auto.get("total_min_node_count"), int | float) and auto["total_min_node_count"]:
        nodes = _num(auto["total_min_node_count"])
    elif auto:
        nodes = _num(auto.get("min_node_count", 0)) * n_zones
    else:
        nodes = _num(obj.get("initial_node_count", 1)) * n_zones
    spot = bool(config.get("spot") is True or config.get("preemptible") is True)
    machine = prices.node_hour_usd(_str(config.get("machine_type")), spot) * prices.hours_per_month
    disk = _num(config.get("disk_size_gb", 100)) * prices.disk_gib_month_usd(
        _str(config.get("disk_type", "pd-balanced"))
    )
    ssd_count = _first(config, "ephemeral_storage_local_ssd_config").get("local_ssd_count")
    if ssd_count is None:
        # Attached local SSDs: optional and computed, so unknown on create unless set; 0 then.
        attached = config.get("local_ssd_count")
        ssd_count = attached if isinstance(attached, int | float) else 0
    ssd = _num(ssd_count or 0) * LOCAL_SSD_GIB * prices.local_ssd_gib_month_usd()
    return nodes * (machine + disk + ssd)


def filestore_month(obj: dict[str, Any], prices: Prices) -> float:
    share = _first(obj, "file_shares")
    return _num(share.get("capacity_gb")) * prices.filestore_gib_month_usd(_str(obj.get("tier")))


def _resource_month(kind: str, obj: Any, prices: Prices) -> float:
    if obj is None:
        return 0.0
    if not isinstance(obj, dict):
        raise _Unpriced("unknown")
    if kind == "google_container_node_pool":
        return node_pool_month(obj, prices)
    if kind == "google_filestore_instance":
        return filestore_month(obj, prices)
    if kind == "google_compute_router_nat":
        return prices.nat_gateway_month_usd()
    if kind == "google_container_cluster":
        fee = getattr(prices, "cluster_month_usd", None)  # the GKE management fee, if priced
        return float(fee()) if callable(fee) else 0.0
    return 0.0


def _registry_budget(plan: Plan) -> float | None:
    """The mirror's cache budget in GiB (root variable registry_mirror.cache_gib), if given."""
    mirror = plan.variables.get("registry_mirror")
    budget = mirror.get("cache_gib") if isinstance(mirror, dict) else None
    return float(budget) if isinstance(budget, int | float) else None


def _registry_line(plan: Plan, prices: Prices, result: CostDelta) -> tuple[float, float]:
    """The registry mirror is priced once, by its cache budget, while any repository exists."""
    repos = [
        c
        for c in plan.changes
        if c.mode == "managed" and c.type == "google_artifact_registry_repository"
    ]
    if not repos:
        return 0.0, 0.0
    budget = _registry_budget(plan)
    if budget is None:
        result.notes.append("registry mirror: not priced (no registry_mirror.cache_gib variable)")
        return 0.0, 0.0
    month = budget * prices.registry_gib_month_usd()
    before = month if any(c.before is not None for c in repos) else 0.0
    after = month if any(c.after is not None for c in repos) else 0.0
    if before != after:
        label = f"registry mirror cache ({budget:g} GiB budget, {len(repos)} repositories)"
        result.lines.append(CostLine(label, round(before, 2), round(after, 2)))
    return before, after


def cost_delta(plan: Plan, prices: Prices | None) -> CostDelta:
    """Sum the priced resources of the plan, before and after (no-op resources included)."""
    if prices is None:
        return CostDelta(
            available=False,
            notes=["no price table: the capacity model is missing"],
            budget=_budget(plan),
        )
    result = CostDelta(
        available=True, price_date=getattr(prices, "date", None), region=prices.region
    )
    for change in plan.changes:
        kind = base_type(change.type)
        if change.mode != "managed" or kind not in PRICED_TYPES:
            continue
        try:
            before = _resource_month(kind, change.before, prices)
            after = _resource_month(kind, change.after, prices)
        except (_Unpriced, KeyError, ValueError, SciplatError) as exc:
            result.notes.append(f"{change.address}: not priced ({_reason(exc)})")
            continue
        result.before_usd += before
        result.after_usd += after
        if round(before, 2) != round(after, 2):
            result.lines.append(CostLine(change.address, round(before, 2), round(after, 2)))
    result.budget = _budget(plan)
    reg_before, reg_after = _registry_line(plan, prices, result)
    result.before_usd += reg_before
    result.after_usd += reg_after
    result.before_usd = round(result.before_usd, 2)
    result.after_usd = round(result.after_usd, 2)
    return result


def _reason(exc: Exception) -> str:
    text = str(exc).strip("'\"").splitlines()[0] if str(exc) else type(exc).__name__
    if "known after apply" in text:
        return "a value is known only after apply"
    if "sensitive" in text:
        return "a value is sensitive"
    return f"no price for {text}" if isinstance(exc, KeyError) else text


def default_prices(path: Path | None = None) -> Prices | None:
    """The capacity model's price table (the shipped one, or `path`); None if there is none."""
    try:
        from sciplat.capacity.prices import load_prices
    except ImportError:
        if path is not None:
            raise
        return None
    return load_prices(path)
