"""Choose the image set from a registry's tags: what the Hub offers and the prepuller pulls.

The policy lives in the environment file under ``hub.images``; command-line flags override it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sciplat.errors import UsageError
from sciplat.images.tags import Tag, TagClass, parse_tag, sort_newest_first

# When the recommended tag points at none of the chosen tags, look this many more tags up
# (newest first) to name what it points at before giving up.
MAX_EXTRA_LOOKUPS = 64
EXTRA_LOOKUP_BATCH = 16

Resolver = Callable[[list[str]], Mapping[str, str]]


@dataclass(frozen=True)
class Policy:
    """What to offer: the seed-like defaults are 1 release, 2 weeklies, 3 dailies."""

    registry: str
    repository: str
    recommended_tag: str = "recommended"
    aliases: tuple[str, ...] = ()
    releases: int = 1
    weeklies: int = 2
    dailies: int = 3
    cycle: int | None = None
    pin: tuple[str, ...] = ()
    include_arch: bool = False

    @classmethod
    def from_environment(cls, data: Mapping[str, Any], source: str = "environment") -> Policy:
        """Read ``hub.images`` from an environment's validated data."""
        hub = data.get("hub") if isinstance(data, Mapping) else None
        images = hub.get("images") if isinstance(hub, Mapping) else None
        if not isinstance(images, Mapping):
            raise UsageError(f"{source}: hub.images: missing; the image policy lives there")
        for key in ("registry", "repository"):
            if not isinstance(images.get(key), str) or not images[key]:
                raise UsageError(f"{source}: hub.images.{key}: required (a non-empty string)")
        defaults = cls(registry="", repository="")
        policy = cls(
            registry=images["registry"],
            repository=images["repository"],
            recommended_tag=images.get("recommended_tag") or defaults.recommended_tag,
            aliases=tuple(images.get("aliases") or ()),
            releases=_count(images, "releases", defaults.releases, source),
            weeklies=_count(images, "weeklies", defaults.weeklies, source),
            dailies=_count(images, "dailies", defaults.dailies, source),
            cycle=images.get("cycle"),
            pin=tuple(images.get("pin") or ()),
            include_arch=bool(images.get("include_arch", False)),
        )
        policy.check(source)
        return policy

    def with_overrides(self, **overrides: Any) -> Policy:
        """A copy with every override that is not None applied (the command-line flags)."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        for key in ("pin", "aliases"):
            if key in changes:
                changes[key] = tuple(changes[key])
        updated = replace(self, **changes)
        updated.check("command line")
        return updated

    def check(self, source: str) -> None:
        for key in ("releases", "weeklies", "dailies"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UsageError(f"{source}: hub.images.{key}: must be a whole number >= 0")
        if self.cycle is not None and (
            not isinstance(self.cycle, int) or isinstance(self.cycle, bool) or self.cycle < 0
        ):
            raise UsageError(f"{source}: hub.images.cycle: must be null or a whole number >= 0")
        if not self.recommended_tag:
            raise UsageError(f"{source}: hub.images.recommended_tag: must not be empty")

    @property
    def alias_tags(self) -> tuple[str, ...]:
        """The recommended tag first, then the configured aliases, without repeats."""
        return tuple(dict.fromkeys((self.recommended_tag, *self.aliases)))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["aliases"] = list(self.aliases)
        out["pin"] = list(self.pin)
        return out


def _count(images: Mapping[str, Any], key: str, default: int, source: str) -> int:
    value = images.get(key, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UsageError(f"{source}: hub.images.{key}: must be a whole number >= 0, not {value!r}")
    return value


@dataclass(frozen=True)
class Image:
    """One entry of the menu."""

    tag: str
    digest: str | None
    cls: TagClass
    display_name: str
    recommended: bool = False
    points_to: str | None = None  # for aliases: the tag with the same digest

    def as_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "digest": self.digest,
            "class": self.cls.value,
            "display_name": self.display_name,
            "recommended": self.recommended,
        }


@dataclass
class ImageSet:
    """The chosen images in menu order, and what was noticed on the way."""

    recommended: str | None
    images: list[Image]
    warnings: list[str] = field(default_factory=list)
    tag_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"recommended": self.recommended, "images": [i.as_dict() for i in self.images]}


def candidates(tags: Iterable[str], policy: Policy) -> tuple[list[Tag], list[str]]:
    """The tags the policy picks before digests are known, in menu order; and warnings.

    Aliases (the recommended tag and the configured aliases) that exist, the newest ``releases``
    releases, ``weeklies`` weeklies and ``dailies`` dailies (only of ``cycle`` when set; no
    architecture-specific tags unless ``include_arch``), and every pinned tag.
    """
    present = list(dict.fromkeys(tags))
    present_set = set(present)
    alias_names = policy.alias_tags
    parsed = [parse_tag(t, alias_names) for t in present]
    warnings: list[str] = []
    chosen: dict[str, Tag] = {}

    for alias in alias_names:
        if alias in present_set:
            chosen[alias] = parse_tag(alias, alias_names)
        elif alias == policy.recommended_tag:
            warnings.append(f"recommended tag {alias!r} is not in the registry")
        else:
            warnings.append(f"alias {alias!r} is not in the registry")

    quotas = {
        TagClass.RELEASE: policy.releases,
        TagClass.WEEKLY: policy.weeklies,
        TagClass.DAILY: policy.dailies,
    }
    for cls, quota in quotas.items():
        pool = [
            t
            for t in parsed
            if t.cls is cls
            and (policy.include_arch or t.arch is None)
            and (policy.cycle is None or t.cycle == policy.cycle)
        ]
        for t in _newest_versions(pool, quota):
            chosen.setdefault(t.tag, t)

    for pin in policy.pin:
        if pin in present_set:
            chosen.setdefault(pin, parse_tag(pin, alias_names))
        else:
            warnings.append(f"pinned tag {pin!r} is not in the registry")
    return sort_newest_first(chosen.values()), warnings


def _newest_versions(pool: list[Tag], quota: int) -> list[Tag]:
    """One tag for each of the ``quota`` newest versions (and architecture, if offered).

    A version is often published under several tags (``w_2026_47`` and
    ``w_2026_47_c0044.000``): the plain tag stands for it when present, otherwise its newest
    variant (highest cycle, then build).
    """
    by_version: dict[tuple[int, ...], list[Tag]] = {}
    for t in pool:
        by_version.setdefault(t.version, []).append(t)
    picked: list[Tag] = []
    for version in sorted(by_version, reverse=True)[:quota]:
        by_arch: dict[str, list[Tag]] = {}
        for t in by_version[version]:  # one per architecture when those are offered
            by_arch.setdefault(t.arch or "", []).append(t)
        for arch in sorted(by_arch):
            variants = by_arch[arch]
            plain = [t for t in variants if t.cycle is None and t.build is None and t.extra is None]
            picked.append(plain[0] if plain else sort_newest_first(variants)[0])
    return picked


def _alias_display(alias: Tag, target: Tag | None) -> str:
    return f"{alias.display_name} ({target.display_name})" if target else alias.display_name


def select(tags: Iterable[str], policy: Policy, resolve: Resolver) -> ImageSet:
    """Choose the image set and pin it by digest.

    ``resolve(tags)`` returns the digests of the given tags (the registry client's concurrent
    lookup); it is called for the chosen tags only, plus a bounded search when an alias points at
    a tag outside the set.
    """
    all_tags = list(dict.fromkeys(tags))
    chosen, warnings = candidates(all_tags, policy)
    digests: dict[str, str] = dict(resolve([t.tag for t in chosen])) if chosen else {}
    alias_names = policy.alias_tags

    by_digest: dict[str, Tag] = {}
    for t in chosen:  # menu order: the first real tag with a digest names it
        d = digests.get(t.tag)
        if t.cls is not TagClass.ALIAS and d and d not in by_digest:
            by_digest[d] = t

    unresolved = [
        a for a in chosen if a.cls is TagClass.ALIAS and digests.get(a.tag) not in by_digest
    ]
    if unresolved:
        chosen_names = {t.tag for t in chosen}
        rest = sort_newest_first(
            t
            for t in (parse_tag(x, alias_names) for x in all_tags if x not in chosen_names)
            if t.cls not in (TagClass.ALIAS, TagClass.UNKNOWN)
            and (policy.include_arch or t.arch is None)
        )[:MAX_EXTRA_LOOKUPS]
        wanted = {digests.get(a.tag) for a in unresolved}
        for start in range(0, len(rest), EXTRA_LOOKUP_BATCH):
            batch = rest[start : start + EXTRA_LOOKUP_BATCH]
            found = resolve([t.tag for t in batch])
            for t in batch:
                d = found.get(t.tag)
                if d and d not in by_digest:
                    by_digest[d] = t
            wanted -= set(by_digest)
            if not wanted:
                break

    images: list[Image] = []
    for t in chosen:
        digest = digests.get(t.tag)
        if t.cls is TagClass.ALIAS:
            target = by_digest.get(digest) if digest else None
            if target is None:
                warnings.append(f"alias {t.tag!r} points at no tag found among the newest tags")
            images.append(
                Image(
                    tag=t.tag,
                    digest=digest,
                    cls=t.cls,
                    display_name=_alias_display(t, target),
                    recommended=t.tag == policy.recommended_tag,
                    points_to=target.tag if target else None,
                )
            )
        else:
            images.append(Image(t.tag, digest, t.cls, t.display_name))
    # Aliases lead the menu in the policy's order (the recommended tag first); the rest keep
    # class order, newest first.
    position = {name: n for n, name in enumerate(alias_names)}
    images.sort(
        key=lambda i: (
            position.get(i.tag, len(position)) if i.cls is TagClass.ALIAS else len(position)
        )
    )
    recommended = policy.recommended_tag if any(i.recommended for i in images) else None
    return ImageSet(recommended, images, warnings, tag_count=len(all_tags))
