"""The edges of GKE's reservation rules in capacity/node.py: thresholds, rounding, immutability."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sciplat.capacity import allocatable, machines
from sciplat.capacity.node import (
    MIB_PER_GIB,
    Allocatable,
    kernel_memory_gib,
    reserved_cpu_cores,
    reserved_memory_gib,
)

EVICTION = 100 / MIB_PER_GIB


def test_small_machines_reserve_255_mib_below_1_gib_and_tiers_from_1_gib() -> None:
    assert reserved_memory_gib(0.99) == pytest.approx(255 / MIB_PER_GIB + EVICTION)
    assert reserved_memory_gib(1.0) == pytest.approx(0.25 * 1.0 + EVICTION)


@pytest.mark.parametrize(
    ("gib", "reserved"),
    [
        (4, 0.25 * 4),
        (8, 0.25 * 4 + 0.2 * 4),
        (16, 0.25 * 4 + 0.2 * 4 + 0.1 * 8),
        (128, 0.25 * 4 + 0.2 * 4 + 0.1 * 8 + 0.06 * 112),
        (256, 0.25 * 4 + 0.2 * 4 + 0.1 * 8 + 0.06 * 112 + 0.02 * 128),
    ],
)
def test_memory_tiers_at_their_edges(gib: float, reserved: float) -> None:
    assert reserved_memory_gib(gib) == pytest.approx(reserved + EVICTION)


@pytest.mark.parametrize(
    ("cores", "reserved"),
    [(1, 0.06), (2, 0.07), (4, 0.08), (8, 0.09), (0.5, 0.03)],
)
def test_cpu_tiers_at_their_edges(cores: float, reserved: float) -> None:
    assert reserved_cpu_cores(cores) == pytest.approx(reserved)


@given(a=st.floats(0.25, 512), b=st.floats(0.25, 512))
def test_reservations_grow_with_the_machine(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    if lo >= 1:
        assert reserved_memory_gib(lo) <= reserved_memory_gib(hi) + 1e-12
    assert reserved_cpu_cores(lo) <= reserved_cpu_cores(hi) + 1e-12


def test_kernel_memory_is_never_negative() -> None:
    assert kernel_memory_gib(0.0) == 0.0
    assert kernel_memory_gib(0.1) == 0.0  # the fixed part exceeds it
    assert kernel_memory_gib(16) == pytest.approx((16 * 1024 * (1 - 1 / 64) - 160) / 1024)


@pytest.mark.parametrize(
    "name", ["e2-standard-4", "n2-standard-8", "n2-highmem-16", "e2-standard-2"]
)
def test_to_dict_rounds_each_figure_as_documented(name: str) -> None:
    machine = machines.lookup(name)
    assert machine is not None
    alloc = allocatable(machine, boot_disk_gib=137.3, local_ssd_count=0)
    figures = alloc.to_dict()
    assert figures == {
        "cpu": round(alloc.cpu_cores, 4),
        "memory_gib": round(alloc.memory_gib, 3),
        "ephemeral_gib": round(alloc.ephemeral_gib, 2),
        "kernel_memory_gib": round(alloc.kernel_memory_gib, 3),
        "reserved_cpu": round(alloc.reserved_cpu_cores, 4),
        "reserved_memory_gib": round(alloc.reserved_memory_gib, 3),
        "ephemeral_capacity_gib": round(alloc.ephemeral_capacity_gib, 2),
    }


def test_rounding_is_visible_in_the_figures() -> None:
    machine = machines.lookup("n2-standard-8")
    assert machine is not None
    figures = allocatable(machine, boot_disk_gib=137.3).to_dict()
    assert figures["cpu"] == 7.91
    assert len(str(figures["reserved_cpu"]).split(".")[1]) <= 4
    assert len(str(figures["memory_gib"]).split(".")[1]) <= 3
    assert len(str(figures["ephemeral_gib"]).split(".")[1]) <= 2


def test_allocatable_is_immutable() -> None:
    machine = machines.lookup("e2-standard-4")
    assert machine is not None
    alloc = allocatable(machine)
    assert isinstance(alloc, Allocatable)
    with pytest.raises(dataclasses.FrozenInstanceError):
        alloc.cpu_cores = 99.0  # type: ignore[misc]


def test_a_boot_disk_smaller_than_the_os_gives_no_ephemeral_storage() -> None:
    from sciplat.capacity.node import ephemeral_gib

    assert ephemeral_gib(5.0) == (0.0, 0.0)
    assert ephemeral_gib(5.75) == (0.0, 0.0)
    capacity, alloc = ephemeral_gib(10.0)
    assert capacity == pytest.approx(4.25) and alloc == 0.0  # reserved 5 GiB exceeds it


@pytest.mark.parametrize(("ssds", "reserved"), [(1, 50), (2, 75), (3, 100), (4, 100)])
def test_local_ssd_reservations(ssds: int, reserved: float) -> None:
    from sciplat.capacity.node import ephemeral_gib

    capacity, alloc = ephemeral_gib(100.0, ssds)
    assert capacity == 375 * ssds
    assert alloc == pytest.approx(capacity - reserved - 0.1 * capacity)


def test_defaults_are_a_100_gib_boot_disk_without_local_ssd() -> None:
    machine = machines.lookup("n2-standard-8")
    assert machine is not None
    assert allocatable(machine) == allocatable(machine, boot_disk_gib=100.0, local_ssd_count=0)
    assert allocatable(machine).ephemeral_capacity_gib == pytest.approx(100.0 - 5.75)


def test_memory_is_never_negative_on_a_tiny_kernel() -> None:
    machine = machines.lookup("e2-standard-2")
    assert machine is not None
    assert allocatable(machine, kernel_memory=0.1).memory_gib == 0.0
    assert allocatable(machine, kernel_memory=0.5).memory_gib == pytest.approx(
        0.5 - 255 / 1024 - 100 / 1024
    )


def test_to_dict_rounds_to_the_documented_places() -> None:
    figures = Allocatable(
        cpu_cores=1.234567,
        memory_gib=2.345678,
        ephemeral_gib=3.456789,
        kernel_memory_gib=4.567891,
        reserved_cpu_cores=0.123456,
        reserved_memory_gib=0.654321,
        ephemeral_capacity_gib=5.678912,
    ).to_dict()
    assert figures == {
        "cpu": 1.2346,
        "memory_gib": 2.346,
        "ephemeral_gib": 3.46,
        "kernel_memory_gib": 4.568,
        "reserved_cpu": 0.1235,
        "reserved_memory_gib": 0.654,
        "ephemeral_capacity_gib": 5.68,
    }
