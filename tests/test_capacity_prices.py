"""The price table: shipped data, unit prices, and the --prices override."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sciplat.capacity import CapacityError, load_prices
from sciplat.capacity.prices import DEFAULT_PRICES
from sciplat.errors import UsageError


def test_shipped_table_names_region_date_and_source() -> None:
    p = load_prices()
    assert p.region == "us-central1"
    assert p.date and p.source
    assert p.hours_per_month == 730


def test_node_prices_follow_series_rates() -> None:
    p = load_prices()
    # n2: 8 vCPU x 0.031611 + 32 GiB x 0.004237
    assert p.node_hour_usd("n2-standard-8") == pytest.approx(0.388472)
    assert p.node_hour_usd("e2-standard-4") == pytest.approx(0.134012)
    assert p.node_hour_usd("n2-standard-8", spot=True) < p.node_hour_usd("n2-standard-8")
    for family in ("e2", "n2", "n2d", "c3", "t2d"):
        assert family in p.machine_series


def test_unknown_machine_type_is_a_capacity_error() -> None:
    with pytest.raises(CapacityError, match="machine_type"):
        load_prices().node_hour_usd("n9-mega-1")
    assert issubclass(CapacityError, UsageError)


def test_other_unit_prices() -> None:
    p = load_prices()
    assert p.disk_gib_month_usd("pd-ssd") > p.disk_gib_month_usd("pd-balanced")
    assert p.local_ssd_gib_month_usd() > 0
    assert p.filestore_gib_month_usd("BASIC_HDD") < p.filestore_gib_month_usd("ENTERPRISE")
    assert p.registry_gib_month_usd() > 0
    assert p.nat_gateway_month_usd() == pytest.approx(0.044 * 730)
    assert p.nat_gateway_month_usd(vms=10) == pytest.approx(0.0014 * 10 * 730)
    with pytest.raises(CapacityError, match="disk_type"):
        p.disk_gib_month_usd("floppy")
    with pytest.raises(CapacityError, match="tier"):
        p.filestore_gib_month_usd("PLATINUM")


def test_prices_override_from_yaml(tmp_path: Path) -> None:
    data = json.loads(DEFAULT_PRICES.read_text())
    data["region"] = "europe-west4"
    data["machine_series"]["n2"]["vcpu_hour"] = 1.0
    path = tmp_path / "prices.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data))
    p = load_prices(path)
    assert p.region == "europe-west4"
    assert p.node_hour_usd("n2-standard-8") == pytest.approx(8.0 + 32 * 0.004237)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("region"), "region"),
        (lambda d: d["disk_gib_month"].update({"pd-ssd": -1}), "disk_gib_month.pd-ssd"),
        (lambda d: d["machine_series"]["e2"].pop("spot_gib_hour"), "machine_series.e2"),
        (lambda d: d.update({"hours_per_month": 0}), "hours_per_month"),
        (lambda d: d.update({"machine_series": ["e2"]}), "machine_series: expected a mapping"),
        (lambda d: d.update({"nat": 5}), "nat: expected a mapping"),
    ],
)
def test_bad_price_tables_name_the_field(tmp_path: Path, mutate, field: str) -> None:
    data = json.loads(DEFAULT_PRICES.read_text())
    mutate(data)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CapacityError, match=field.replace(".", r"\.")):
        load_prices(path)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(CapacityError, match="cannot read"):
        load_prices(tmp_path / "missing.json")
    bad = tmp_path / "bad.yaml"
    bad.write_text("region: [unclosed\n")
    with pytest.raises(CapacityError, match=r"bad\.yaml:\d+"):
        load_prices(bad)


def test_a_price_file_that_is_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "prices.yaml"
    bad.write_bytes(b"region: us-central1\nsource: \xff\n")
    with pytest.raises(CapacityError, match=r"prices\.yaml:2: not UTF-8 text"):
        load_prices(bad)
