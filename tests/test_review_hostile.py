"""The review against hostile plans: secrets copied in other forms, Markdown injection, plan
documents built to crash the parser. Each class is generated, not only one instance."""

from __future__ import annotations

import base64
import io
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from sciplat.review.plan import parse_plan
from sciplat.review.render import print_text, to_markdown
from sciplat.review.report import build_review, to_json

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _plan(entries: list[dict[str, Any]], outputs: dict[str, Any] | None = None) -> dict:
    return {
        "format_version": "1.2",
        "resource_changes": entries,
        "output_changes": outputs or {},
    }


def _entry(
    address: str,
    before: Any,
    after: Any,
    *,
    actions: list[str] | None = None,
    after_sensitive: Any = None,
    rtype: str = "terraform_data",
) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": "x",
        "change": {
            "actions": actions or ["update"],
            "before": before,
            "after": after,
            "after_unknown": {},
            "before_sensitive": after_sensitive or {},
            "after_sensitive": after_sensitive or {},
        },
    }


def _all_views(document: dict) -> dict[str, str]:
    review = build_review(parse_plan(document), None, "hostile")
    buffer = io.StringIO()
    print_text(review, Console(file=buffer, width=400, color_system=None))
    return {
        "text": buffer.getvalue(),
        "md": to_markdown(review),
        "json": json.dumps(to_json(review)),
    }


# ------------------------------------------------------------------------------ secrets


def _json_escaped(s: str) -> str:
    return json.dumps(s)[1:-1]


FORMS = {
    "as is": lambda s: s,
    "json-escaped": _json_escaped,
    "json-escaped twice": lambda s: _json_escaped(_json_escaped(s)),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="),
    "url-encoded": lambda s: urllib.parse.quote(s, safe=""),
}

_secret_text = st.text(
    alphabet=st.sampled_from('abcXYZ019"\\\n/+=: {}<>é'), min_size=6, max_size=40
).map(lambda t: "Zq7" + t + "wK9")


@pytest.mark.parametrize("form", list(FORMS))
@given(secret=_secret_text)
@SETTINGS
def test_a_sensitive_value_copied_in_any_form_is_masked_everywhere(form: str, secret: str) -> None:
    copied = FORMS[form](secret)
    config = '{"settings": {"password": "' + copied + '", "user": "admin"}}'
    entry = _entry(
        "terraform_data.app",
        {"password": "old-value-1234", "config": "{}"},
        {"password": secret, "config": config},
        after_sensitive={"password": True},
    )
    for view, text in _all_views(_plan([entry])).items():
        assert copied not in text, (view, form)
        assert secret not in text, (view, form)


def test_a_pem_key_re_indented_into_a_values_document_is_masked() -> None:
    body = [base64.b64encode(bytes([i]) * 48).decode() for i in range(1, 5)]
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END PRIVATE KEY-----\n"
    values = "tls:\n  key: |\n" + "".join(f"    {line}\n" for line in pem.splitlines())
    entry = _entry(
        "terraform_data.app",
        {"key": "x", "values": "a: 1\n"},
        {"key": pem, "values": values},
        after_sensitive={"key": True},
    )
    for view, text in _all_views(_plan([entry])).items():
        for line in body:
            assert line not in text, view


# ------------------------------------------------------------------------------ Markdown


HOSTILE = [
    "</details>",
    "<details><summary>x</summary>",
    "<img src=x onerror=alert(1)>",
    "<!--",
    "@octocat",
    "```",
    "`",
    "|",
    "[click](https://example.invalid)",
    "![img](https://example.invalid/x.png)",
    "&lt;b&gt;",
    "\n# heading\n",
]
_hostile = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4).map("".join)
OWN_TAGS = {"<details>", "</details>", "<summary>", "</summary>"}


def _outside_code(markdown: str) -> str:
    """The Markdown with fenced blocks and code spans removed (where HTML is inert)."""
    lines, fence = [], None
    for line in markdown.splitlines():
        opener = re.match(r"^(`{3,})", line)
        if fence is None and opener:
            fence = opener.group(1)
            continue
        if fence is not None:
            if line.startswith(fence) and line.strip() == fence:
                fence = None
            continue
        lines.append(re.sub(r"`[^`]*`", "", line))
    assert fence is None, "a fenced block never closes"
    return "\n".join(lines)


@given(evil=_hostile, key=_hostile)
@SETTINGS
def test_markdown_passes_no_html_mention_or_fence_break_from_the_plan(evil: str, key: str) -> None:
    entries = [
        _entry(
            f'terraform_data.x["{key}"]',
            {"label": "old", "values": "a: 1\nb: 2\n"},
            {"label": evil, "values": f"a: 1\nb: {evil}\n"},
        ),
        _entry(
            "google_project_iam_member.m",
            None,
            {"role": evil, "member": f"user:{evil}"},
            actions=["create"],
            rtype="google_project_iam_member",
        ),
    ]
    outputs = {"note": {"actions": ["create"], "before": None, "after": evil}}
    markdown = _all_views(_plan(entries, outputs))["md"]
    prose = _outside_code(markdown)
    tags = set(re.findall(r"</?[A-Za-z!][^>\n]*>?", prose))
    assert tags <= OWN_TAGS, tags
    assert "<!--" not in prose
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9]", prose)
    assert prose.count("<details>") == prose.count("</details>")
    assert not re.search(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\(", prose), "a link survived"
    for line in prose.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            assert len(cells) in (3, 2, 4, 5, 6, 7, 8, 9), line


# ------------------------------------------------------------------------------ bad documents


def _nested(depth: int) -> str:
    return (
        '{"format_version": "1.2", "resource_changes": [], "x": ' + "[" * depth + "]" * depth + "}"
    )


def _helm(values: str) -> str:
    entry = _entry(
        "helm_release.hub",
        {"values": ["singleuser: {}\n"], "version": "4.4.0"},
        {"values": [values], "version": "4.4.0"},
        rtype="helm_release",
    )
    return json.dumps(_plan([entry]))


BAD_JSON = {
    "nested 900": _nested(900),
    "nested 5000": _nested(5000),
    "nested 250": _nested(250),
    "5000-digit integer": '{"format_version": "1.2", "resource_changes": [], "n": '
    + "9" * 5000
    + "}",
    "NaN": '{"format_version": "1.2", "resource_changes": [], "n": NaN}',
    "Infinity": '{"format_version": "1.2", "resource_changes": [], "n": -Infinity}',
    "lone surrogate": '{"format_version": "1.2", "resource_changes": [], "s": "\\ud800"}',
}
HELM_VALUES = {
    "prePuller a list": "prePuller: [1, 2]\n",
    "singleuser a number": "singleuser: 5\n",
    "image a number": "singleuser: {image: 5}\n",
    "extraImages a list": "prePuller: {extraImages: [1, 2]}\n",
    "extraImages of numbers": "prePuller: {extraImages: {a: 1, b: {name: 2, tag: [1]}}}\n",
    "profileList a mapping": "singleuser: {profileList: {a: 1}}\n",
    "self-referencing anchor": "singleuser: &a {profileList: [*a]}\n",
    "billion laughs": "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join('*' + chr(97 + i) for _ in range(10))}]\n"
        for i in range(9)
    )
    + "singleuser: {profileList: *j}\n",
    "deep nesting": "singleuser: " + "[" * 3000 + "]" * 3000 + "\n",
    "5000-digit tag": "singleuser: {image: {name: a, tag: " + "9" * 5000 + "}}\n",
    "not a mapping": "- 1\n- 2\n",
    "binary junk": "\x00\x01\x02",
}


@pytest.mark.parametrize("name", list(BAD_JSON))
def test_a_malformed_plan_is_one_line_exit_2(name: str, tmp_path: Path, run_cli) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(BAD_JSON[name])
    result = run_cli("review", str(plan))
    if name == "nested 250" or name == "lone surrogate":
        assert result.code in (0, 2)
    else:
        assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) <= 1


@pytest.mark.parametrize("name", list(HELM_VALUES))
@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_helm_values_of_any_shape_are_reviewed(
    name: str, fmt: str, tmp_path: Path, run_cli
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(_helm(HELM_VALUES[name]))
    result = run_cli("review", str(plan), "-f", fmt)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err


@given(depth=st.integers(1, 2000))
@settings(max_examples=25, deadline=None)
def test_nesting_at_any_depth_is_reviewed_or_refused(depth: int) -> None:
    from sciplat.review.plan import MAX_DEPTH, PlanError, loads_bounded

    try:
        document = loads_bounded(_nested(depth), "plan.json")
    except PlanError as exc:
        assert depth + 1 > MAX_DEPTH and "levels deep" in str(exc)
    else:
        assert depth + 1 <= MAX_DEPTH
        _all_views(document)
