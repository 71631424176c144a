"""`sciplat tf-docs`: the inputs and outputs tables of each Terraform module's README, from code.

Every module directory (the root in terraform/, each modules/<name>/ and nested submodules such as
modules/hub/values/) has a README.md with a generated block between two markers. The block lists
the module's variables (name, description, type, default, required) and outputs (name,
description, sensitive), read from its *.tf files with python-hcl2. `sciplat tf-docs` rewrites the
blocks; `sciplat tf-docs --check` changes nothing and exits 1 when a block is missing or stale.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sciplat import console as consoles
from sciplat.config import display_path
from sciplat.errors import SciplatError, UsageError

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
SKIP_DIRS = {"tests", ".terraform", "examples"}


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: str
    default: Any
    required: bool
    sensitive: bool


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    sensitive: bool


@dataclass(frozen=True)
class DocResult:
    module: Path
    readme: Path
    status: str  # "unchanged" | "updated" | "created" | "stale" | "missing"


# --- reading the code ----------------------------------------------------------------------------


def _unquote(raw: Any) -> Any:
    """python-hcl2 keeps HCL string literals quoted; turn them (recursively) into plain values."""
    if isinstance(raw, dict):
        return {_unquote(k): _unquote(v) for k, v in raw.items() if k != "__is_block__"}
    if isinstance(raw, list):
        return [_unquote(v) for v in raw]
    if isinstance(raw, str) and len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        body = raw[1:-1]
        heredoc = re.match(r"<<-?([A-Z]+)\n(.*)\n\s*\1$", body, re.S)
        if heredoc:
            return textwrap.dedent(heredoc.group(2).replace('\\"', '"').replace("\\\\", "\\"))
        return body.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return raw


def _expression(raw: str) -> str:
    """A type or value expression as HCL text (python-hcl2 wraps expressions in ${...})."""
    if raw.startswith("${") and raw.endswith("}"):
        return raw[2:-1]
    return raw


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise UsageError(f"{display_path(path)}:{line}: (document): not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{display_path(path)}: cannot read ({exc.strerror})") from None


def _parse_file(path: Path, text: str) -> dict[str, Any]:
    import hcl2

    try:
        return hcl2.loads(text)
    except Exception as exc:  # lark raises many kinds; all mean "not valid HCL"
        line = getattr(exc, "line", None) or 1
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(
            f"{display_path(path)}:{line}: (document): not valid HCL: {first}"
        ) from exc


def read_module(module: Path) -> tuple[list[Variable], list[Output]]:
    """The variables and outputs declared in a module directory's *.tf files, in file order."""
    variables: list[Variable] = []
    outputs: list[Output] = []
    for path in sorted(module.glob("*.tf")):
        text = _read_text(path)
        parsed = _parse_file(path, text)
        shown = display_path(path)
        for block in parsed.get("variable", []):
            for raw_name, body in block.items():
                name = raw_name.strip('"')
                where = f"{shown}:{_line_of(text, f'variable {raw_name}')}: variable.{name}"
                if "description" not in body:
                    raise UsageError(f"{where}: has no description")
                if "type" not in body:
                    raise UsageError(f"{where}: has no type")
                variables.append(
                    Variable(
                        name=name,
                        description=str(_unquote(body["description"])),
                        type=_expression(str(body["type"])),
                        default=_unquote(body["default"]) if "default" in body else None,
                        required="default" not in body,
                        sensitive=bool(body.get("sensitive", False)),
                    )
                )
        for block in parsed.get("output", []):
            for raw_name, body in block.items():
                name = raw_name.strip('"')
                if "description" not in body:
                    line = _line_of(text, f"output {raw_name}")
                    raise UsageError(f"{shown}:{line}: output.{name}: has no description")
                outputs.append(
                    Output(
                        name=name,
                        description=str(_unquote(body["description"])),
                        sensitive=bool(body.get("sensitive", False)),
                    )
                )
    return variables, outputs


# --- rendering the tables ------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _prose(text: str) -> str:
    """A description cell: one line, pipes escaped, angle brackets kept visible."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else ""


def render_tables(variables: list[Variable], outputs: list[Output]) -> str:
    """The generated block (without markers) for one module."""
    lines = ["## Inputs", ""]
    if variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for v in variables:
            default = "" if v.required else json.dumps(v.default, separators=(", ", ": "))
            if v.sensitive and not v.required:
                default += " (sensitive)"
            lines.append(
                f"| `{v.name}` | {_prose(v.description)} | {_code(v.type)} | "
                f"{_code(default)} | {'yes' if v.required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if outputs:
        lines += ["| Name | Description | Sensitive |", "|------|-------------|:---------:|"]
        for o in outputs:
            sensitive = "yes" if o.sensitive else "no"
            lines.append(f"| `{o.name}` | {_prose(o.description)} | {sensitive} |")
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def updated_readme(current: str | None, module_title: str, tables: str) -> str:
    """README text with the generated block replaced (or appended, or a new README)."""
    block = f"{BEGIN}\n{tables}\n{END}"
    if current is None:
        return f"# {module_title}\n\n{block}\n"
    start, end = current.find(BEGIN), current.find(END)
    if start >= 0 and end > start:
        return current[:start] + block + current[end + len(END) :]
    if start >= 0 or end >= 0:
        raise UsageError(f"{module_title}: README.md has only one of {BEGIN} and {END}")
    return current.rstrip("\n") + "\n\n" + block + "\n"


# --- finding modules and running ------------------------------------------------------------------


def find_repo_root(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / "terraform").is_dir() and (candidate / "modules").is_dir():
            return candidate
    raise UsageError(
        f"{start}: not inside the repository (no terraform/ and modules/ above it); use --root"
    )


def module_dirs(root: Path) -> list[Path]:
    """The root module and every module under modules/, nested submodules included."""
    found: list[Path] = []
    for base in (root / "terraform", root / "modules"):
        if not base.is_dir():
            continue
        for tf in sorted(base.rglob("*.tf")):
            relative = tf.relative_to(root).parts
            if any(part in SKIP_DIRS for part in relative):
                continue
            if tf.parent not in found:
                found.append(tf.parent)
    return sorted(found)


def process(root: Path, *, check: bool) -> list[DocResult]:
    results = []
    for module in module_dirs(root):
        variables, outputs = read_module(module)
        title = module.relative_to(root).as_posix()
        readme = module / "README.md"
        current = readme.read_text(encoding="utf-8") if readme.exists() else None
        wanted = updated_readme(current, title, render_tables(variables, outputs))
        if wanted == current:
            status = "unchanged"
        elif check:
            status = "missing" if current is None else "stale"
        else:
            readme.write_text(wanted, encoding="utf-8")
            status = "created" if current is None else "updated"
        results.append(DocResult(module=module, readme=readme, status=status))
    return results


def register(app: typer.Typer) -> None:
    @app.command("tf-docs")
    def tf_docs(
        check: bool = typer.Option(
            False, "--check", help="Change nothing; exit 1 when a README's tables are stale."
        ),
        root: Path | None = typer.Option(
            None, "--root", help="Repository root (default: found above the current directory)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    ) -> None:
        """Generate the inputs/outputs tables of every Terraform module README from the code.

        Example: sciplat tf-docs --check
        """
        repo = find_repo_root(Path.cwd()) if root is None else root.resolve()
        if root is not None and not (repo / "terraform").is_dir():
            raise UsageError(f"{repo}: no terraform/ directory here")
        results = process(repo, check=check)
        if as_json:
            typer.echo(
                json.dumps(
                    [
                        {"readme": r.readme.relative_to(repo).as_posix(), "status": r.status}
                        for r in results
                    ],
                    indent=2,
                )
            )
        else:
            table = Table(title="Terraform module READMEs")
            table.add_column("README")
            table.add_column("status")
            colors = {"unchanged": "green", "stale": "red", "missing": "red"}
            for r in results:
                color = colors.get(r.status, "yellow")
                table.add_row(r.readme.relative_to(repo).as_posix(), f"[{color}]{r.status}[/]")
            consoles.out.print(table)
        bad = [r for r in results if r.status in ("stale", "missing")]
        if bad:
            names = ", ".join(r.readme.relative_to(repo).as_posix() for r in bad)
            raise SciplatError(
                f"README tables out of date: {names}; run `sciplat tf-docs` (make docs)",
                exit_code=1,
            )
