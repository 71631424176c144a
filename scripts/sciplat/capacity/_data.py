"""Read the capacity data files shipped in `data/` (each carries its source and date)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    """Return the parsed JSON data file `name` (for example "gke.json"), cached."""
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data
