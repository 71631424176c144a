"""The environment file's user-model sections: bad input is one line naming file, line and field,
exit 2; the rendered tfvars carry the mapping to the hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciplat.render import render
from tests.conftest import REPO_ROOT

INT = (REPO_ROOT / "env" / "int.yaml").read_text(encoding="utf-8")
STABLE = (REPO_ROOT / "env" / "stable.yaml").read_text(encoding="utf-8")


def line_of(text: str, fragment: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text[: text.index(fragment, start)].count("\n") + 1


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CASES = [
    (
        "a group listed twice",
        INT,
        "int",
        (
            '        - name: "CO:COU:sciplat-developers:members:active"\n          gid: 20002',
            '        - name: "CO:COU:sciplat-users:members:active"\n          gid: 20002',
        ),
        "hub.identity.cilogon.groups[1].name",
        "group 'CO:COU:sciplat-users:members:active' is listed twice (first as groups[0])",
        '        - name: "CO:COU:sciplat-users:members:active"\n          gid: 20002',
    ),
    (
        "a GID used twice",
        INT,
        "int",
        ("          gid: 20002", "          gid: 20001\n"),
        "hub.identity.cilogon.groups[1].gid",
        "GID 20001 is used twice (first by groups[0])",
        "          gid: 20001\n",
    ),
    (
        "a reserved GID",
        INT,
        "int",
        ("          gid: 20002", "          gid: 27"),
        "hub.identity.cilogon.groups[1].gid",
        "GID 27 is reserved (below reserved_ids_below, 1000)",
        "          gid: 27",
    ),
    (
        "the shared GID in the table",
        INT,
        "int",
        ("          gid: 20002", "          gid: 2000"),
        "hub.identity.cilogon.groups[1].gid",
        "GID 2000 is the shared area's group (shared_gid)",
        "          gid: 2000\n",
    ),
    (
        "a CILogon admin that is not an email",
        INT,
        "int",
        ("admin_users: [platform-admin@example.org]", "admin_users:\n      - platform-admin"),
        "hub.auth.admin_users[0]",
        "'platform-admin' cannot match a CILogon username: they are email addresses",
        "      - platform-admin",
    ),
    (
        "a GitHub admin that is an email",
        STABLE,
        "stable",
        ("admin_users: [platform-admin]", "admin_users:\n      - admin@example.org"),
        "hub.auth.admin_users[0]",
        "'admin@example.org' cannot match a GitHub login",
        "      - admin@example.org",
    ),
]


@pytest.mark.parametrize(
    ("text", "name", "edit", "field", "message", "marker"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_user_model_input_is_one_line_with_file_line_field(
    tmp_path: Path, run_cli, text, name, edit, field, message, marker
) -> None:
    old, new = edit
    assert old in text
    changed = text.replace(old, new, 1)
    path = write(tmp_path, changed, name)
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "Traceback" not in result.err
    after = "sciplat-developers" if "developers" in changed and "gid" in field else ""
    line = line_of(changed, marker, after=after)
    lines = [x for x in result.err.splitlines() if field in x]
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"{path}:{line}: {field}: "), (lines[0], line)
    assert message in lines[0]
    # Nothing is rendered from a bad file.
    build = tmp_path / "build"
    assert run_cli("render", str(path), "--build-dir", str(build)).code == 2
    assert not build.exists() or not any(build.rglob("*.json"))


def test_a_reserved_shared_gid_is_refused_by_the_schema(tmp_path: Path, run_cli) -> None:
    changed = STABLE.replace("    shared_gid: 2000", "    shared_gid: 0", 1)
    path = write(tmp_path, changed, "stable")
    result = run_cli("validate", str(path))
    assert result.code == 2
    line = line_of(changed, "    shared_gid: 0")
    assert f"{path}:{line}: hub.identity.shared_gid: " in result.err


@pytest.mark.parametrize("name", ["int", "stable"])
def test_render_hands_the_mapping_to_the_hub(name: str, tmp_path: Path) -> None:
    hub = render(name, build_dir=tmp_path).tfvars["hub"]
    assert "home_quota_gib" not in hub
    identity = hub["identity"]
    assert identity["shared_gid"] == 2000
    assert identity["reserved_ids_below"] == 1000
    if name == "int":
        assert identity["cilogon_uid_fallback"] == "hash"
        assert {g["gid"] for g in identity["cilogon_groups"]} == {20001, 20002}
        assert hub["auth"]["admin_users"] == ["platform-admin@example.org"]
    assert hub["home_soft_limit_gib"] == (50 if name in ("int", "stable") else None)


@pytest.mark.parametrize("name", ["int", "sandbox", "stable", "workshop"])
def test_the_capacity_plan_counts_the_user_quota(name: str, tmp_path: Path) -> None:
    """The plan packs users by the quota each lab's namespace gets: the largest size's requests
    and limits (the hub derives the quota from the chosen size; no size exceeds these)."""
    result = render(name, build_dir=tmp_path)
    quota = result.sizing["user_quota"]
    profiles = result.tfvars["hub"]["profiles"]
    assert quota["requests_cpu_cores"] == max(p["cpu_guarantee_cores"] for p in profiles)
    assert quota["limits_cpu_cores"] == max(p["cpu_limit_cores"] for p in profiles)
    assert quota["requests_memory_gib"] == max(p["memory_guarantee_gib"] for p in profiles)
    assert quota["limits_memory_gib"] == max(p["memory_limit_gib"] for p in profiles)
    assert quota["pods"] == 1
    per_node = result.sizing["users_per_node"]
    available = result.sizing["node"]["available"]
    assert per_node * quota["requests_cpu_cores"] <= available["cpu"] + 1e-9
    assert per_node * quota["requests_memory_gib"] <= available["memory_gib"] + 1e-9
