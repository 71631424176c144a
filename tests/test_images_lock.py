"""The lock file and what render gets from it: hub_images_for_render."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from sciplat.errors import UsageError
from sciplat.images.lock import (
    hub_images_for_render,
    lock_document,
    lock_path,
    read_lock,
    write_lock,
)
from sciplat.images.policy import Image, ImageSet, Policy
from sciplat.images.tags import TagClass

ROOT = Path(__file__).resolve().parents[1]
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


@dataclass
class Env:
    name: str
    path: Path
    data: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    (tmp_path / "env").mkdir()
    path = tmp_path / "env" / "stable.yaml"
    shutil.copy(ROOT / "env" / "stable.yaml", path)
    return Env("stable", path, yaml.safe_load(path.read_text()))


def image_set() -> ImageSet:
    return ImageSet(
        "recommended",
        [
            Image(
                "recommended", D1, TagClass.ALIAS, "Recommended (Weekly 2026_47)", True, "w_2026_47"
            ),
            Image("w_2026_47", D1, TagClass.WEEKLY, "Weekly 2026_47"),
            Image("d_2026_11_27", D2, TagClass.DAILY, "Daily 2026_11_27"),
        ],
    )


def write(env: Env, **changes: Any) -> Path:
    policy = Policy.from_environment(env.data)
    doc = lock_document(env.name, policy, image_set())
    doc.update(changes)
    path = lock_path(env)
    write_lock(path, doc)
    return path


def test_lock_path_sits_beside_the_environment(env: Env) -> None:
    assert lock_path(env) == env.path.parent / "images" / "stable.json"


def test_without_lock_falls_back_to_recommended_and_pins_unresolved(env: Env) -> None:
    env.data["hub"]["images"]["pin"] = ["r29_1_0", "recommended"]
    images, warnings = hub_images_for_render(env)
    assert images == [
        {
            "registry": "docker.io",
            "repository": "lsstsqre/sciplat-lab",
            "tag": "recommended",
            "digest": None,
            "class": "alias",
            "display_name": "Recommended",
            "recommended": True,
        },
        {
            "registry": "docker.io",
            "repository": "lsstsqre/sciplat-lab",
            "tag": "r29_1_0",
            "digest": None,
            "class": "release",
            "display_name": "Release r29.1.0",
            "recommended": False,
        },
    ]
    assert len(warnings) == 1
    assert "image set not resolved; run make images ENV=stable" in warnings[0]


def test_with_lock_images_carry_digests_and_upstream_registry(env: Env) -> None:
    write(env)
    images, warnings = hub_images_for_render(env)
    assert warnings == []
    assert [(i["tag"], i["digest"], i["recommended"]) for i in images] == [
        ("recommended", D1, True),
        ("w_2026_47", D1, False),
        ("d_2026_11_27", D2, False),
    ]
    assert {i["registry"] for i in images} == {"docker.io"}
    assert set(images[0]) == {
        "registry",
        "repository",
        "tag",
        "digest",
        "class",
        "display_name",
        "recommended",
    }
    assert images[0]["display_name"] == "Recommended (Weekly 2026_47)"


def test_lock_for_another_repository_is_refused_naming_the_file(env: Env) -> None:
    path = write(env, repository="someone/else")
    with pytest.raises(UsageError) as info:
        hub_images_for_render(env)
    assert str(path) in str(info.value)
    assert "repository" in str(info.value)
    assert info.value.exit_code == 2


def test_lock_for_another_registry_is_refused(env: Env) -> None:
    write(env, registry="quay.io")
    with pytest.raises(UsageError, match="registry"):
        hub_images_for_render(env)


def test_policy_change_since_lock_is_warned(env: Env) -> None:
    write(env)
    env.data["hub"]["images"]["weeklies"] = 5
    env.data["hub"]["images"]["pin"] = ["r29_1_0"]
    _, warnings = hub_images_for_render(env)
    assert any("changed since the lock" in w and "weeklies" in w for w in warnings)
    assert any("pinned tags not in the lock: r29_1_0" in w for w in warnings)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", ":1: not valid JSON"),
        ("[]", "must hold a JSON object"),
        ('{"registry": "docker.io", "repository": "r", "images": {}}', "images: required"),
        (
            '{"registry": "docker.io", "repository": "r", "images": [{"tag": "t",'
            ' "digest": "md5:x", "class": "weekly", "display_name": "T"}]}',
            "images[0].digest",
        ),
        (
            '{"registry": "docker.io", "repository": "r", "images": [{"tag": "t",'
            ' "digest": "sha256:' + "A" * 64 + '", "class": "weekly", "display_name": "T"}]}',
            "images[0].digest",
        ),
        (
            '{"registry": "docker.io", "repository": "r", "images": [{"tag": "t", "digest": null,'
            ' "class": "nightly", "display_name": "T"}]}',
            "images[0].class",
        ),
    ],
)
def test_bad_lock_file_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        read_lock(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_write_lock_is_atomic_and_round_trips(env: Env) -> None:
    path = write(env)
    doc = json.loads(path.read_text())
    assert doc["environment"] == "stable"
    assert doc["policy"]["weeklies"] == 2
    assert [p.name for p in path.parent.iterdir()] == ["stable.json"]  # no temp files left
    assert read_lock(path)["images"][0]["digest"] == D1


def test_render_path_with_the_real_environment_loader(tmp_path: Path) -> None:
    from sciplat.config import load_environment

    real = load_environment("stable")
    assert real.name == "stable"
    # The committed lock, if any, must agree with the environment; otherwise the fallback.
    images, warnings = hub_images_for_render(real)
    assert images[0]["recommended"] is True
    assert images[0]["registry"] == real.data["hub"]["images"]["registry"]
    if not lock_path(real).exists():
        assert any("run make images ENV=stable" in w for w in warnings)


def test_lock_messages_name_the_file_relative_to_the_working_directory(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(env.path.parent.parent)
    write(env)
    env.data["hub"]["images"]["pin"] = ["r29_1_0"]
    _, warnings = hub_images_for_render(env)
    shown = "env/images/stable.json: pinned tags not in the lock"
    assert any(w.startswith(shown) for w in warnings)
    write(env, repository="someone/else")
    with pytest.raises(UsageError) as info:
        hub_images_for_render(env)
    assert str(info.value).startswith("env/images/stable.json: repository: ")
    assert "but env/stable.yaml has" in str(info.value)
    (env.path.parent / "images" / "stable.json").write_text("{")
    with pytest.raises(UsageError, match=r"^env/images/stable\.json:1: not valid JSON"):
        read_lock(env.path.parent / "images" / "stable.json")
