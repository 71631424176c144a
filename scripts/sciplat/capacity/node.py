"""What a node can give pods: GKE's documented reservations applied to a machine type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sciplat.capacity._data import load
from sciplat.capacity.machines import Machine

MIB_PER_GIB = 1024.0


@dataclass(frozen=True)
class Allocatable:
    """Resources a node offers to pods after GKE's reservations (before any DaemonSet)."""

    cpu_cores: float
    memory_gib: float
    ephemeral_gib: float
    kernel_memory_gib: float  # what the kernel reports as node capacity
    reserved_cpu_cores: float
    reserved_memory_gib: float  # reservation + eviction threshold
    ephemeral_capacity_gib: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu": round(self.cpu_cores, 4),
            "memory_gib": round(self.memory_gib, 3),
            "ephemeral_gib": round(self.ephemeral_gib, 2),
            "kernel_memory_gib": round(self.kernel_memory_gib, 3),
            "reserved_cpu": round(self.reserved_cpu_cores, 4),
            "reserved_memory_gib": round(self.reserved_memory_gib, 3),
            "ephemeral_capacity_gib": round(self.ephemeral_capacity_gib, 2),
        }


def _tiered(amount: float, tiers: list[dict[str, Any]], key: str) -> float:
    reserved = 0.0
    lower = 0.0
    for tier in tiers:
        upper = tier[key]
        top = amount if upper is None else min(amount, float(upper))
        if top > lower:
            reserved += (top - lower) * float(tier["fraction"])
        if upper is None or amount <= upper:
            break
        lower = float(upper)
    return reserved


def kernel_memory_gib(nominal_gib: float) -> float:
    """Memory the kernel reports for a machine with `nominal_gib` (page metadata, firmware)."""
    model = load("gke.json")["kernel_memory"]
    mib = nominal_gib * MIB_PER_GIB
    mib -= mib * float(model["page_metadata_fraction"]) + float(model["fixed_mib"])
    return max(mib, 0.0) / MIB_PER_GIB


def reserved_memory_gib(capacity_gib: float) -> float:
    """GKE's memory reservation for a node reporting `capacity_gib`, eviction threshold included."""
    rules = load("gke.json")["memory_reservation"]
    if capacity_gib < float(rules["small_machine_below_gib"]):
        reserved = float(rules["small_machine_reserved_mib"]) / MIB_PER_GIB
    else:
        reserved = _tiered(capacity_gib, rules["tiers_gib"], "up_to_gib")
    return reserved + float(rules["eviction_threshold_mib"]) / MIB_PER_GIB


def reserved_cpu_cores(cores: float) -> float:
    """GKE's CPU reservation for a node with `cores` vCPUs."""
    return _tiered(cores, load("gke.json")["cpu_reservation"]["tiers_cores"], "up_to_cores")


def ephemeral_gib(boot_disk_gib: float, local_ssd_count: int = 0) -> tuple[float, float]:
    """(capacity, allocatable) GiB of ephemeral storage from the boot disk or local SSDs."""
    rules = load("gke.json")["ephemeral_storage"]
    eviction = float(rules["eviction_fraction"])
    if local_ssd_count > 0:
        capacity = local_ssd_count * float(rules["local_ssd_gib"])
        table = rules["local_ssd_reserved_gib"]
        reserved = float(table[str(min(local_ssd_count, 3))])
    else:
        capacity = max(boot_disk_gib - float(rules["boot_os_partitions_gib"]), 0.0)
        reserved = min(
            float(rules["boot_reserved_fraction_cap"]) * boot_disk_gib,
            float(rules["boot_reserved_fixed_gib"])
            + float(rules["boot_reserved_fraction"]) * boot_disk_gib,
            float(rules["boot_reserved_max_gib"]),
        )
    return capacity, max(capacity - reserved - eviction * capacity, 0.0)


def allocatable(
    machine: Machine,
    *,
    boot_disk_gib: float = 100.0,
    local_ssd_count: int = 0,
    kernel_memory: float | None = None,
) -> Allocatable:
    """Allocatable CPU, memory and ephemeral storage of a GKE node of `machine`.

    Memory: GKE's tiered reservation (25/20/10/6/2 %) plus the 100 MiB eviction threshold,
    applied to the memory the kernel reports (`kernel_memory`, or modelled from the nominal
    size). CPU: 6 % of the first core, 1 % of the next, 0.5 % of the next 2, 0.25 % above 4.
    Ephemeral storage: the boot disk, or local SSDs when `local_ssd_count` > 0.
    """
    kernel = kernel_memory if kernel_memory is not None else kernel_memory_gib(machine.memory_gib)
    mem_reserved = reserved_memory_gib(kernel)
    cpu_reserved = reserved_cpu_cores(machine.cpu_cores)
    eph_capacity, eph_alloc = ephemeral_gib(boot_disk_gib, local_ssd_count)
    return Allocatable(
        cpu_cores=machine.cpu_cores - cpu_reserved,
        memory_gib=max(kernel - mem_reserved, 0.0),
        ephemeral_gib=eph_alloc,
        kernel_memory_gib=kernel,
        reserved_cpu_cores=cpu_reserved,
        reserved_memory_gib=mem_reserved,
        ephemeral_capacity_gib=eph_capacity,
    )
