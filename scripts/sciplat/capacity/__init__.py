"""The capacity planner: from users and per-user rules to nodes, disks, storage, IPs and cost.

Public interface (others depend on these names):
- `plan_capacity(env, users=None, machine_type=None, prices_path=None) -> Sizing`
- `CapacityError` (a `sciplat.errors.UsageError`)
- `allocatable(machine) -> Allocatable` and `machines.lookup(name) -> Machine | None`
- `prices.load_prices(path=None) -> PriceTable`
"""

from __future__ import annotations

from sciplat.capacity import machines, prices
from sciplat.capacity.errors import CapacityError
from sciplat.capacity.machines import Machine
from sciplat.capacity.node import Allocatable, allocatable
from sciplat.capacity.plan import Planner, Sizing, plan_capacity
from sciplat.capacity.prices import PriceTable, load_prices

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
