"""The price table: a versioned, dated list of unit prices for one region, shipped as data.

`load_prices()` reads the shipped table; `load_prices(path)` reads a JSON or YAML file of the
same shape (the `--prices FILE` override). Every unit price the planner and the plan review use
comes from here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sciplat.capacity._data import DATA_DIR
from sciplat.capacity.errors import CapacityError
from sciplat.capacity.machines import lookup

DEFAULT_PRICES = DATA_DIR / "prices-us-central1.json"

_REQUIRED = (
    "region",
    "date",
    "source",
    "hours_per_month",
    "machine_series",
    "disk_gib_month",
    "local_ssd_gib_month",
    "filestore_gib_month",
    "registry_gib_month",
    "nat",
)


@dataclass(frozen=True)
class PriceTable:
    """Unit prices in USD for one region, with where and when they were taken."""

    region: str
    date: str
    source: str
    hours_per_month: float
    version: str = ""
    path: str = ""
    machine_series: dict[str, dict[str, float]] = field(default_factory=dict)
    disk_gib_month: dict[str, float] = field(default_factory=dict)
    local_ssd_gib_month: float = 0.0
    filestore_gib_month: dict[str, float] = field(default_factory=dict)
    registry_gib_month: float = 0.0
    nat: dict[str, float] = field(default_factory=dict)
    cluster_management_hour: float = 0.0
    custom_premium: float = 0.0

    def node_hour_usd(self, machine_type: str, spot: bool = False) -> float:
        """Hourly price of one VM of `machine_type` (vCPUs and memory priced by its series)."""
        machine = lookup(machine_type)
        if machine is None:
            raise CapacityError("machine_type", f"unknown machine type {machine_type!r}")
        rates = self.machine_series.get(machine.family)
        if rates is None:
            raise CapacityError(
                "prices.machine_series",
                f"{self.path or 'price table'} has no prices for the {machine.family} series",
            )
        prefix = "spot_" if spot else ""
        premium = 1.0 + (self.custom_premium if machine.custom else 0.0)
        cpu = machine.cpu_cores * float(rates[f"{prefix}vcpu_hour"])
        memory = machine.memory_gib * float(rates[f"{prefix}gib_hour"])
        return (cpu + memory) * premium

    def node_month_usd(self, machine_type: str, spot: bool = False) -> float:
        return self.node_hour_usd(machine_type, spot) * self.hours_per_month

    def disk_gib_month_usd(self, disk_type: str) -> float:
        """Monthly price of one GiB of persistent disk of `disk_type` (pd-ssd, pd-balanced...)."""
        try:
            return float(self.disk_gib_month[disk_type])
        except KeyError:
            raise CapacityError("disk_type", f"no price for disk type {disk_type!r}") from None

    def local_ssd_gib_month_usd(self) -> float:
        """Monthly price of one GiB of local SSD."""
        return float(self.local_ssd_gib_month)

    def filestore_gib_month_usd(self, tier: str) -> float:
        """Monthly price of one provisioned GiB of a Filestore instance of `tier`."""
        try:
            return float(self.filestore_gib_month[tier])
        except KeyError:
            raise CapacityError("storage.tier", f"no price for Filestore tier {tier!r}") from None

    def registry_gib_month_usd(self) -> float:
        """Monthly price of one GiB stored in Artifact Registry."""
        return float(self.registry_gib_month)

    def nat_gateway_month_usd(self, vms: int | None = None) -> float:
        """Monthly price of a Cloud NAT gateway: per VM-hour up to the hourly cap (at the cap
        when `vms` is None). Data processing is traffic-dependent and not included."""
        per_vm = float(self.nat.get("gateway_hour_per_vm", 0.0))
        cap = float(self.nat.get("gateway_hour_max", 0.0))
        hourly = cap if vms is None else min(per_vm * max(vms, 0), cap)
        return hourly * self.hours_per_month

    def cluster_month_usd(self) -> float:
        """Monthly GKE cluster management fee."""
        return float(self.cluster_management_hour) * self.hours_per_month

    def describe(self) -> dict[str, str]:
        return {
            "region": self.region,
            "date": self.date,
            "source": self.source,
            "version": self.version,
        }


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CapacityError("--prices", f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise CapacityError("--prices", f"{path}:{line}: not UTF-8 text") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        at: int | None = getattr(exc, "lineno", None)
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            at = mark.line + 1
        where = f"{path}:{at}" if at else str(path)
        raise CapacityError("--prices", f"{where}: not valid JSON/YAML") from None
    if not isinstance(data, dict):
        raise CapacityError("--prices", f"{path}: expected a mapping at the top level")
    return data


def _number(path: Path, field_name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CapacityError(field_name, f"{path}: expected a number, got {value!r}")
    if value < 0:
        raise CapacityError(field_name, f"{path}: price must not be negative, got {value}")
    return float(value)


def load_prices(path: Path | None = None) -> PriceTable:
    """Load the shipped price table, or the JSON/YAML table at `path` (same shape)."""
    src = Path(path) if path is not None else DEFAULT_PRICES
    data = _read(src)
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise CapacityError(missing[0], f"{src}: price table lacks {', '.join(missing)}")
    hours = _number(src, "hours_per_month", data["hours_per_month"])
    if hours <= 0:
        raise CapacityError("hours_per_month", f"{src}: must be positive")
    for key in ("machine_series", "nat"):
        if not isinstance(data[key], dict):
            raise CapacityError(key, f"{src}: {key}: expected a mapping")
    series: dict[str, dict[str, float]] = {}
    for name, rates in data["machine_series"].items():
        if not isinstance(rates, dict):
            raise CapacityError(f"machine_series.{name}", f"{src}: expected a mapping")
        for key in ("vcpu_hour", "gib_hour", "spot_vcpu_hour", "spot_gib_hour"):
            if key not in rates:
                raise CapacityError(f"machine_series.{name}.{key}", f"{src}: missing")
        series[name] = {k: _number(src, f"machine_series.{name}.{k}", v) for k, v in rates.items()}

    def table(key: str) -> dict[str, float]:
        raw = data[key]
        if not isinstance(raw, dict):
            raise CapacityError(key, f"{src}: expected a mapping")
        return {k: _number(src, f"{key}.{k}", v) for k, v in raw.items()}

    nat = {k: _number(src, f"nat.{k}", v) for k, v in data["nat"].items() if not isinstance(v, str)}
    return PriceTable(
        region=str(data["region"]),
        date=str(data["date"]),
        source=str(data["source"]),
        version=str(data.get("version", data["date"])),
        path=str(src),
        hours_per_month=hours,
        machine_series=series,
        disk_gib_month=table("disk_gib_month"),
        local_ssd_gib_month=_number(src, "local_ssd_gib_month", data["local_ssd_gib_month"]),
        filestore_gib_month=table("filestore_gib_month"),
        registry_gib_month=_number(src, "registry_gib_month", data["registry_gib_month"]),
        nat=nat,
        cluster_management_hour=_number(
            src, "cluster_management_hour", data.get("cluster_management_hour", 0.0)
        ),
        custom_premium=_number(src, "custom_premium", data.get("custom_premium", 0.0)),
    )
