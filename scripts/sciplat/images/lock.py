"""The image lock file ``env/images/<env>.json``: the reviewed image set, pinned by digest.

A moved tag in the registry changes nothing until someone refreshes the lock
(``make images ENV=...``) and the resulting plan is reviewed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Protocol

from sciplat.config import display_path
from sciplat.errors import UsageError
from sciplat.files import write_atomic
from sciplat.images.policy import ImageSet, Policy
from sciplat.images.tags import TagClass, parse_tag

LOCK_VERSION = 1
_CLASSES = {c.value for c in TagClass}
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class EnvironmentLike(Protocol):
    name: str
    path: Path
    data: dict[str, Any]


def lock_path(env: EnvironmentLike) -> Path:
    """``<dir of the env file>/images/<env name>.json``."""
    return Path(env.path).parent / "images" / f"{env.name}.json"


def lock_document(env_name: str, policy: Policy, image_set: ImageSet) -> dict[str, Any]:
    return {
        "version": LOCK_VERSION,
        "environment": env_name,
        "registry": policy.registry,
        "repository": policy.repository,
        "resolved_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "policy": policy.as_dict(),
        "recommended": image_set.recommended,
        "images": [i.as_dict() for i in image_set.images],
    }


def write_lock(path: Path, document: dict[str, Any]) -> None:
    """Write atomically: a temp file beside the target, then rename (never half-written)."""
    write_atomic(path, json.dumps(document, indent=2, sort_keys=False) + "\n")


def read_lock(path: Path) -> dict[str, Any]:
    """Load and check a lock file; any problem is a UsageError naming the file and field."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read the image lock file ({exc.strerror})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{shown}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{shown}: the image lock file must hold a JSON object")
    for key in ("registry", "repository"):
        if not isinstance(doc.get(key), str) or not doc[key]:
            raise UsageError(f"{shown}: {key}: required (a non-empty string)")
    images = doc.get("images")
    if not isinstance(images, list):
        raise UsageError(f"{shown}: images: required (a list)")
    for i, image in enumerate(images):
        where = f"{shown}: images[{i}]"
        if not isinstance(image, dict):
            raise UsageError(f"{where}: must be an object")
        if not isinstance(image.get("tag"), str) or not image["tag"]:
            raise UsageError(f"{where}.tag: required (a non-empty string)")
        digest = image.get("digest")
        if digest is not None and not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
            raise UsageError(f"{where}.digest: must be null or sha256:<64 hex digits>")
        if image.get("class") not in _CLASSES:
            raise UsageError(f"{where}.class: must be one of {', '.join(sorted(_CLASSES))}")
        if not isinstance(image.get("display_name"), str):
            raise UsageError(f"{where}.display_name: required (a string)")
    return doc


def _entry(policy: Policy, image: dict[str, Any]) -> dict[str, Any]:
    return {
        "registry": policy.registry,
        "repository": policy.repository,
        "tag": image["tag"],
        "digest": image.get("digest"),
        "class": image["class"],
        "display_name": image["display_name"],
        "recommended": bool(image.get("recommended", False)),
    }


def hub_images_for_render(env: EnvironmentLike) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``hub.images`` list of the tfvars (see docs/tfvars.md) and warnings.

    With a lock file: its images, pinned by digest; a lock for another registry or repository
    than the environment names is refused (UsageError naming the file). Without one: the
    recommended tag and the pinned tags with ``digest: null`` and a warning.
    """
    policy = Policy.from_environment(env.data, source=str(env.path))
    path = lock_path(env)
    refresh = f"run make images ENV={env.name}"
    if not path.exists():
        alias_names = policy.alias_tags
        entries = [
            {
                "tag": policy.recommended_tag,
                "digest": None,
                "class": TagClass.ALIAS.value,
                "display_name": parse_tag(policy.recommended_tag, alias_names).display_name,
                "recommended": True,
            }
        ]
        for pin in dict.fromkeys(policy.pin):
            if pin == policy.recommended_tag:
                continue
            t = parse_tag(pin, alias_names)
            entries.append(
                {"tag": pin, "digest": None, "class": t.cls.value, "display_name": t.display_name}
            )
        return [_entry(policy, e) for e in entries], [
            f"{display_path(path)}: image set not resolved; {refresh}"
        ]

    doc = read_lock(path)
    shown = display_path(path)
    for key in ("registry", "repository"):
        if doc[key] != getattr(policy, key):
            raise UsageError(
                f"{shown}: {key}: the lock is for {doc[key]!r} but {display_path(env.path)} has "
                f"hub.images.{key} {getattr(policy, key)!r}; {refresh}"
            )
    warnings: list[str] = []
    locked_policy = doc.get("policy")
    if isinstance(locked_policy, dict):
        changed = sorted(k for k, v in policy.as_dict().items() if locked_policy.get(k) != v)
        if changed:
            warnings.append(
                f"{shown}: hub.images changed since the lock was written "
                f"({', '.join(changed)}); {refresh}"
            )
    tags = {i["tag"] for i in doc["images"]}
    missing = [p for p in policy.pin if p not in tags]
    if missing:
        warnings.append(f"{shown}: pinned tags not in the lock: {', '.join(missing)}; {refresh}")
    unresolved = [i["tag"] for i in doc["images"] if not i.get("digest")]
    if unresolved:
        warnings.append(f"{shown}: images without a digest: {', '.join(unresolved)}; {refresh}")
    if not any(i.get("recommended") for i in doc["images"]):
        warnings.append(f"{shown}: no recommended image in the lock; {refresh}")
    return [_entry(policy, i) for i in doc["images"]], warnings
