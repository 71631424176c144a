"""The tag grammar: classes, versions, dates, display names, ordering; parsing never raises."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciplat.images.tags import TagClass, parse_tag, sort_newest_first


@pytest.mark.parametrize(
    ("tag", "cls", "display", "version"),
    [
        ("r29_1_0", TagClass.RELEASE, "Release r29.1.0", (29, 1, 0)),
        ("r170", TagClass.RELEASE, "Release r17.0", (17, 0, 0)),
        ("r29_0_0_rc2", TagClass.RELEASE_CANDIDATE, "Release Candidate r29.0.0-rc2", (29, 0, 0, 2)),
        ("w_2026_47", TagClass.WEEKLY, "Weekly 2026_47", (2026, 47)),
        ("d_2026_11_27", TagClass.DAILY, "Daily 2026_11_27", (2026, 11, 27)),
        (
            "exp_w_2026_47_dask",
            TagClass.EXPERIMENTAL,
            "Experimental Weekly 2026_47 [dask]",
            (2026, 47),
        ),
        ("exp_random_thing", TagClass.EXPERIMENTAL, "Experimental random_thing", ()),
        ("exp_", TagClass.UNKNOWN, "exp_", ()),
        ("latest", TagClass.UNKNOWN, "latest", ()),
        ("r29_x", TagClass.UNKNOWN, "r29_x", ()),
        ("w_2026_99", TagClass.UNKNOWN, "w_2026_99", ()),
        ("d_2026_02_30", TagClass.UNKNOWN, "d_2026_02_30", ()),
        ("r1700", TagClass.UNKNOWN, "r1700", ()),
    ],
)
def test_classes_versions_and_names(tag: str, cls: TagClass, display: str, version: tuple) -> None:
    parsed = parse_tag(tag)
    assert parsed.cls is cls
    assert parsed.display_name == display
    assert parsed.version == version
    assert parsed.tag == tag


def test_suffixes_cycle_build_extra_arch() -> None:
    t = parse_tag("w_2026_47_c0044.003_rsp12_gpu-arm64")
    assert t.cls is TagClass.WEEKLY
    assert (t.cycle, t.cycle_build, t.build, t.extra, t.arch) == (44, 3, 12, "gpu", "arm64")
    assert t.display_name == "Weekly 2026_47 (Cycle 0044, Build 003) (RSP Build 12) [gpu] (arm64)"
    r = parse_tag("r29_1_0_c0045")
    assert (r.cls, r.cycle, r.cycle_build, r.build) == (TagClass.RELEASE, 45, None, None)
    assert r.display_name == "Release r29.1.0 (Cycle 0045)"
    e = parse_tag("exp_d_2026_11_01_rsp3-amd64")
    assert (e.cls, e.build, e.arch) == (TagClass.EXPERIMENTAL, 3, "amd64")
    assert e.display_name == "Experimental Daily 2026_11_01 (RSP Build 3) (amd64)"
    assert parse_tag("latest-arm64").arch == "arm64"
    assert parse_tag("r29_1_0_a-b-c").extra == "a-b-c"  # not an architecture
    assert parse_tag("r29_1_0_a-b-c").arch is None


def test_dates() -> None:
    assert parse_tag("w_2026_47").date == dt.date(2026, 11, 16)  # Monday of ISO week 47
    assert parse_tag("d_2026_11_27").date == dt.date(2026, 11, 27)
    assert parse_tag("w_2025_53").date is None  # 2025 has 52 ISO weeks: a weekly with no date
    assert parse_tag("w_2025_53").cls is TagClass.WEEKLY
    assert parse_tag("r29_1_0").date is None


def test_aliases() -> None:
    t = parse_tag("latest_weekly", aliases=["recommended", "latest_weekly"])
    assert t.cls is TagClass.ALIAS
    assert t.display_name == "Latest Weekly"
    assert parse_tag("latest_weekly").cls is TagClass.UNKNOWN  # not configured: unknown


def test_menu_order_classes_then_newest_first() -> None:
    tags = [
        "exp_w_2026_47",
        "d_2026_11_26",
        "w_2026_46",
        "r28_0_0",
        "r29_0_0_rc1",
        "odd",
        "w_2026_47",
        "r29_1_0",
        "recommended",
        "d_2026_11_27",
        "r170",
    ]
    order = [t.tag for t in sort_newest_first(parse_tag(t, ["recommended"]) for t in tags)]
    assert order == [
        "recommended",
        "r29_1_0",
        "r28_0_0",
        "r170",
        "w_2026_47",
        "w_2026_46",
        "d_2026_11_27",
        "d_2026_11_26",
        "r29_0_0_rc1",
        "exp_w_2026_47",
        "odd",
    ]


def test_ordering_within_class_by_version_then_cycle_then_build() -> None:
    tags = ["w_2026_47_c0044.001", "w_2026_47_c0045", "w_2026_47_c0044.002", "w_2026_46_c0099"]
    order = [t.tag for t in sort_newest_first(parse_tag(t) for t in tags)]
    assert order == [
        "w_2026_47_c0045",
        "w_2026_47_c0044.002",
        "w_2026_47_c0044.001",
        "w_2026_46_c0099",
    ]
    builds = ["r29_1_0_rsp2", "r29_1_0_rsp10", "r29_1_0"]
    assert [t.tag for t in sort_newest_first(parse_tag(t) for t in builds)] == [
        "r29_1_0_rsp10",
        "r29_1_0_rsp2",
        "r29_1_0",
    ]
    # numeric, not lexical: r9 is older than r10
    assert [t.tag for t in sort_newest_first(parse_tag(t) for t in ["r9_0_0", "r10_0_0"])] == [
        "r10_0_0",
        "r9_0_0",
    ]


TAG_CHARS = st.sampled_from([*"abcdrwexp_c-.0123456789", "rsp", "_rc", "amd64", "arm64"])


@settings(max_examples=500)
@given(st.text())
def test_parsing_any_text_never_raises(text: str) -> None:
    t = parse_tag(text, aliases=["recommended"])
    assert t.tag == text
    assert isinstance(t.display_name, str) and t.display_name
    _ = t.sort_key, t.newest_first_key


@settings(max_examples=1000)
@given(st.lists(TAG_CHARS, max_size=30).map("".join))
def test_parsing_tag_like_strings_never_raises_and_sorts(text: str) -> None:
    t = parse_tag(text)
    assert t.tag == text
    assert t.display_name
    # keys are totally ordered against any other parsed tag
    sorted(
        [t, parse_tag("w_2026_47"), parse_tag("r29_1_0"), parse_tag("zzz")],
        key=lambda x: x.sort_key,
    )


@given(
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.one_of(st.none(), st.integers(0, 9999)),
    st.one_of(st.none(), st.integers(0, 999)),
)
def test_release_round_trip(
    major: int, minor: int, patch: int, cycle: int | None, build: int | None
) -> None:
    tag = f"r{major}_{minor}_{patch}"
    if cycle is not None:
        tag += f"_c{cycle:04d}"
    if build is not None:
        tag += f"_rsp{build}"
    t = parse_tag(tag)
    assert t.cls is TagClass.RELEASE
    assert t.version == (major, minor, patch)
    assert t.cycle == cycle
    assert t.build == build
    assert t.display_name.startswith(f"Release r{major}.{minor}.{patch}")
