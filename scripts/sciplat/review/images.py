"""Lab images added and removed by a plan, read from the hub's Helm values."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import yaml

from sciplat.review.plan import ResourceChange, Sensitive, _Marker

IMAGE_REFS_OUTPUT = "image_refs"  # the root output listing the lab images (terraform/outputs.tf)


@dataclass(frozen=True)
class Repin:
    """The same image and tag, pinned to another digest (a moved alias such as `recommended`)."""

    image: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ImageDelta:
    added: list[str]
    removed: list[str]
    repinned: list[Repin]
    unknown: bool  # some values were sensitive or unknown, so the lists may be incomplete


def split_ref(ref: str) -> tuple[str, str | None, str | None]:
    """ "host/repo:tag@sha256:x" -> ("host/repo", "tag", "sha256:x"); tag or digest may be None."""
    name, _, digest = ref.partition("@")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:  # a colon before the last slash is a registry port, not a tag
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it


MAX_VALUES_BYTES = 4 << 20  # one Helm values document
MAX_VALUES_NODES = 200_000  # nodes of one document after its aliases are expanded
MAX_VALUES_DEPTH = 100


class ValuesTooLarge(ValueError):
    """A values document beyond the limits above (an alias bomb, absurd nesting)."""


@functools.lru_cache(maxsize=256)
def _load_yaml(text: str) -> Any:
    """Parse one values document (cached: before and after often share documents); refuse
    one that is too big, too deep, or expands (through aliases) past MAX_VALUES_NODES."""
    if len(text) > MAX_VALUES_BYTES:
        raise ValuesTooLarge("values document too large")
    try:
        loaded = yaml.load(text, Loader=_LOADER)
    except (RecursionError, ValueError) as exc:  # deep nesting, 5,000-digit integers
        raise ValuesTooLarge(str(exc)[:100]) from None
    _check_size(loaded)
    return loaded


def _check_size(document: Any) -> None:
    """Walk the document as consumers will (aliases expanded), within the limits; a document
    that contains itself (a recursive alias) is endless, so it fails the depth limit."""
    stack = [(document, 1)]
    visited = 0
    while stack:
        item, depth = stack.pop()
        visited += 1
        if visited > MAX_VALUES_NODES or depth > MAX_VALUES_DEPTH:
            raise ValuesTooLarge("values document too large or too deep")
        if isinstance(item, dict | list):
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


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
        except (yaml.YAMLError, ValuesTooLarge):
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


def _section(values: Any, key: str) -> dict[str, Any]:
    """values[key] when it is a mapping; {} for any other shape (a chart would reject it)."""
    section = values.get(key) if isinstance(values, dict) else None
    return section if isinstance(section, dict) else {}


def images_in_values(values: dict[str, Any]) -> dict[str, str | None]:
    """The image set of merged Helm values: `repository:tag` -> digest (or None).

    The prepuller's entries carry the tag (`tag@digest` when pinned); profile choices and the
    default image may name only `repository@digest`, which the prepuller's digests map back to a
    tag. A digest no tag is known for is listed as `repository@digest`.
    """
    tagged: dict[str, str | None] = {}
    by_digest: dict[str, str] = {}
    refs: list[str] = []
    extra = _section(values, "prePuller").get("extraImages") or {}
    single = _section(values, "singleuser").get("image")
    pairs = list(extra.values()) if isinstance(extra, dict) else []
    if isinstance(single, dict):
        pairs.append(single)
    for item in pairs:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            tag = item.get("tag")
            tag = tag if isinstance(tag, str | int | float) and not isinstance(tag, bool) else None
            refs.append(f"{item['name']}:{tag}" if tag else item["name"])
    refs += sorted(_image_strings(_section(values, "singleuser").get("profileList") or []))
    pending: list[tuple[str, str]] = []
    for ref in refs:
        name, tag, digest = split_ref(ref)
        if tag is not None:
            tagged[f"{name}:{tag}"] = digest or tagged.get(f"{name}:{tag}")
            if digest:
                by_digest[f"{name}@{digest}"] = f"{name}:{tag}"
        elif digest:
            pending.append((name, digest))
        else:
            tagged.setdefault(f"{name}:latest", None)
    for name, digest in pending:
        key = by_digest.get(f"{name}@{digest}")
        if key is None:
            tagged.setdefault(f"{name}@{digest}", digest)
    return tagged


def refs_to_map(refs: list[str]) -> dict[str, str | None]:
    """["repo:tag@sha256:x", "repo@sha256:y"] -> {"repo:tag": "sha256:x", "repo@sha256:y": ...}."""
    found: dict[str, str | None] = {}
    for ref in refs:
        name, tag, digest = split_ref(ref)
        found[f"{name}:{tag}" if tag else f"{name}@{digest}"] = digest
    return found


def _output_refs(value: Any) -> dict[str, str | None] | None:
    if value is None:
        return {}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return refs_to_map(value)
    return None  # unknown, sensitive or another shape


def image_delta(
    changes: list[ResourceChange],
    output_values: dict[str, tuple[Any, Any]] | None = None,
    output_name: str = IMAGE_REFS_OUTPUT,
) -> ImageDelta:
    """Images (by tag) that the plan adds to and removes from every helm_release, and re-pins.

    When the Helm values are not known at plan time (typically on the first install, when they
    embed addresses not yet allocated), the root output `image_refs` stands in, if it is known.
    """
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
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
            target.update(images_in_values(values))
    if unknown and output_values and output_name in output_values:
        old, new = (_output_refs(v) for v in output_values[output_name])
        if old is not None and new is not None:
            before, after, unknown = old, new, False
    repinned = [
        Repin(ref, before[ref], after[ref])
        for ref in sorted(set(before) & set(after))
        if before[ref] != after[ref] and "@" not in ref
    ]
    return ImageDelta(
        sorted(set(after) - set(before)), sorted(set(before) - set(after)), repinned, unknown
    )
