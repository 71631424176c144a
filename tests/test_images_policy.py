"""Choosing the image set: quotas, cycle filter, pins, architectures, aliases by digest."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sciplat.errors import UsageError
from sciplat.images.policy import MAX_EXTRA_LOOKUPS, Policy, candidates, select
from sciplat.images.tags import TagClass, parse_tag

ROOT = Path(__file__).resolve().parents[1]

TAGS = [
    "recommended",
    "latest_weekly",
    "latest_daily",
    "r28_0_0",
    "r29_0_0",
    "r29_1_0",
    "r29_2_0_rc1",
    "r170",
    "w_2026_45",
    "w_2026_46",
    "w_2026_47",
    "w_2026_47-arm64",
    "w_2026_47-amd64",
    "d_2026_11_25",
    "d_2026_11_26",
    "d_2026_11_27",
    "d_2026_11_24",
    "exp_w_2026_47_dask",
    "some-odd.tag",
    "w_2026_40_c0044",
    "w_2026_41_c0044.002",
    "d_2026_11_20_c0044",
]


def digest_of(name: str) -> str:
    return "sha256:" + (name.encode().hex() * 64)[:64]


class Resolver:
    """Digests like a registry's: each tag its own; aliases share their target's."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = dict(aliases)
        self.calls: list[list[str]] = []

    def __call__(self, tags: list[str]) -> dict[str, str]:
        self.calls.append(list(tags))
        return {t: digest_of(self.aliases.get(t, t)) for t in tags}

    @property
    def looked_up(self) -> list[str]:
        return [t for call in self.calls for t in call]


def policy(**kw: object) -> Policy:
    base = Policy(
        registry="docker.io",
        repository="lsstsqre/sciplat-lab",
        recommended_tag="recommended",
        aliases=("latest_weekly", "latest_daily", "latest_release"),
    )
    return base.with_overrides(**kw)


def test_seed_defaults_pick_newest_of_each_class_in_menu_order() -> None:
    resolver = Resolver(
        {"recommended": "w_2026_46", "latest_weekly": "w_2026_47", "latest_daily": "d_2026_11_27"}
    )
    result = select(TAGS, policy(), resolver)
    assert [(i.tag, i.display_name) for i in result.images] == [
        ("recommended", "Recommended (Weekly 2026_46)"),
        ("latest_weekly", "Latest Weekly (Weekly 2026_47)"),
        ("latest_daily", "Latest Daily (Daily 2026_11_27)"),
        ("r29_1_0", "Release r29.1.0"),
        ("w_2026_47", "Weekly 2026_47"),
        ("w_2026_46", "Weekly 2026_46"),
        ("d_2026_11_27", "Daily 2026_11_27"),
        ("d_2026_11_26", "Daily 2026_11_26"),
        ("d_2026_11_25", "Daily 2026_11_25"),
    ]
    assert result.recommended == "recommended"
    assert [i.recommended for i in result.images] == [True] + [False] * 8
    assert result.images[0].digest == digest_of("w_2026_46")
    assert result.images[0].points_to == "w_2026_46"
    assert result.images[0].cls is TagClass.ALIAS
    # digests were looked up for the chosen tags only, in one batch
    assert len(resolver.calls) == 1
    assert sorted(resolver.looked_up) == sorted(i.tag for i in result.images)
    assert any("latest_release" in w for w in result.warnings)  # configured, absent


def test_quotas_zero_and_larger_than_available() -> None:
    result = select(TAGS, policy(releases=10, weeklies=0, dailies=0), Resolver({}))
    releases = [i.tag for i in result.images if i.cls is TagClass.RELEASE]
    assert releases == ["r29_1_0", "r29_0_0", "r28_0_0", "r170"]
    assert not [i for i in result.images if i.cls in (TagClass.WEEKLY, TagClass.DAILY)]


def test_architecture_tags_excluded_unless_asked() -> None:
    without, _ = candidates(TAGS, policy(weeklies=5))
    assert not [t for t in without if t.arch]
    with_arch, _ = candidates(TAGS, policy(weeklies=5, include_arch=True))
    assert {"w_2026_47-arm64", "w_2026_47-amd64"} <= {t.tag for t in with_arch}


def test_cycle_filter() -> None:
    result = select(TAGS, policy(cycle=44, releases=1, weeklies=5, dailies=5), Resolver({}))
    chosen = [i.tag for i in result.images if i.cls is not TagClass.ALIAS]
    assert chosen == ["w_2026_41_c0044.002", "w_2026_40_c0044", "d_2026_11_20_c0044"]


def test_pins_always_included_and_missing_pins_warned() -> None:
    result = select(
        TAGS,
        policy(weeklies=0, dailies=0, releases=0, pin=["exp_w_2026_47_dask", "r170", "gone"]),
        Resolver({}),
    )
    tags = [i.tag for i in result.images]
    assert "exp_w_2026_47_dask" in tags and "r170" in tags
    assert "pinned tag 'gone' is not in the registry" in result.warnings
    # pinned architecture-specific tags too
    pinned_arch = select(TAGS, policy(pin=["w_2026_47-arm64"]), Resolver({}))
    assert "w_2026_47-arm64" in [i.tag for i in pinned_arch.images]


def test_recommended_pointing_outside_the_set_is_found_by_bounded_search() -> None:
    resolver = Resolver({"recommended": "w_2026_45"})
    result = select(TAGS, policy(weeklies=1, dailies=0, releases=0), resolver)
    assert result.images[0].display_name == "Recommended (Weekly 2026_45)"
    assert len(resolver.calls) == 2  # the chosen set, then one batch of newest others
    assert len(resolver.looked_up) <= len(TAGS)


def test_recommended_pointing_nowhere_is_named_plainly_and_warned() -> None:
    many = [f"d_2026_{m:02d}_{d:02d}" for m in range(1, 13) for d in range(1, 28)]
    resolver = Resolver({"recommended": "nothing-like-it"})
    result = select(["recommended", *many], policy(dailies=1), resolver)
    assert result.images[0].display_name == "Recommended"
    assert result.images[0].points_to is None
    assert any("points at no tag" in w for w in result.warnings)
    extra = len(resolver.looked_up) - 2
    assert extra <= MAX_EXTRA_LOOKUPS


def test_missing_recommended_tag_warns_and_leaves_no_recommended() -> None:
    result = select(["w_2026_47"], policy(), Resolver({}))
    assert result.recommended is None
    assert "recommended tag 'recommended' is not in the registry" in result.warnings
    assert [i.tag for i in result.images] == ["w_2026_47"]


def test_json_shape() -> None:
    result = select(TAGS, policy(), Resolver({"recommended": "w_2026_47"}))
    doc = result.as_dict()
    assert doc["recommended"] == "recommended"
    assert set(doc["images"][0]) == {"tag", "digest", "class", "display_name", "recommended"}
    assert doc["images"][0]["class"] == "alias"


def test_policy_from_environment_file() -> None:
    data = yaml.safe_load((ROOT / "env" / "stable.yaml").read_text())
    p = Policy.from_environment(data)
    assert (p.registry, p.repository, p.recommended_tag) == (
        "docker.io",
        "lsstsqre/sciplat-lab",
        "recommended",
    )
    assert (p.releases, p.weeklies, p.dailies, p.cycle, p.pin, p.include_arch) == (
        1,
        2,
        3,
        None,
        (),
        False,
    )
    assert p.alias_tags == ("recommended", "latest_weekly", "latest_daily", "latest_release")


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ({"repository": "x"}, "hub.images.registry"),
        ({"registry": "docker.io", "repository": "x", "weeklies": -1}, "hub.images.weeklies"),
        ({"registry": "docker.io", "repository": "x", "dailies": "3"}, "hub.images.dailies"),
        ({"registry": "docker.io", "repository": "x", "cycle": "44"}, "hub.images.cycle"),
    ],
)
def test_bad_policy_names_the_field(images: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Policy.from_environment({"hub": {"images": images}}, source="env/x.yaml")


def test_a_version_counts_once_and_its_plain_tag_stands_for_it() -> None:
    tags = [
        "w_2026_47",
        "w_2026_47_c0044.000",
        "w_2026_47_rsp3",
        "w_2026_46_c0044.001",
        "w_2026_46_c0044.002",
        "w_2026_45",
    ]
    result = select(tags, policy(weeklies=2, releases=0, dailies=0), Resolver({}))
    assert [i.tag for i in result.images] == ["w_2026_47", "w_2026_46_c0044.002"]
    arch = select(
        [*tags, "w_2026_47-arm64"],
        policy(weeklies=1, releases=0, dailies=0, include_arch=True),
        Resolver({}),
    )
    assert [i.tag for i in arch.images] == ["w_2026_47", "w_2026_47-arm64"]


TAG = st.one_of(
    st.builds("r{}_{}_{}".format, st.integers(0, 40), st.integers(0, 5), st.integers(0, 3)),
    st.builds("w_{}_{:02d}".format, st.integers(2020, 2027), st.integers(1, 53)),
    st.builds(
        "d_{}_{:02d}_{:02d}".format, st.integers(2025, 2026), st.integers(1, 12), st.integers(1, 28)
    ),
    st.builds("{}_c{:04d}".format, st.sampled_from(["w_2026_47", "r29_1_0"]), st.integers(40, 46)),
    st.builds("{}-{}".format, st.sampled_from(["w_2026_47", "d_2026_11_01"]), st.just("arm64")),
    st.sampled_from(["recommended", "latest_weekly", "exp_w_2026_47", "odd", "r29_1_0_rc1"]),
    st.text(min_size=1, max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(
    tags=st.lists(TAG, max_size=60),
    releases=st.integers(0, 4),
    weeklies=st.integers(0, 4),
    dailies=st.integers(0, 4),
    cycle=st.one_of(st.none(), st.integers(40, 46)),
    include_arch=st.booleans(),
    pins=st.lists(TAG, max_size=3),
)
def test_selection_respects_the_policy_for_any_tag_history(
    tags: list[str],
    releases: int,
    weeklies: int,
    dailies: int,
    cycle: int | None,
    include_arch: bool,
    pins: list[str],
) -> None:
    p = policy(
        releases=releases,
        weeklies=weeklies,
        dailies=dailies,
        cycle=cycle,
        include_arch=include_arch,
        pin=pins,
    )
    result = select(tags, p, Resolver({"recommended": "w_2026_47"}))
    chosen = [i.tag for i in result.images]
    assert len(chosen) == len(set(chosen))
    assert set(chosen) <= set(tags)
    assert {t for t in pins if t in tags} <= set(chosen)
    picked = [i for i in result.images if i.tag not in pins]
    for cls, quota in (
        (TagClass.RELEASE, releases),
        (TagClass.WEEKLY, weeklies),
        (TagClass.DAILY, dailies),
    ):
        versions = {parse_tag(i.tag).version for i in picked if i.cls is cls}
        assert len(versions) <= quota
        for i in picked:
            if i.cls is cls:
                t = parse_tag(i.tag)
                assert include_arch or t.arch is None
                assert cycle is None or t.cycle == cycle
    assert all(i.digest for i in result.images)
    assert result.recommended == ("recommended" if "recommended" in tags else None)
    if result.images and result.recommended:
        assert result.images[0].recommended


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--pin", ""), ("--pin", "a/b"), ("--pin", "x" * 129), ("--recommended-tag", "-x")],
)
def test_tag_flags_are_checked_before_the_registry_is_asked(flag: str, value: str, run_cli) -> None:
    result = run_cli("images", "stable", flag, value)
    assert result.code == 2
    assert f"images: {flag} {value!r} is not a tag" in result.err
    assert "Traceback" not in result.err
