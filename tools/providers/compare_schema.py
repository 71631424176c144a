"""Compare a schema rebuilt from bindings with a real provider's `terraform providers schema -json`.

Usage (from the repository, with its .venv):

    .venv/bin/python tools/providers/compare_schema.py REAL.json BINDINGS.whl [--nested-attributes]

Prints one line per difference (missing or extra resource, attribute or block; flags, types,
nesting mode or item bounds that differ) and exits 1 when there is any. docs/verification.md
says how it was used to check the extractor against a provider built from source.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from sciplat.errors import SciplatError
from sciplat.tfcheck import read_wheel_bindings, schema_from_bindings


def _flags(attr: dict[str, Any]) -> dict[str, Any]:
    out = {k: bool(attr.get(k, False)) for k in ("required", "optional", "computed")}
    out["type"] = attr.get("type")
    if "nested_type" in attr:
        out["nesting_mode"] = attr["nested_type"].get("nesting_mode")
    return out


def compare_blocks(path: str, real: dict[str, Any], mine: dict[str, Any], out: list[str]) -> int:
    """Append the differences between two blocks to `out`; return the attributes compared."""
    compared = 0
    ra, ma = real.get("attributes", {}), mine.get("attributes", {})
    for name in sorted(set(ra) | set(ma)):
        if name not in ma or name not in ra:
            out.append(f"{path}.{name}: {'missing' if name not in ma else 'extra'}")
            continue
        compared += 1
        if _flags(ra[name]) != _flags(ma[name]):
            out.append(f"{path}.{name}: real {_flags(ra[name])}, rebuilt {_flags(ma[name])}")
    rb, mb = real.get("block_types", {}), mine.get("block_types", {})
    for name in sorted(set(rb) | set(mb)):
        if name not in mb or name not in rb:
            out.append(f"{path}.{name}: block {'missing' if name not in mb else 'extra'}")
            continue
        for key in ("nesting_mode", "min_items", "max_items"):
            if rb[name].get(key, 0) != mb[name].get(key, 0):
                out.append(
                    f"{path}.{name}: {key} real {rb[name].get(key)}, rebuilt {mb[name].get(key)}"
                )
        compared += compare_blocks(f"{path}.{name}", rb[name]["block"], mb[name]["block"], out)
    return compared


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__)
        return 2
    try:
        real_all = json.loads(Path(argv[1]).read_text(encoding="utf-8"))["provider_schemas"]
        real = next(iter(real_all.values()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, StopIteration) as exc:
        print(
            f"compare_schema: {argv[1]}: not the output of `terraform providers schema -json` "
            f"({type(exc).__name__}: {exc})",
            file=sys.stderr,
        )
        return 2
    try:
        bindings = read_wheel_bindings(Path(argv[2]))
    except (OSError, zipfile.BadZipFile, SciplatError) as exc:
        print(f"compare_schema: {argv[2]}: {exc}", file=sys.stderr)
        return 2
    mine = schema_from_bindings(bindings, nested_attributes="--nested-attributes" in argv)
    diffs: list[str] = []
    compared = compare_blocks(
        "provider", real["provider"]["block"], mine["provider"]["block"], diffs
    )
    for kind in ("resource_schemas", "data_source_schemas"):
        rs, ms = real.get(kind, {}), mine[kind]
        for name in sorted(set(rs) | set(ms)):
            if name not in ms or name not in rs:
                diffs.append(f"{name}: {'missing' if name not in ms else 'extra'}")
                continue
            compared += compare_blocks(name, rs[name]["block"], ms[name]["block"], diffs)
    print(
        f"{len(real.get('resource_schemas', {}))} resources, "
        f"{len(real.get('data_source_schemas', {}))} data sources, "
        f"{compared} attributes compared: {len(diffs)} differences"
    )
    for line in diffs:
        print(f"  {line}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
