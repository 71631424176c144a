"""Lab volumes a plan adds to, removes from or changes in a Helm release's values.

The hub mounts extra volumes from the environment file (`hub.volumes`) through the chart's
`singleuser.storage.extraVolumeMounts`; adding one is a values change of the release, nothing
replaced, and only labs started afterwards see it. This names each mount path that changes.
"""

from __future__ import annotations

from typing import Any

from sciplat.review.images import _section, _values


def _mounts(release: Any) -> dict[str, str]:
    """mount path -> a short description ("datasets, read-only") of the release's lab mounts."""
    values, _ = _values(release)
    storage = _section(_section(values, "singleuser"), "storage")
    mounts = storage.get("extraVolumeMounts")
    out: dict[str, str] = {}
    for mount in mounts if isinstance(mounts, list) else []:
        if not isinstance(mount, dict) or not isinstance(mount.get("mountPath"), str):
            continue
        name = str(mount.get("name", "?")).removeprefix("extra-")
        mode = "read-only" if mount.get("readOnly") else "read-write"
        sub = f", sub-path {mount['subPath']}" if mount.get("subPath") else ""
        out[mount["mountPath"]] = f"{name}, {mode}{sub}"
    return out


def volume_changes(before: Any, after: Any) -> list[str]:
    """One phrase per changed mount path, in path order: 'adds /datasets (datasets, read-only)'."""
    old, new = _mounts(before), _mounts(after)
    phrases = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            phrases.append(f"adds {path} ({new[path]})")
        elif path not in new:
            phrases.append(f"removes {path} ({old[path]})")
        elif old[path] != new[path]:
            phrases.append(f"changes {path} ({old[path]} -> {new[path]})")
    return phrases
