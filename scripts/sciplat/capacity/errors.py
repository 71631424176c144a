"""The capacity planner's error: bad rules, unknown machine types, out-of-range numbers."""

from __future__ import annotations

from sciplat.errors import UsageError


class CapacityError(UsageError):
    """A plan that cannot be made. The message names the field path; the CLI exits 2."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)
