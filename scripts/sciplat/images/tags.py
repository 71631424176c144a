"""The tag grammar of the notebook images: class, sortable version, date and display name.

Grammar (one tag; everything after the class body is optional and in this order)::

    tag      := ["exp_" remainder] | body [cycle] [build] [extra] ["-" arch]
    body     := release | candidate | weekly | daily | old_release
    release  := "r" MAJOR "_" MINOR "_" PATCH            r29_1_0      Release r29.1.0
    candidate:= release "_rc" N                          r29_1_0_rc2  Release Candidate r29.1.0-rc2
    old      := "r" MM m   (two-digit major, one minor)  r170         Release r17.0
    weekly   := "w_" YYYY "_" WW                         w_2026_47    Weekly 2026_47
    daily    := "d_" YYYY "_" MM "_" DD                  d_2026_11_27 Daily 2026_11_27
    cycle    := "_c" NNNN ["." BUILD]                    _c0044.003   (Cycle 0044, Build 003)
    build    := "_rsp" N                                 _rsp12       (RSP Build 12)
    extra    := "_" TEXT                                 _gpu         [gpu]
    arch     := amd64 | arm64 | ...                      -arm64       (arm64)

An experimental tag ``exp_<remainder>`` parses its remainder again for its display name
("Experimental Weekly 2026_47 [dask]"). A tag that matches nothing is class ``unknown`` and keeps
the tag itself as its display name. Parsing never raises.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class TagClass(StrEnum):
    """Classes of tags, declared in menu order."""

    ALIAS = "alias"
    RELEASE = "release"
    WEEKLY = "weekly"
    DAILY = "daily"
    RELEASE_CANDIDATE = "release_candidate"
    EXPERIMENTAL = "experimental"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return list(TagClass).index(self)


ARCHITECTURES = frozenset(
    {"amd64", "arm64", "aarch64", "x86_64", "arm", "armv7", "386", "ppc64le", "s390x", "riscv64"}
)

_SUFFIXES = (
    r"(?:_c(?P<cycle>\d{4})(?:\.(?P<cbuild>\d+))?)?"
    r"(?:_rsp(?P<rsp>\d+))?"
    r"(?:_(?P<extra>[A-Za-z0-9][A-Za-z0-9_.-]*?))?"
)
_ARCH = r"(?:-(?P<arch>" + "|".join(sorted(ARCHITECTURES, key=len, reverse=True)) + r"))?"

_RELEASE = r"r(?P<major>\d+)_(?P<minor>\d+)_(?P<patch>\d+)"
_PATTERNS: tuple[tuple[TagClass, re.Pattern[str]], ...] = tuple(
    (cls, re.compile(body + _SUFFIXES + _ARCH, re.ASCII))
    for cls, body in (
        (TagClass.RELEASE_CANDIDATE, _RELEASE + r"_rc(?P<rc>\d+)"),
        (TagClass.RELEASE, _RELEASE),
        (TagClass.RELEASE, r"r(?P<old_major>\d{2})(?P<old_minor>\d)"),
        (TagClass.WEEKLY, r"w_(?P<year>\d{4})_(?P<week>\d{2})"),
        (TagClass.DAILY, r"d_(?P<year>\d{4})_(?P<month>\d{2})_(?P<day>\d{2})"),
    )
)

# A tag is at most 128 characters of [A-Za-z0-9_.-]; longer input is unknown without parsing.
_MAX_TAG = 128


@dataclass(frozen=True)
class Tag:
    """One parsed tag. ``version`` sorts within a class; ``sort_key`` sorts across the menu."""

    tag: str
    cls: TagClass
    display_name: str
    version: tuple[int, ...] = ()
    date: dt.date | None = None
    cycle: int | None = None
    cycle_build: int | None = None
    build: int | None = None
    extra: str | None = None
    arch: str | None = None
    inner: Tag | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[object, ...]:
        """Ascending key: class order first, then version, cycle, build (older first)."""
        return (
            self.cls.rank,
            self.version,
            -1 if self.cycle is None else self.cycle,
            -1 if self.cycle_build is None else self.cycle_build,
            -1 if self.build is None else self.build,
            self.extra or "",
            self.arch or "",
            self.tag,
        )

    @property
    def newest_first_key(self) -> tuple[object, ...]:
        """Key for menus: class order ascending, newest first within a class."""
        return (
            self.cls.rank,
            _neg(self.version),
            -(-1 if self.cycle is None else self.cycle),
            -(-1 if self.cycle_build is None else self.cycle_build),
            -(-1 if self.build is None else self.build),
            self.extra or "",
            self.arch or "",
            self.tag,
        )


def _neg(version: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-v for v in version)


def _suffix_display(m: re.Match[str]) -> str:
    parts: list[str] = []
    if m["cycle"] is not None:
        text = f"Cycle {m['cycle']}"
        if m["cbuild"] is not None:
            text += f", Build {m['cbuild']}"
        parts.append(f"({text})")
    if m["rsp"] is not None:
        parts.append(f"(RSP Build {int(m['rsp'])})")
    if m["extra"] is not None:
        parts.append(f"[{m['extra']}]")
    if m["arch"] is not None:
        parts.append(f"({m['arch']})")
    return "".join(" " + p for p in parts)


def _parse_body(tag: str) -> Tag | None:
    for cls, pattern in _PATTERNS:
        m = pattern.fullmatch(tag)
        if m is None:
            continue
        date: dt.date | None = None
        if cls in (TagClass.RELEASE, TagClass.RELEASE_CANDIDATE):
            groups = m.groupdict()
            if groups.get("old_major") is not None:
                version: tuple[int, ...] = (int(m["old_major"]), int(m["old_minor"]), 0)
                name = f"r{version[0]}.{version[1]}"
            else:
                version = (int(m["major"]), int(m["minor"]), int(m["patch"]))
                name = f"r{version[0]}.{version[1]}.{version[2]}"
            if cls is TagClass.RELEASE_CANDIDATE:
                version = (*version, int(m["rc"]))
                display = f"Release Candidate {name}-rc{int(m['rc'])}"
            else:
                display = f"Release {name}"
        elif cls is TagClass.WEEKLY:
            year, week = int(m["year"]), int(m["week"])
            if not 1 <= week <= 53:
                continue
            version = (year, week)
            try:
                date = dt.date.fromisocalendar(year, week, 1)
            except ValueError:  # week 53 in a 52-week year, year 0
                date = None
            display = f"Weekly {m['year']}_{m['week']}"
        else:
            year, month, day = int(m["year"]), int(m["month"]), int(m["day"])
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            version = (year, month, day)
            display = f"Daily {m['year']}_{m['month']}_{m['day']}"
        return Tag(
            tag=tag,
            cls=cls,
            display_name=display + _suffix_display(m),
            version=version,
            date=date,
            cycle=None if m["cycle"] is None else int(m["cycle"]),
            cycle_build=None if m["cbuild"] is None else int(m["cbuild"]),
            build=None if m["rsp"] is None else int(m["rsp"]),
            extra=m["extra"],
            arch=m["arch"],
        )
    return None


def _arch_of(text: str) -> str | None:
    head, sep, tail = text.rpartition("-")
    return tail if sep and head and tail in ARCHITECTURES else None


def alias_display(tag: str) -> str:
    """ "latest_weekly" -> "Latest Weekly"; "recommended" -> "Recommended"."""
    words = [w for w in re.split(r"[_.\-]+", tag) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or tag


def parse_tag(tag: str, aliases: Iterable[str] = ()) -> Tag:
    """Parse one tag. Tags in ``aliases`` are class alias. Never raises on any string."""
    if not isinstance(tag, str):  # defensive: registries return JSON
        tag = str(tag)
    if tag and tag in set(aliases):
        return Tag(tag=tag, cls=TagClass.ALIAS, display_name=alias_display(tag))
    if len(tag) > _MAX_TAG:
        return Tag(tag=tag, cls=TagClass.UNKNOWN, display_name=tag)
    if tag.startswith("exp_") and len(tag) > len("exp_"):
        remainder = tag[len("exp_") :]
        inner = _parse_body(remainder)
        if inner is not None:
            return Tag(
                tag=tag,
                cls=TagClass.EXPERIMENTAL,
                display_name=f"Experimental {inner.display_name}",
                version=inner.version,
                date=inner.date,
                cycle=inner.cycle,
                cycle_build=inner.cycle_build,
                build=inner.build,
                extra=inner.extra,
                arch=inner.arch,
                inner=inner,
            )
        return Tag(
            tag=tag,
            cls=TagClass.EXPERIMENTAL,
            display_name=f"Experimental {remainder}",
            arch=_arch_of(remainder),
        )
    parsed = _parse_body(tag)
    if parsed is not None:
        return parsed
    return Tag(tag=tag, cls=TagClass.UNKNOWN, display_name=tag or "(empty tag)", arch=_arch_of(tag))


def sort_newest_first(tags: Iterable[Tag]) -> list[Tag]:
    """Menu order: classes in TagClass order, newest first within each class."""
    return sorted(tags, key=lambda t: t.newest_first_key)
