"""Lab images added and removed, read from the hub's Helm values."""

from __future__ import annotations

from typing import Any

import yaml

from sciplat.review.images import image_delta, images_in_values
from sciplat.review.plan import parse_plan


def _release(before: Any, after: Any, **marks: Any) -> list:
    entry = {
        "address": "module.hub.helm_release.hub",
        "mode": "managed",
        "type": "helm_release",
        "name": "hub",
        "change": {"actions": ["update"], "before": before, "after": after, **marks},
    }
    return parse_plan({"format_version": "1.2", "resource_changes": [entry]}).changes


def _values(*tags: str, extra: dict | None = None) -> str:
    doc: dict[str, Any] = {
        "singleuser": {
            "profileList": [
                {
                    "display_name": "Lab",
                    "profile_options": {
                        "image": {
                            "choices": {
                                t: {
                                    "kubespawner_override": {
                                        "image": f"r.example/lab:{t}@sha256:{i}"
                                    }
                                }
                                for i, t in enumerate(tags)
                            }
                        }
                    },
                }
            ]
        }
    }
    if extra:
        doc["prePuller"] = {"extraImages": extra}
    return yaml.safe_dump(doc)


def test_images_are_compared_by_tag_not_digest() -> None:
    changes = _release(
        {"values": [_values("w_2026_40", "w_2026_41")]},
        {"values": [_values("w_2026_41", "w_2026_42")]},
    )
    delta = image_delta(changes)
    assert delta.added == ["r.example/lab:w_2026_42"]
    assert delta.removed == ["r.example/lab:w_2026_40"]
    assert not delta.unknown


def test_later_values_documents_override_earlier_ones_and_prepuller_counts() -> None:
    extra = {"cached": {"name": "r.example/lab", "tag": "recommended"}}
    after = [_values("a"), _values("b", extra=extra)]
    refs = images_in_values(yaml.safe_load(after[1]))
    assert refs == {"r.example/lab:b": "sha256:0", "r.example/lab:recommended": None}
    delta = image_delta(_release({"values": [_values("a")]}, {"values": after}))
    assert delta.added == ["r.example/lab:b", "r.example/lab:recommended"]
    assert delta.removed == ["r.example/lab:a"]


def test_sensitive_values_make_the_lists_incomplete() -> None:
    changes = _release(
        {"values": [_values("a")]},
        {"values": [_values("b")]},
        before_sensitive={"values": [True]},
        after_sensitive={"values": [True]},
    )
    delta = image_delta(changes)
    assert delta.unknown
    assert delta.added == [] and delta.removed == []


def test_broken_yaml_is_not_fatal() -> None:
    delta = image_delta(_release({"values": ["a: [1"]}, {"values": [_values("x")]}))
    assert delta.unknown and delta.added == ["r.example/lab:x"]


def test_digest_only_references_take_their_tag_from_the_prepuller() -> None:
    values = {
        "singleuser": {
            "profileList": [{"kubespawner_override": {"image": "r.example:5000/lab@sha256:aa"}}],
            "image": {"name": "r.example:5000/lab", "tag": "recommended@sha256:aa"},
        },
        "prePuller": {
            "extraImages": {"i0": {"name": "r.example:5000/lab", "tag": "w_1@sha256:aa"}}
        },
    }
    assert images_in_values(values) == {
        "r.example:5000/lab:recommended": "sha256:aa",
        "r.example:5000/lab:w_1": "sha256:aa",
    }
    values["singleuser"]["profileList"].append({"image": "r.example:5000/lab@sha256:bb"})
    assert images_in_values(values)["r.example:5000/lab@sha256:bb"] == "sha256:bb"


def test_a_moved_alias_is_reported_as_repinned() -> None:
    def doc(digest: str) -> str:
        extra = {"i0": {"name": "r.example/lab", "tag": f"recommended@{digest}"}}
        return yaml.safe_dump({"prePuller": {"extraImages": extra}})

    delta = image_delta(_release({"values": [doc("sha256:old")]}, {"values": [doc("sha256:new")]}))
    assert delta.added == [] and delta.removed == []
    assert [(r.image, r.before, r.after) for r in delta.repinned] == [
        ("r.example/lab:recommended", "sha256:old", "sha256:new")
    ]
