"""The machine catalogue: predefined Compute Engine machine types a node pool can use."""

from __future__ import annotations

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

    @property
    def memory_mib(self) -> float:
        return self.memory_gib * 1024


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


def lookup(machine_type: str) -> Machine | None:
    """Return the catalogue entry for `machine_type` (e.g. "n2-standard-8"), or None."""
    return _catalogue().get(machine_type)


def catalogue() -> list[Machine]:
    """Every machine type in the catalogue, in file order."""
    return list(_catalogue().values())


def families() -> list[str]:
    """The machine series in the catalogue (e2, n2, ...), sorted."""
    return sorted({m.family for m in _catalogue().values()})
