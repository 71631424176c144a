"""The user model's pure parts (modules/hub/values/hub/usermodel.py, the very file the Hub
loads): identity from each login source's auth state, refusals, quota and limit range. The live
spawn path is tests/test_hub_usermodel_live.py."""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace

import pytest

from tests.conftest import REPO_ROOT

PATH = REPO_ROOT / "modules" / "hub" / "values" / "hub" / "usermodel.py"


@pytest.fixture(scope="module")
def um():
    spec = importlib.util.spec_from_file_location("sciplat_hub_usermodel", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def settings(auth_type: str, **extra) -> dict:
    return {
        "auth_type": auth_type,
        "reserved_ids_below": 1000,
        "shared_gid": 2000,
        "github_organizations": ["sciplat-users"],
        "github_teams": False,
        "cilogon": {
            "uid_claim": "uidNumber",
            "uid_fallback": "hash",
            "gid_claim": "gidNumber",
            "groups_claim": "isMemberOf",
            "groups": [{"name": "astro", "gid": 20001}],
        },
        **extra,
    }


def test_github_teams_are_moved_out_of_the_user_id_space(um) -> None:
    state = {
        "github_user": {"id": 583231},
        "sciplat": {
            "orgs": [{"id": 5001, "login": "sciplat-users"}],
            "teams": [{"id": 7, "slug": "core", "organization": {"login": "sciplat-users"}}],
        },
    }
    ident = um.identity_from_auth_state(state, settings("github", github_teams=True))
    assert ident.supplemental_gids == [2000, 5001, 583231, 2**31 + 7]
    plain = um.identity_from_auth_state(state, settings("github"))
    assert plain.supplemental_gids == [2000, 5001, 583231]


def test_cilogon_refuses_without_a_uid_claim_when_told_to(um) -> None:
    cfg = settings("cilogon")
    cfg["cilogon"]["uid_fallback"] = "refuse"
    with pytest.raises(um.SpawnRefused, match="did not release the 'uidNumber' claim"):
        um.identity_from_auth_state({"cilogon_user": {"sub": "x", "email": "a@b.org"}}, cfg)


def test_the_hash_is_stable_and_outside_github_ids(um) -> None:
    a = um.hashed_uid("http://cilogon.org/serverA/users/1")
    assert a == um.hashed_uid("http://cilogon.org/serverA/users/1")
    assert a != um.hashed_uid("http://cilogon.org/serverA/users/2")
    assert 2**30 <= a < 2**31 - 1


def test_jwt_logins_use_the_verified_ids_and_the_group_table(um) -> None:
    state = {"jwt_user": {"uid": 5000, "gid": None, "groups": {"astro": None, "lab": 30000}}}
    ident = um.identity_from_auth_state(state, settings("jwt"))
    assert (ident.uid, ident.gid) == (5000, 5000)
    assert ident.supplemental_gids == [2000, 5000, 20001, 30000]


@pytest.mark.parametrize(
    ("state", "fragment"),
    [
        ({}, "no GitHub identity"),
        ({"github_user": {"id": "n/a"}}, "did not report a numeric user id"),
        ({"github_user": {"id": 0}}, "UID 0 is in the reserved range"),
        ({"github_user": {"id": 2**32}}, "reserved range"),
    ],
)
def test_no_lab_without_a_usable_uid(um, state, fragment) -> None:
    with pytest.raises(um.SpawnRefused, match=fragment):
        um.identity_from_auth_state(state, settings("github"))


def test_a_reserved_group_is_skipped_with_a_note(um) -> None:
    state = {"cilogon_user": {"sub": "s", "uidNumber": 40000, "isMemberOf": ["astro"]}}
    cfg = settings("cilogon")
    cfg["cilogon"]["groups"].append({"name": "wheel", "gid": 10})
    state["cilogon_user"]["isMemberOf"].append("wheel")
    ident = um.identity_from_auth_state(state, cfg)
    assert 10 not in ident.supplemental_gids
    assert any("GID 10 is reserved" in n for n in ident.notes)


def test_quota_and_limit_range_follow_the_size(um) -> None:
    lab = SimpleNamespace(
        resources=SimpleNamespace(
            requests={"cpu": "0.1", "memory": "67108864"},
            limits={"cpu": "0.25", "memory": "134217728"},
        )
    )
    hard = um.quota_for(lab, {"pods_per_user": 1})
    assert hard == {
        "pods": "1",
        "requests.cpu": "0.1",
        "limits.cpu": "0.25",
        "requests.memory": "67108864",
        "limits.memory": "134217728",
    }
    [item] = um.limit_range_for(lab)["limits"]
    # Defaults never exceed the size's limits.
    assert item["default"] == {"cpu": "0.25", "memory": "134217728"}
    assert item["max"] == {"cpu": "0.25", "memory": "134217728"}
