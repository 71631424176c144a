"""Lab images added and removed by a plan, read from the hub's Helm values."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import yaml

from sciplat.review.plan import ResourceChange, Sensitive, _Marker


@dataclass(frozen=True)
class ImageDelta:
    added: list[str]
    removed: list[str]
    unknown: bool  # some values were sensitive or unknown, so the lists may be incomplete


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it


@functools.lru_cache(maxsize=256)
def _load_yaml(text: str) -> Any:
    """Parse one values document (cached: before and after often share documents)."""
    return yaml.load(text, Loader=_LOADER)


def _values(release: Any) -> tuple[dict[str, Any], bool]:
    """Merge a helm_release's `values` documents in order, as Helm does."""
    merged: dict[str, Any] = {}
    incomplete = False
    docs = release.get("values") if isinstance(release, dict) else None
    if isinstance(docs, _Marker):
        return merged, True
    for doc in docs or []:
        if isinstance(doc, _Marker) or not isinstance(doc, str):
            incomplete = True
            continue
        try:
            loaded = _load_yaml(doc)
        except yaml.YAMLError:
            incomplete = True
            continue
        if isinstance(loaded, dict):
            merged = _merge(merged, loaded)  # _merge never mutates its inputs
    return merged, incomplete


def _image_strings(obj: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "image" and isinstance(value, str):
                found.add(value)
            else:
                found |= _image_strings(value)
    elif isinstance(obj, list):
        for value in obj:
            found |= _image_strings(value)
    return found


def images_in_values(values: dict[str, Any]) -> set[str]:
    """Image references (`repository:tag`, maybe `@digest`) in profileList and prePuller."""
    refs = _image_strings((values.get("singleuser") or {}).get("profileList") or [])
    extra = (values.get("prePuller") or {}).get("extraImages") or {}
    if isinstance(extra, dict):
        for item in extra.values():
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                tag = item.get("tag")
                refs.add(f"{item['name']}:{tag}" if tag else item["name"])
    return refs


def _by_tag(ref: str) -> str:
    """docker.io/x/lab:w_2026_10@sha256:... -> docker.io/x/lab:w_2026_10."""
    return ref.split("@", 1)[0]


def image_delta(changes: list[ResourceChange]) -> ImageDelta:
    """Images (by tag) that the plan adds to and removes from every helm_release."""
    before: set[str] = set()
    after: set[str] = set()
    unknown = False
    for change in changes:
        if change.type != "helm_release" or change.action in ("no-op", "read"):
            continue
        for side, target in ((change.before, before), (change.after, after)):
            if side is None:
                continue
            if isinstance(side, Sensitive):
                unknown = True
                continue
            values, incomplete = _values(side)
            unknown = unknown or incomplete
            target |= {_by_tag(r) for r in images_in_values(values)}
    return ImageDelta(sorted(after - before), sorted(before - after), unknown)
