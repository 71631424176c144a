"""``sciplat images``: scan a registry and show or write the environment's image set."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from sciplat import console as consoles
from sciplat.config import display_path
from sciplat.errors import UsageError
from sciplat.images.lock import lock_document, lock_path, write_lock
from sciplat.images.policy import ImageSet, Policy, select

if TYPE_CHECKING:
    from sciplat.images.registry import RegistryClient

HELP = (
    "Scan the image registry and choose the images the Hub offers and prepulls.\n\n"
    "The policy comes from ENV's hub.images (see docs/images.md); flags override it. Every chosen "
    "tag is pinned by digest, so a moved tag changes nothing until the lock file is refreshed "
    "with --write and the plan is reviewed.\n\n"
    "Examples:\n\n"
    "  sciplat images stable                  [dim]# the menu as users will see it[/dim]\n\n"
    "  sciplat images stable --write          [dim]# refresh env/images/stable.json[/dim]\n\n"
    "  sciplat images --registry 127.0.0.1:5000 --repository sciplat-lab --weeklies 1 --json"
)


def _load_env(env: str) -> Any:
    from sciplat.config import load_environment

    return load_environment(env)


def _max_images(data: dict[str, Any] | None) -> int | None:
    storage = (data or {}).get("storage")
    value = storage.get("max_images") if isinstance(storage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def resolve_image_set(policy: Policy, client: RegistryClient) -> ImageSet:
    tags = client.list_tags(policy.repository)
    return select(tags, policy, lambda chosen: client.digests(policy.repository, chosen))


def _print_menu(console: Console, policy: Policy, image_set: ImageSet) -> None:
    table = Table(
        title=f"{policy.registry}/{policy.repository}: {len(image_set.images)} of "
        f"{image_set.tag_count} tags offered",
        title_justify="left",
    )
    table.add_column("", width=1)
    table.add_column("Menu entry")
    table.add_column("Tag")
    table.add_column("Class")
    table.add_column("Digest", overflow="fold")
    for image in image_set.images:
        table.add_row(
            "*" if image.recommended else "",
            f"[bold]{image.display_name}[/bold]" if image.recommended else image.display_name,
            image.tag,
            image.cls.value,
            (image.digest or "-")[:19],
        )
    console.print(table)
    if image_set.recommended:
        console.print("* recommended: selected by default in the menu")


# The tag grammar of the Docker Registry API (and of hub.images.pin in the environment schema).
DOCKER_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def register(app: typer.Typer) -> None:
    @app.command("images", help=HELP)
    def images(
        env: str | None = typer.Argument(
            None, help="Environment name or file; its hub.images is the policy."
        ),
        registry: str | None = typer.Option(
            None, "--registry", help="Registry host or URL (e.g. docker.io, http://127.0.0.1:5000)."
        ),
        repository: str | None = typer.Option(None, "--repository", help="Image repository."),
        releases: int | None = typer.Option(None, "--releases", min=0, help="Newest N releases."),
        weeklies: int | None = typer.Option(None, "--weeklies", min=0, help="Newest N weeklies."),
        dailies: int | None = typer.Option(None, "--dailies", min=0, help="Newest N dailies."),
        recommended_tag: str | None = typer.Option(
            None, "--recommended-tag", help="Alias tag marked as recommended."
        ),
        pin: list[str] | None = typer.Option(
            None, "--pin", help="A tag always included (repeatable); replaces the file's pins."
        ),
        cycle: int | None = typer.Option(None, "--cycle", min=0, help="Only this cycle."),
        include_arch: bool | None = typer.Option(
            None, "--include-arch/--no-include-arch", help="Offer architecture-specific tags."
        ),
        page_size: int = typer.Option(1000, "--page-size", min=1, help="Tags per page."),
        as_json: bool = typer.Option(False, "--json", help="Print the image set as JSON."),
        write: bool = typer.Option(
            False, "--write", help="Write the lock file env/images/ENV.json (needs ENV)."
        ),
    ) -> None:
        environment = _load_env(env) if env else None
        if environment is not None:
            source = display_path(environment.path)
            if hasattr(environment, "line_of"):
                source += f":{environment.line_of(('hub', 'images'))}"
            policy = Policy.from_environment(environment.data, source=source)
            moved = {
                flag: value
                for flag, value, own in (
                    ("--registry", registry, policy.registry),
                    ("--repository", repository, policy.repository),
                )
                if value is not None and value != own
            }
            if write and moved:
                shown = display_path(environment.path)
                raise UsageError(
                    f"images: --write records {shown}'s own registry and repository; "
                    f"drop {' and '.join(moved)} or change hub.images in the file"
                )
            policy = policy.with_overrides(registry=registry, repository=repository)
        else:
            if write:
                raise UsageError("images: --write needs ENV (the lock file belongs to one)")
            if not registry or not repository:
                raise UsageError("images: give ENV, or both --registry and --repository")
            policy = Policy(registry=registry, repository=repository)
        for flag, values in (("--pin", pin or []), ("--recommended-tag", [recommended_tag])):
            for value in values:
                if value is not None and not DOCKER_TAG.fullmatch(value):
                    raise UsageError(
                        f"images: {flag} {value!r} is not a tag (letters, digits, '_', '.', '-'; "
                        "at most 128 characters, not starting with '.' or '-')"
                    )
        policy = policy.with_overrides(
            releases=releases,
            weeklies=weeklies,
            dailies=dailies,
            recommended_tag=recommended_tag,
            pin=pin or None,
            cycle=cycle,
            include_arch=include_arch,
        )
        from sciplat.images.registry import RegistryClient  # HTTP only when the registry is asked

        with RegistryClient(policy.registry, page_size=page_size) as client:
            image_set = resolve_image_set(policy, client)

        warnings = list(image_set.warnings)
        limit = _max_images(environment.data if environment else None)
        distinct = {i.digest for i in image_set.images if i.digest}
        if limit is not None and len(distinct) > limit:
            warnings.append(
                f"{len(distinct)} distinct images chosen but storage.max_images is {limit}: "
                "the prepuller would overfill node-local storage"
            )
        err = consoles.err
        for w in warnings:
            err.print(f"warning: {w}", markup=False, highlight=False, soft_wrap=True)

        if write and environment is not None:
            if not image_set.images:
                raise UsageError(f"images: nothing chosen from {policy.repository}; lock unchanged")
            if image_set.recommended is None:
                raise UsageError(
                    f"images: the recommended tag {policy.recommended_tag!r} is not in "
                    f"{policy.registry}/{policy.repository}; the menu would have no default, "
                    "so the lock is unchanged"
                )
            path = lock_path(environment)
            try:
                write_lock(path, lock_document(environment.name, policy, image_set))
            except OSError as exc:
                raise UsageError(
                    f"images: cannot write {display_path(path)}: {exc.strerror}"
                ) from None
            err.print(
                f"wrote {display_path(path)} ({len(image_set.images)} images)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        if as_json:
            typer.echo(json.dumps(image_set.as_dict(), indent=2))
        else:
            _print_menu(consoles.out, policy, image_set)
