"""`sciplat tf-docs`: README input/output tables generated from the Terraform code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sciplat.tfdocs import BEGIN, END, module_dirs, read_module, render_tables

REPO_ROOT = Path(__file__).resolve().parents[1]

VARIABLES_TF = """\
variable "name" {
  description = "Name of the thing."
  type        = string
}

variable "sizes" {
  description = <<-EOT
    Sizes offered:
    small | large.
  EOT
  type = list(object({
    name = string
    gib  = optional(number)
  }))
  default = [{ name = "small", gib = 1 }]
}

variable "token" {
  description = "A secret <value>."
  type        = string
  default     = null
  sensitive   = true
}
"""

OUTPUTS_TF = """\
output "url" {
  description = "Where it lives."
  value       = "https://${var.name}/"
}

output "ca" {
  description = "CA certificate."
  value       = var.name
  sensitive   = true
}
"""


def make_repo(tmp_path: Path) -> Path:
    (tmp_path / "terraform").mkdir(parents=True)
    (tmp_path / "terraform" / "variables.tf").write_text(VARIABLES_TF, encoding="utf-8")
    module = tmp_path / "modules" / "thing"
    (module / "tests").mkdir(parents=True)
    (module / "variables.tf").write_text(VARIABLES_TF, encoding="utf-8")
    (module / "outputs.tf").write_text(OUTPUTS_TF, encoding="utf-8")
    (module / "tests" / "x.tf").write_text('variable "ignored" {}\n', encoding="utf-8")
    (module / "README.md").write_text("# thing\n\nProse that stays.\n", encoding="utf-8")
    return tmp_path


def test_reads_variables_and_outputs_from_the_code(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    variables, outputs = read_module(repo / "modules" / "thing")
    assert [v.name for v in variables] == ["name", "sizes", "token"]
    name, sizes, token = variables
    assert name.required and name.type == "string"
    assert sizes.description.split() == ["Sizes", "offered:", "small", "|", "large."]
    assert sizes.type == "list(object({name = string, gib = optional(number)}))"
    assert sizes.default == [{"name": "small", "gib": 1}]
    assert not token.required and token.default is None and token.sensitive
    assert [(o.name, o.sensitive) for o in outputs] == [("url", False), ("ca", True)]


def test_tables_escape_pipes_and_angle_brackets(tmp_path: Path) -> None:
    variables, outputs = read_module(make_repo(tmp_path) / "modules" / "thing")
    tables = render_tables(variables, outputs)
    assert "| `name` | Name of the thing. | `string` |  | yes |" in tables
    assert "Sizes offered: small \\| large." in tables
    assert '`[{"name": "small", "gib": 1}]`' in tables
    assert "A secret &lt;value&gt;." in tables
    assert "`null (sensitive)`" in tables
    assert "| `ca` | CA certificate. | yes |" in tables
    assert render_tables([], []).count("No ") == 2


def test_module_dirs_skip_tests(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    assert module_dirs(repo) == [repo / "modules" / "thing", repo / "terraform"]


def test_generate_then_check(tmp_path: Path, run_cli) -> None:
    repo = make_repo(tmp_path)
    stale = run_cli("tf-docs", "--check", "--root", str(repo))
    assert stale.code == 1
    assert "modules/thing/README.md" in stale.err and "terraform/README.md" in stale.err
    assert not (repo / "terraform" / "README.md").exists()  # --check writes nothing

    made = run_cli("tf-docs", "--root", str(repo), "--json")
    assert made.code == 0
    assert {r["readme"]: r["status"] for r in json.loads(made.out)} == {
        "modules/thing/README.md": "updated",
        "terraform/README.md": "created",
    }
    readme = (repo / "modules" / "thing" / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# thing\n\nProse that stays.\n\n" + BEGIN)
    assert readme.rstrip().endswith(END)

    clean = run_cli("tf-docs", "--check", "--root", str(repo))
    assert clean.code == 0, clean.err

    # A description edited in code makes the README stale again; regenerating keeps the prose.
    tf = repo / "modules" / "thing" / "variables.tf"
    tf.write_text(tf.read_text().replace("Name of the thing.", "Its name."), encoding="utf-8")
    assert run_cli("tf-docs", "--check", "--root", str(repo)).code == 1
    assert run_cli("tf-docs", "--root", str(repo)).code == 0
    readme = (repo / "modules" / "thing" / "README.md").read_text(encoding="utf-8")
    assert "Its name." in readme and "Name of the thing." not in readme
    assert readme.count(BEGIN) == 1 and "Prose that stays." in readme


def test_bad_hcl_is_a_usage_error_naming_the_file(tmp_path: Path, run_cli) -> None:
    repo = make_repo(tmp_path)
    (repo / "modules" / "thing" / "main.tf").write_text('resource "x" "y" {\n  a = \n', "utf-8")
    result = run_cli("tf-docs", "--root", str(repo))
    assert result.code == 2
    assert "modules/thing/main.tf:" in result.err and "not valid HCL" in result.err
    assert "Traceback" not in result.err
    assert BEGIN not in (repo / "modules" / "thing" / "README.md").read_text(encoding="utf-8")


def test_undocumented_variable_is_rejected(tmp_path: Path, run_cli) -> None:
    repo = make_repo(tmp_path)
    (repo / "terraform" / "extra.tf").write_text('variable "x" {\n  type = string\n}\n', "utf-8")
    result = run_cli("tf-docs", "--check", "--root", str(repo))
    assert result.code == 2
    assert "terraform/extra.tf:1: variable.x: has no description" in result.err


def test_half_marked_readme_is_rejected(tmp_path: Path, run_cli) -> None:
    repo = make_repo(tmp_path)
    (repo / "modules" / "thing" / "README.md").write_text(f"# thing\n{BEGIN}\n", "utf-8")
    result = run_cli("tf-docs", "--root", str(repo))
    assert result.code == 2
    assert END in result.err


@pytest.mark.parametrize("module", ["network", "gke", "filestore", "registry-mirror", "hub"])
def test_every_module_has_the_standard_files(module: str) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (REPO_ROOT / "modules" / module / name).is_file(), f"modules/{module}/{name}"


def test_repository_readmes_are_up_to_date(run_cli) -> None:
    result = run_cli("tf-docs", "--check", "--root", str(REPO_ROOT), "--json")
    assert result.code == 0, result.err
    statuses = {r["readme"]: r["status"] for r in json.loads(result.out)}
    assert "terraform/README.md" in statuses and "modules/hub/values/README.md" in statuses
    assert set(statuses.values()) == {"unchanged"}


def test_finds_the_repository_from_a_subdirectory(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo / "modules" / "thing")
    assert run_cli("tf-docs").code == 0
    assert (repo / "terraform" / "README.md").is_file()
    monkeypatch.chdir(tmp_path)
    outside = run_cli("tf-docs", "--check")
    assert outside.code == 2 and "not inside the repository" in outside.err


def test_paths_in_messages_are_relative_and_bytes_that_are_not_utf8_are_named(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path)
    monkeypatch.chdir(repo)
    main = repo / "modules" / "thing" / "main.tf"
    main.write_bytes(b'variable "x" {\n  description = "\xff"\n  type = string\n}\n')
    result = run_cli("tf-docs", "--check")
    assert result.code == 2
    assert result.err.strip() == "modules/thing/main.tf:2: (document): not UTF-8 text"
    main.write_text('variable "x" {\n  type = string\n}\n', "utf-8")
    result = run_cli("tf-docs", "--check")
    assert result.code == 2
    assert result.err.strip() == "modules/thing/main.tf:1: variable.x: has no description"
