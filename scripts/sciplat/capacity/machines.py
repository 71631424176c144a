"""The machine catalogue: predefined Compute Engine machine types a node pool can use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sciplat.capacity._data import load


@dataclass(frozen=True)
class Machine:
    """One predefined machine type: nominal vCPUs and memory as Compute Engine sells it."""

    name: str
    family: str
    cpu_cores: float
    memory_gib: float
    local_ssd: bool = True  # the series can attach local SSDs to this shape
    custom: bool = False  # a custom machine type (FAMILY-custom-CPUS-MEMORY_MIB)


@cache
def _catalogue() -> dict[str, Machine]:
    out: dict[str, Machine] = {}
    for row in load("machines.json")["machines"]:
        out[row["name"]] = Machine(
            name=row["name"],
            family=row["family"],
            cpu_cores=float(row["cpu_cores"]),
            memory_gib=float(row["memory_gib"]),
            local_ssd=row.get("local_ssd") != "none",
        )
    return out


# Custom machine types: vCPUs and memory chosen freely within the series' rules.
_CUSTOM = re.compile(r"^(?P<family>e2|n2|n2d)-custom-(?P<cpus>\d{1,3})-(?P<mib>\d{3,7})$")
_CUSTOM_RULES = {  # series: (allowed vCPU counts, min and max GiB per vCPU)
    "e2": (set(range(2, 33, 2)), 0.5, 8.0),
    "n2": ({2, 4, 6, 8, *range(10, 33, 2), *range(36, 81, 4)}, 0.5, 8.0),
    "n2d": ({2, 4, 8, 16, 32, 48, 64, 80, 96}, 0.5, 8.0),
}


def _custom(machine_type: str) -> Machine | None:
    match = _CUSTOM.match(machine_type)
    if match is None:
        return None
    family = match["family"]
    cpus, mib = int(match["cpus"]), int(match["mib"])
    allowed, lo, hi = _CUSTOM_RULES[family]
    if cpus not in allowed or mib % 256 or not lo * cpus <= mib / 1024 <= hi * cpus:
        return None
    return Machine(
        machine_type, family, float(cpus), mib / 1024, local_ssd=family != "e2", custom=True
    )


def lookup(machine_type: str) -> Machine | None:
    """Return the machine type (e.g. "n2-standard-8", "n2-custom-6-16384"), or None if unknown."""
    return _catalogue().get(machine_type) or _custom(machine_type)


def names() -> list[str]:
    """Names of the predefined machine types in the catalogue."""
    return list(_catalogue())


def catalogue() -> list[Machine]:
    """Every machine type in the catalogue, in file order."""
    return list(_catalogue().values())


def families() -> list[str]:
    """The machine series in the catalogue (e2, n2, ...), sorted."""
    return sorted({m.family for m in _catalogue().values()})
