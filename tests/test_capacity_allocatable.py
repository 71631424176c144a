"""Node allocatable: GKE's reservation formula, checked against real nodes' published values."""

from __future__ import annotations

import itertools
import json

import pytest

from sciplat.capacity import allocatable, machines
from sciplat.capacity._data import DATA_DIR
from sciplat.capacity.node import (
    ephemeral_gib,
    kernel_memory_gib,
    reserved_cpu_cores,
    reserved_memory_gib,
)

GIB = 2**30
MEASURED = json.loads((DATA_DIR / "measurements.json").read_text())["nodes"]


def test_at_least_eight_machine_types_are_measured() -> None:
    assert len({n["machine_type"] for n in MEASURED}) >= 8


@pytest.mark.parametrize("node", MEASURED, ids=lambda n: n["machine_type"])
def test_allocatable_matches_published_gke_nodes(node: dict) -> None:
    machine = machines.lookup(node["machine_type"])
    assert machine is not None
    alloc = allocatable(machine)
    measured_gib = node["allocatable_memory"] / GIB
    assert abs(alloc.memory_gib - measured_gib) / measured_gib < 0.02
    assert abs(alloc.cpu_cores - node["allocatable_cpu"]) <= 0.01


@pytest.mark.parametrize(
    "node", [n for n in MEASURED if n["capacity_memory"]], ids=lambda n: n["machine_type"]
)
def test_kernel_memory_model_tracks_reported_capacity(node: dict) -> None:
    machine = machines.lookup(node["machine_type"])
    assert machine is not None
    reported = node["capacity_memory"] / GIB
    assert abs(kernel_memory_gib(machine.memory_gib) - reported) / reported < 0.002
    # Given the reported capacity, the documented formula alone lands within 0.1 %.
    exact = allocatable(machine, kernel_memory=reported)
    assert abs(exact.memory_gib - node["allocatable_memory"] / GIB) / reported < 0.001


@pytest.mark.parametrize(
    ("capacity_gib", "reserved_gib"),
    [
        (4, 1.0),  # 25 % of 4
        (8, 1.0 + 0.8),  # + 20 % of the next 4
        (16, 1.8 + 0.8),  # + 10 % of the next 8
        (32, 2.6 + 0.96),  # + 6 % of the next 16
        (256, 2.6 + 6.72 + 2.56),  # 6 % of 112, then 2 % of 128
        (0.5, 255 / 1024),  # under 1 GiB: flat 255 MiB
    ],
)
def test_memory_reservation_worked_examples(capacity_gib: float, reserved_gib: float) -> None:
    eviction = 100 / 1024
    assert reserved_memory_gib(capacity_gib) == pytest.approx(reserved_gib + eviction)


@pytest.mark.parametrize(
    ("cores", "reserved"),
    [(1, 0.06), (2, 0.07), (4, 0.08), (8, 0.09), (16, 0.11), (96, 0.31)],
)
def test_cpu_reservation_worked_examples(cores: int, reserved: float) -> None:
    assert reserved_cpu_cores(cores) == pytest.approx(reserved)


def test_ephemeral_storage_from_a_100_gib_boot_disk_matches_gke() -> None:
    capacity, alloc = ephemeral_gib(100)
    assert capacity * GIB == pytest.approx(98831908 * 1024, rel=0.001)  # capacity 98831908Ki
    assert alloc * GIB == pytest.approx(47060071478, rel=0.002)  # allocatable bytes


def test_ephemeral_storage_from_local_ssd() -> None:
    capacity, alloc = ephemeral_gib(200, local_ssd_count=1)
    assert capacity == 375
    assert alloc == pytest.approx(375 - 50 - 37.5)
    _, two = ephemeral_gib(200, local_ssd_count=2)
    assert two == pytest.approx(750 - 75 - 75)
    _, four = ephemeral_gib(200, local_ssd_count=4)
    assert four == pytest.approx(1500 - 100 - 150)


def test_lookup_knows_the_catalogue_and_rejects_unknown_types() -> None:
    m = machines.lookup("n2-standard-8")
    assert m is not None and (m.cpu_cores, m.memory_gib, m.family) == (8, 32, "n2")
    assert machines.lookup("n2-standard-7") is None
    assert machines.lookup("") is None
    assert {"e2", "n2", "n2d", "c3", "t2d"} <= set(machines.families())


def test_bigger_machines_never_offer_less() -> None:
    sizes = [machines.lookup(f"n2-standard-{n}") for n in (2, 4, 8, 16, 32, 64)]
    allocs = [allocatable(m) for m in sizes if m is not None]
    assert all(a.memory_gib < b.memory_gib for a, b in itertools.pairwise(allocs))
    assert all(a.cpu_cores < b.cpu_cores for a, b in itertools.pairwise(allocs))
