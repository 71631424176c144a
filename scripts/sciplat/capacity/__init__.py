"""The capacity planner: from users and per-user rules to nodes, disks, storage, IPs and cost.

Public interface (others depend on these names):
- `plan_capacity(env, users=None, machine_type=None, prices_path=None) -> Sizing`
- `CapacityError` (a `sciplat.errors.UsageError`)
- `allocatable(machine) -> Allocatable` and `machines.lookup(name) -> Machine | None`
- `prices.load_prices(path=None) -> PriceTable`
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sciplat.capacity import machines, prices
    from sciplat.capacity.errors import CapacityError
    from sciplat.capacity.machines import Machine
    from sciplat.capacity.node import Allocatable, allocatable
    from sciplat.capacity.plan import Planner, Sizing, plan_capacity
    from sciplat.capacity.prices import PriceTable, load_prices

# Name -> the submodule that defines it. Submodules are imported on first use (PEP 562), so
# `sciplat validate`, which needs only the node model, does not pay for the planner.
_LAZY = {
    "Allocatable": "sciplat.capacity.node",
    "CapacityError": "sciplat.capacity.errors",
    "Machine": "sciplat.capacity.machines",
    "Planner": "sciplat.capacity.plan",
    "PriceTable": "sciplat.capacity.prices",
    "Sizing": "sciplat.capacity.plan",
    "allocatable": "sciplat.capacity.node",
    "load_prices": "sciplat.capacity.prices",
    "plan_capacity": "sciplat.capacity.plan",
}
_SUBMODULES = {"machines", "prices"}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Allocatable",
    "CapacityError",
    "Machine",
    "Planner",
    "PriceTable",
    "Sizing",
    "allocatable",
    "load_prices",
    "machines",
    "plan_capacity",
    "prices",
]
