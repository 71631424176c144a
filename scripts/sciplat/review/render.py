"""Render a review for people: a terminal view (rich) and Markdown for pull-request comments."""

from __future__ import annotations

import difflib
import html
import json
import re
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sciplat.review.classify import BLOCKING, WARNING, Finding
from sciplat.review.plan import (
    ABSENT,
    ACTIONS,
    UNKNOWN,
    AttributeChange,
    ResourceChange,
    Sensitive,
    delete_cause,
    replace_cause,
)
from sciplat.review.report import Review

MAX_VALUE = 72  # characters of a value shown inline
DETAILS_AFTER = 8  # longer lists fold into <details> in Markdown
TEXT_COST_LINES = 20  # the terminal shows the biggest cost changes; md and json show all
TEXT_DIFF_LINES = 40  # lines of a multi-line value's diff in the terminal
TEXT_DIFF_BUDGET = 200  # diff lines in the whole terminal view; md shows every diff
CHANGE_ORDER = ("replace", "delete", "update", "create", "read", "forget", "no-op")
HEADINGS = {
    "replace": "Replaced",
    "delete": "Destroyed",
    "update": "Updated in place",
    "create": "Created",
    "read": "Read during apply",
    "forget": "Removed from state (left running)",
    "no-op": "Imported without changes",
}


def show_value(value: Any, limit: int = MAX_VALUE) -> str:
    """One-line rendering of a redacted value: markers by name, long values shortened."""
    if isinstance(value, Sensitive):
        return "(sensitive)"
    if value is UNKNOWN:
        return "(known after apply)"
    if value is ABSENT:
        return "(none)"
    if value is None:
        return "null"
    if isinstance(value, str):
        text = json.dumps(value)
        if "\n" in value:
            text = f"(text, {value.count(chr(10)) + 1} lines)"
    else:
        text = json.dumps(_plain(value), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: Any) -> Any:
    if isinstance(value, Sensitive):
        return "(sensitive)"
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def text_diff(attr: AttributeChange) -> list[str]:
    """A unified diff for a multi-line string attribute (Helm values), else []."""
    b, a = attr.before, attr.after
    if isinstance(b, str) and isinstance(a, str) and ("\n" in b or "\n" in a):
        return list(
            difflib.unified_diff(
                b.splitlines(), a.splitlines(), "before", "after", lineterm="", n=2
            )
        )
    return []


def headline(review: Review) -> str:
    counts = review.counts()
    parts = [f"{counts[a]} to {a}" for a in ACTIONS if a != "no-op" and counts[a]]
    imports = sum(1 for c in review.plan.changes if c.importing)
    if imports:
        parts.append(f"{imports} to import")
    if not parts:
        return "No changes."
    return ", ".join(parts) + "."


def verdict(review: Review) -> str:
    if review.plan.errored:
        return (
            "INCOMPLETE: Terraform reported errors while planning, so this review is partial; "
            "fix them and plan again."
        )
    if review.blocking:
        n = len(review.blocking)
        return (
            f"BLOCKED: {n} blocking finding{'s' if n != 1 else ''}; "
            "applying needs an explicit override (--allow data-loss)."
        )
    if review.warnings:
        return "Nothing blocking; read the warnings before applying."
    return "Nothing blocking."


def _short(digest: str | None) -> str:
    """sha256:0123456789ab... -> sha256:0123456789ab (12 hex digits identify an image)."""
    if not digest:
        return "unpinned"
    algo, _, hexdigits = digest.partition(":")
    return f"{algo}:{hexdigits[:12]}" if hexdigits else digest


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _delta(value: float) -> str:
    return ("+" if value > 0 else "") + _money(value) if value else "$0.00"


# --------------------------------------------------------------------------------------------
# Markdown


# Everything a plan carries (addresses, values, messages quoting them) is untrusted text in a
# pull-request comment: it must not open HTML, mention people, or close the <details> around it.
_MD_SPECIAL = re.compile(r"([\\`\[\]|])")  # code spans, links and images, table cells
_NO_MENTION = "@\u200b"  # a zero-width space after @: shown as @, never a mention


def _md_text(text: str) -> str:
    """Untrusted text as inert Markdown: one line, HTML escaped, markup and mentions disarmed."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;")  # no tag, comment or entity opens
    return _MD_SPECIAL.sub(r"\\\1", text).replace("@", _NO_MENTION)


def _md_code(text: str, cell: bool = False) -> str:
    """A code span: HTML and mentions are inert inside it; backticks and newlines cannot end
    it; in a table cell a pipe is escaped as GitHub requires."""
    text = " ".join(str(text).replace("`", "'").split())
    if cell:
        text = text.replace("|", "\\|")
    return f"`{text}`" if text else "` `"


def _md_cell(text: str) -> str:
    return _md_text(text)


def _md_fence(lines: list[str], info: str = "") -> list[str]:
    """A fenced block longer than any backtick run inside it, so no line can close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", *lines, fence]


def _md_details(summary: str, body: list[str], fold: bool) -> list[str]:
    if not fold:
        return body
    while body and not body[-1]:
        body = body[:-1]
    shown = html.escape(summary, quote=False).replace("@", _NO_MENTION)
    return ["<details>", f"<summary>{shown}</summary>", "", *body, "", "</details>"]


def _md_findings(findings: list[Finding]) -> list[str]:
    return [f"- {_md_code(f.address)}: {_md_text(f.message)}" for f in findings]


def split_attributes(
    change: ResourceChange,
) -> tuple[list[AttributeChange], list[AttributeChange]]:
    """(shown, computed): attributes that only become "known after apply" on a replacement are
    summarised by name; the provider recomputes them (ids, self links, endpoints)."""
    if change.action != "replace":
        return change.attributes, []
    shown: list[AttributeChange] = []
    computed: list[AttributeChange] = []
    for attr in change.attributes:
        is_computed = attr.after is UNKNOWN and not attr.forces_replace
        (computed if is_computed else shown).append(attr)
    return shown, computed


def computed_note(computed: list[AttributeChange], limit: int = 8) -> str:
    names = ", ".join(a.path for a in computed[:limit])
    more = f" and {len(computed) - limit} more" if len(computed) > limit else ""
    n = len(computed)
    return f"{n} computed attribute{'s' if n != 1 else ''} known after apply: {names}{more}"


def _md_attributes(change: ResourceChange) -> list[str]:
    shown, computed = split_attributes(change)
    note = [f"*{computed_note(computed)}.*"] if computed else []
    if not shown:
        return note
    lines = ["| attribute | before | after |", "|---|---|---|"]
    diffs: list[str] = []
    for attr in shown:
        mark = " (forces replacement)" if attr.forces_replace else ""
        lines.append(
            f"| {_md_code(attr.path, cell=True)}{mark} | {_md_cell(show_value(attr.before))} | "
            f"{_md_cell(show_value(attr.after))} |"
        )
        diff = text_diff(attr)
        if diff:
            diffs += _md_details(f"diff of {_md_code(attr.path)}", _md_fence(diff, "diff"), True)
    return lines + (["", *note] if note else []) + (["", *diffs] if diffs else [])


def _md_change(change: ResourceChange) -> list[str]:
    head = f"**{_md_code(change.address)}**"
    if change.action == "replace":
        forced = (
            ", ".join(_md_code(p) for p in change.replace_paths)
            if change.replace_paths
            else replace_cause(change)
        )
        head += f": replaced, forced by {forced}"
    if change.previous_address:
        head += f" (moved from {_md_code(change.previous_address)})"
    return [head, "", *_md_attributes(change), ""]


def _why(change: ResourceChange) -> str:
    cause = delete_cause(change) if change.action == "delete" else None
    if change.importing:
        return " (imported)"
    return f" ({cause})" if cause else ""


def _md_changes(review: Review) -> list[str]:
    out: list[str] = []
    for action in CHANGE_ORDER:
        group = [c for c in review.changes if c.action == action]
        if not group:
            continue
        out += [f"#### {HEADINGS[action]} ({len(group)})", ""]
        if action in ("replace", "update"):
            body: list[str] = []
            for change in group:
                body += _md_change(change)
        else:
            body = [f"- {_md_code(c.address)}{_why(c)}" for c in group] + [""]
        out += _md_details(f"{len(group)} resources", body, len(group) > DETAILS_AFTER)
        if len(group) > DETAILS_AFTER:
            out.append("")
    return out


def to_markdown(review: Review) -> str:
    """Markdown for a pull-request comment; long lists fold into <details>."""
    counts = review.counts()
    sev = review.severity_counts()
    icon = "⛔" if review.blocking or review.plan.errored else ("⚠️" if review.warnings else "✅")
    out = [
        f"### {icon} Plan review: {_md_code(review.title)}",
        "",
        f"**{headline(review)}** {verdict(review)}",
        "",
        "| " + " | ".join(ACTIONS) + " |",
        "|" + "---:|" * len(ACTIONS),
        "| " + " | ".join(str(counts[a]) for a in ACTIONS) + " |",
        "",
        f"Findings: {sev[BLOCKING]} blocking, {sev[WARNING]} warning, {sev['info']} info."
        + (
            f" Drift: {len(review.plan.drift)} resource(s) changed outside Terraform."
            if review.plan.drift
            else ""
        ),
        "",
    ]
    if review.blocking:
        out += ["#### ⛔ Blocking", "", *_md_findings(review.blocking), ""]
    if review.warnings:
        out += ["#### ⚠️ Warnings", "", *_md_findings(review.warnings), ""]
    if review.infos:
        infos = _md_findings(review.infos)
        out += [*_md_details(f"Info ({len(infos)})", infos, True), ""]
    out += _md_changes(review)
    moved = [c for c in review.plan.changes if c.previous_address]
    if moved:
        out += [f"#### Moved ({len(moved)})", ""]
        body = [f"- {_md_code(c.previous_address or '')} -> {_md_code(c.address)}" for c in moved]
        out += [*_md_details(f"{len(moved)} resources", body, len(moved) > DETAILS_AFTER), ""]
    modules = review.module_counts()
    if modules:
        active = [a for a in ACTIONS if any(m[a] for m in modules.values())]
        table = [
            "| module | " + " | ".join(active) + " |",
            "|---|" + "---:|" * len(active),
            *(
                f"| {_md_code(m, cell=True)} | " + " | ".join(str(c[a]) for a in active) + " |"
                for m, c in modules.items()
            ),
        ]
        out += [*_md_details(f"Per module ({len(modules)})", table, True), ""]
    if review.plan.drift:
        drift: list[str] = []
        for d in review.plan.drift:
            what = "deleted outside Terraform" if d.action == "delete" else "changed"
            drift += [f"**{_md_code(d.address)}**: {what}", ""]
            if d.attributes:
                drift += [*_md_attributes(d), ""]
        out += [f"#### Drift: changed outside Terraform ({len(review.plan.drift)})", ""]
        out += _md_details(f"{len(review.plan.drift)} resources", drift, len(review.plan.drift) > 3)
        out.append("")
    if review.plan.outputs:
        out += ["#### Outputs", ""]
        out += [
            f"- {_md_code(o.name)}: {o.action}, {_md_text(show_value(o.before))} -> "
            f"{_md_text(show_value(o.after))}"
            for o in review.plan.outputs
        ] + [""]
    out += _md_cost(review)
    out += _md_images(review)
    return "\n".join(out).rstrip() + "\n"


def _md_cost(review: Review) -> list[str]:
    cost = review.cost
    out = ["#### Cost (estimated, per month)", ""]
    if not cost.available:
        return [*out, f"Not estimated: {_md_text('; '.join(cost.notes))}.", ""]
    out += [
        f"{_money(cost.before_usd)} -> {_money(cost.after_usd)} "
        f"(**{_delta(cost.delta_usd)}**), {cost.region} list prices of {cost.price_date}.",
        "",
    ]
    if cost.budget_sentence():
        out += [_md_text(cost.budget_sentence() or ""), ""]
    if cost.lines:
        table = ["| resource | before | after |", "|---|---:|---:|"] + [
            f"| {_md_code(line.address, cell=True)} | {_money(line.before_usd)} | "
            f"{_money(line.after_usd)} |"
            for line in cost.lines
        ]
        out += [*_md_details(f"By resource ({len(cost.lines)})", table, len(cost.lines) > 3), ""]
    if cost.notes:
        out += [*_md_details("Not priced", [f"- {_md_text(n)}" for n in cost.notes], True), ""]
    return out


def _md_images(review: Review) -> list[str]:
    images = review.images
    if not (images.added or images.removed or images.repinned or images.unknown):
        return []
    out = ["#### Lab images", ""]
    repins = [
        f"{_md_code(r.image)}: {_md_code(_short(r.before))} -> {_md_code(_short(r.after))}"
        for r in images.repinned
    ]
    for label, refs in (
        ("Added", [_md_code(r) for r in images.added]),
        ("Removed", [_md_code(r) for r in images.removed]),
        ("Re-pinned (same tag, another digest)", repins),
    ):
        if refs:
            items = [f"- {r}" for r in refs]
            out += [f"{label} ({len(refs)}):", ""]
            out += [*_md_details(f"{len(refs)} images", items, len(refs) > DETAILS_AFTER), ""]
    if images.unknown:
        out += ["Some values are sensitive or unknown; the lists may be incomplete.", ""]
    return out


# --------------------------------------------------------------------------------------------
# Terminal


_STYLE = {BLOCKING: "bold red", WARNING: "yellow", "info": "dim"}
_ACTION_STYLE = {
    "create": "green",
    "update": "yellow",
    "replace": "bold magenta",
    "delete": "bold red",
    "read": "cyan",
    "forget": "blue",
    "no-op": "cyan",
}


def _attr_lines(change: ResourceChange, text: Text, budget: list[int] | None = None) -> None:
    """Changed attributes as aligned lines: path, before -> after (cheap for huge plans)."""
    shown, computed = split_attributes(change)
    width = min(max((len(a.path) for a in shown), default=0), 48)
    for attr in shown:
        # One plain append per line: styled spans per value make huge plans slow to print.
        line = f"      {attr.path:<{width}}  {show_value(attr.before)} -> {show_value(attr.after)}"
        if attr.forces_replace:
            text.append(line)
            text.append("  (forces replacement)\n", style="bold magenta")
        else:
            text.append(line + "\n")
        if budget is None or budget[0] <= 0 or not isinstance(attr.after, str):
            continue
        diff = text_diff(attr)[2:]  # without the ---/+++ header
        budget[0] -= min(len(diff), TEXT_DIFF_LINES)
        for line in diff[:TEXT_DIFF_LINES]:
            style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1], "dim")
            text.append(f"        {line}\n", style=style)
        if len(diff) > TEXT_DIFF_LINES:
            more = len(diff) - TEXT_DIFF_LINES
            text.append(f"        ... {more} more lines (see --format md)\n", style="dim")
    if computed:
        text.append(f"      {computed_note(computed)}\n", style="dim")


def _emit(console: Console, block: Text) -> None:
    """Print a section; to a file or pipe (no styles anyway) write the plain text directly."""
    if console.is_terminal:
        console.print(block, end="", soft_wrap=True)
    else:
        console.file.write(block.plain)


def print_text(review: Review, console: Console) -> None:
    """The terminal view."""
    console.print(Text(f"Plan review: {review.title}", style="bold"))
    console.print(headline(review))
    counts = review.counts()
    shown = [a for a in ACTIONS if counts[a]] or ["no-op"]
    summary = Table(title=None, show_header=True, header_style="bold")
    summary.add_column("module", no_wrap=True)
    for a in shown:
        summary.add_column(a, justify="right")
    for module, c in review.module_counts().items():
        summary.add_row(module, *(str(c[a]) if c[a] else "·" for a in shown))
    summary.add_row(Text("total", style="bold"), *(str(counts[a]) for a in shown))
    console.print(summary)

    # One Text per section: printing thousands of small renderables is what makes rich slow.
    for severity, findings in ((BLOCKING, review.blocking), (WARNING, review.warnings)):
        if findings:
            block = Text(f"\n{severity.upper()} ({len(findings)})\n", style=_STYLE[severity])
            for f in findings:
                block.append("  " + f.address, style="bold")
                block.append(f": {f.message}\n")
            _emit(console, block)
    if review.infos:
        console.print(Text(f"\ninfo: {len(review.infos)} routine changes", style="dim"))

    diff_budget = [TEXT_DIFF_BUDGET]
    for action in CHANGE_ORDER:
        group = [c for c in review.changes if c.action == action]
        if not group:
            continue
        block = Text(f"\n{HEADINGS[action]} ({len(group)})\n", style=_ACTION_STYLE[action])
        for change in group:
            block.append("  " + change.address, style="bold")
            if change.action == "replace":
                block.append("  forced by: " + replace_cause(change))
            block.append(_why(change) + "\n")
            _attr_lines(change, block, diff_budget)
        _emit(console, block)

    moved = [c for c in review.plan.changes if c.previous_address]
    if moved:
        console.print(Text(f"\nMoved ({len(moved)})", style="blue"))
        for change in moved:
            console.print(Text(f"  {change.previous_address} -> {change.address}"))
    if review.plan.drift:
        console.print(
            Text(
                f"\nDrift: changed outside Terraform ({len(review.plan.drift)})", style="bold cyan"
            )
        )
        block = Text()
        for d in review.plan.drift:
            what = "deleted outside Terraform" if d.action == "delete" else "changed"
            block.append(f"  {d.address}: {what}\n", style="bold")
            _attr_lines(d, block)
        _emit(console, block)
    if review.plan.outputs:
        block = Text("\nOutputs\n", style="bold")
        for o in review.plan.outputs:
            block.append(
                f"  {o.name}: {o.action}, {show_value(o.before)} -> {show_value(o.after)}\n"
            )
        _emit(console, block)
    cost = review.cost
    block = Text("\nCost (estimated, per month)\n", style="bold")
    if cost.available:
        block.append(
            f"  {_money(cost.before_usd)} -> {_money(cost.after_usd)} "
            f"({_delta(cost.delta_usd)}), {cost.region} prices of {cost.price_date}\n"
        )
        biggest = sorted(cost.lines, key=lambda c: -abs(c.after_usd - c.before_usd))
        for line in biggest[:TEXT_COST_LINES]:
            block.append(
                f"  {line.address}: {_money(line.before_usd)} -> {_money(line.after_usd)}\n"
            )
        if len(biggest) > TEXT_COST_LINES:
            more = len(biggest) - TEXT_COST_LINES
            block.append(f"  ... and {more} smaller changes (see --format md or json)\n")
        for note in cost.notes[:TEXT_COST_LINES]:
            block.append(f"  {note}\n", style="dim")
        if len(cost.notes) > TEXT_COST_LINES:
            block.append(f"  ... and {len(cost.notes) - TEXT_COST_LINES} more notes\n", style="dim")
    else:
        block.append(f"  not estimated: {'; '.join(cost.notes)}\n")
    if cost.budget_sentence():
        block.append(f"  {cost.budget_sentence()}\n")
    _emit(console, block)
    images = review.images
    if images.added or images.removed or images.repinned or images.unknown:
        block = Text("\nLab images\n", style="bold")
        for ref in images.added:
            block.append(f"  + {ref}\n", style="green")
        for ref in images.removed:
            block.append(f"  - {ref}\n", style="red")
        for repin in images.repinned:
            block.append(
                f"  ~ {repin.image}: {_short(repin.before)} -> {_short(repin.after)}\n",
                style="yellow",
            )
        if images.unknown:
            block.append("  (some values are sensitive or unknown; the lists may be incomplete)\n")
        _emit(console, block)
    style = "bold red" if review.blocking else ("yellow" if review.warnings else "green")
    console.print(Text("\n" + verdict(review), style=style))
