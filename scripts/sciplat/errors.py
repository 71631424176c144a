"""Errors that reach the user as one clear message and an exit code, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: where it is and what is wrong."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field or '(document)'}: {self.message}"


class SciplatError(Exception):
    """An error with a message for people and the exit code the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(SciplatError):
    """Bad input: a flag, an argument or a file the user gave. Exit 2."""

    exit_code = 2


class ConfigError(UsageError):
    """An environment file with one or more problems. Exit 2, one line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.field, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
