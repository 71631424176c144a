"""The registry client against a hostile or broken registry: where credentials may go, digests
that lie, endless tag lists, oversized answers, and a registry too slow to finish.

The registry here is simulated at the transport (httpx's MockTransport): the cases need hosts,
schemes and ports that cannot all exist on loopback (an HTTPS registry that links to plain HTTP
on the same host, a token realm on another host). The client code above the transport is the
real one; the loopback tests against the real registry are in test_images_registry.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sciplat.images.registry import (
    Credentials,
    RegistryClient,
    RegistryError,
    origin,
    verified_digest,
)

CREDS = Credentials("robot", "hunter2-s3cret")
BASIC = "Basic " + base64.b64encode(b"robot:hunter2-s3cret").decode()
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "x", "layers": []}).encode()
GOOD = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()


@dataclass
class Net:
    """A simulated network: a handler per request, and every request seen."""

    handler: Callable[[httpx.Request], httpx.Response]
    seen: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.handler(request)

    def credentials_sent_to(self) -> list[str]:
        return [
            str(r.url) for r in self.seen if r.headers.get("Authorization", "").startswith("Basic ")
        ]


def make_client(registry: str, net: Net, **kw: Any) -> RegistryClient:
    kw.setdefault("credentials", CREDS)
    kw.setdefault("use_docker_config", False)
    kw.setdefault("backoff", 0.0)
    kw.setdefault("sleep", lambda _s: None)
    return RegistryClient(registry, transport=httpx.MockTransport(net), **kw)


def _tags(names: list[str], link: str | None = None) -> httpx.Response:
    headers = {"Link": f'<{link}>; rel="next"'} if link else {}
    return httpx.Response(200, json={"name": "r", "tags": names}, headers=headers)


# ------------------------------------------------------------------------------ credentials


REGISTRIES = ["https://registry.example", "https://registry.example:5000", "http://127.0.0.1:5000"]
NEXT_PAGES = [
    "http://registry.example/v2/r/tags/list?last=a",  # downgrade, same host
    "http://registry.example:5000/v2/r/tags/list?last=a",
    "https://registry.example:8443/v2/r/tags/list?last=a",  # another port
    "https://other.example/v2/r/tags/list?last=a",  # another host
    "https://registry.example.evil.example/v2/r/tags/list?last=a",
    "http://127.0.0.1:5001/v2/r/tags/list?last=a",
    "https://127.0.0.1:5000/v2/r/tags/list?last=a",  # an upgrade is another origin too
]


@pytest.mark.parametrize("registry", REGISTRIES)
@pytest.mark.parametrize("nxt", NEXT_PAGES)
def test_pagination_never_carries_credentials_to_another_origin(registry: str, nxt: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != BASIC:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return _tags(["a"], link=nxt)

    net = Net(handler)
    with make_client(registry, net) as c:
        if origin(nxt) == origin(registry):
            return  # the same origin: nothing to check here
        with pytest.raises(RegistryError) as info:
            c.list_tags("r")
    assert "another host or scheme" in str(info.value)
    assert all(origin(u) == origin(registry) for u in net.credentials_sent_to())


REALMS = [
    ("https://auth.example/token", True),  # HTTPS elsewhere: how Docker Hub works
    ("https://registry.example/token", True),
    ("http://auth.example/token", False),  # credentials in clear to another host
    ("http://registry.example/token", False),  # credentials in clear, downgraded
    ("http://127.0.0.1:9000/token", False),  # loopback realm for a remote registry
    ("ftp://auth.example/token", False),
]


@pytest.mark.parametrize(("realm", "allowed"), REALMS)
def test_a_token_realm_gets_credentials_only_over_https(realm: str, allowed: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"token": "tok"})
        if request.headers.get("Authorization") != "Bearer tok":
            challenge = f'Bearer realm="{realm}",service="registry.example"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return _tags(["a", "b"])

    net = Net(handler)
    with make_client("https://registry.example", net) as c:
        if allowed:
            assert c.list_tags("r") == ["a", "b"]
        else:
            with pytest.raises(RegistryError):
                c.list_tags("r")
    sent = net.credentials_sent_to()
    if allowed:
        assert sent and all(u.startswith("https://") for u in sent)
    else:
        assert sent == []
    bearer_to = [str(r.url) for r in net.seen if r.headers.get("Authorization") == "Bearer tok"]
    assert all(origin(u) == origin("https://registry.example") for u in bearer_to)


def test_a_loopback_registry_may_use_a_loopback_token_service() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"token": "tok"})
        if request.headers.get("Authorization") != "Bearer tok":
            challenge = 'Bearer realm="http://127.0.0.1:9000/token"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return _tags(["a"])

    net = Net(handler)
    with make_client("http://127.0.0.1:5000", net) as c:
        assert c.list_tags("r") == ["a"]
    assert net.credentials_sent_to() == ["http://127.0.0.1:9000/token?scope=repository%3Ar%3Apull"]


_hosts = st.sampled_from(["registry.example", "other.example", "127.0.0.1", "localhost"])
_schemes = st.sampled_from(["http", "https"])
_ports = st.sampled_from([None, 443, 80, 5000, 8443])


def _url(scheme: str, host: str, port: int | None) -> str:
    return f"{scheme}://{host}{f':{port}' if port else ''}"


@given(
    reg=st.tuples(_schemes, _hosts, _ports),
    target=st.tuples(_schemes, _hosts, _ports),
    realm=st.booleans(),
)
@settings(max_examples=300)
def test_the_credentials_rule(reg: tuple, target: tuple, realm: bool) -> None:
    registry, url = _url(*reg), _url(*target) + "/v2/"
    with RegistryClient(registry, use_docker_config=False) as c:
        allowed = c.may_send_credentials(url, realm=realm)
    same = origin(url) == origin(registry)
    loop = target[1] in ("127.0.0.1", "localhost") and reg[1] in ("127.0.0.1", "localhost")
    expected = same or (realm and (target[0] == "https" or loop))
    assert allowed is expected
    if allowed and not same:
        assert realm


@pytest.mark.parametrize(
    "location",
    ["http://registry.example/v2/r/tags/list", "https://cdn.example/blob", "/v2/r/tags/list?x=1"],
)
def test_redirects_keep_credentials_on_the_origin(location: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.example" or "x=1" in str(request.url):
            return _tags(["a"])
        if request.headers.get("Authorization") != BASIC:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return httpx.Response(307, headers={"Location": location})

    net = Net(handler)
    with make_client("https://registry.example", net) as c:
        if location.startswith("http://"):
            with pytest.raises(RegistryError, match="refusing a redirect from https"):
                c.list_tags("r")
        else:
            assert c.list_tags("r") == ["a"]
    assert all(origin(u) == origin("https://registry.example") for u in net.credentials_sent_to())


# ------------------------------------------------------------------------------ digests


def _manifest(headers: dict[str, str], body: bytes = MANIFEST) -> Net:
    return Net(lambda request: httpx.Response(200, content=body, headers=headers))


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (GOOD, True),
        (None, True),  # no header: the digest of the bytes
        ("sha256:" + "0" * 64, False),  # well-formed, wrong
        ("sha256:" + GOOD[7:].upper(), False),
        ("sha256:" + GOOD[7:-1], False),
        ("sha256:" + GOOD[7:] + "\n", True),  # surrounding space is not part of it
        ("md5:d41d8cd98f00b204e9800998ecf8427e", False),
        ("sha256:../../etc/passwd", False),
        (GOOD + ",sha256:" + "0" * 64, False),
        ("sha512:" + hashlib.sha512(MANIFEST).hexdigest(), True),
    ],
)
def test_the_digest_header_must_match_the_bytes(header: str | None, ok: bool) -> None:
    headers = {"Docker-Content-Digest": header} if header is not None else {}
    with make_client("https://registry.example", _manifest(headers), credentials=None) as c:
        if ok:
            got = c.digest("r", "w_2026_46")
            assert got == (header or GOOD).strip()
        else:
            with pytest.raises(RegistryError, match=r"Docker-Content-Digest|digest is"):
                c.digest("r", "w_2026_46")


@given(body=st.binary(min_size=1, max_size=200), claimed=st.binary(min_size=1, max_size=200))
def test_verified_digest_matches_only_the_bytes(body: bytes, claimed: bytes) -> None:
    header = "sha256:" + hashlib.sha256(claimed).hexdigest()
    if body == claimed:
        assert verified_digest(header, body, "x") == header
    else:
        with pytest.raises(RegistryError):
            verified_digest(header, body, "x")


def test_an_empty_manifest_is_refused() -> None:
    net = _manifest({}, b"")
    with (
        make_client("https://registry.example", net, credentials=None) as c,
        pytest.raises(RegistryError, match="empty manifest"),
    ):
        c.digest("r", "t")


# ------------------------------------------------------------------------------ limits


def test_tag_count_is_capped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        query = urllib.parse.parse_qs(request.url.query.decode())
        page = int(query.get("page", ["0"])[0])
        names = [f"t{page}_{i}" for i in range(100)]
        return _tags(names, link=f"/v2/r/tags/list?page={page + 1}")

    with (
        make_client("https://registry.example", Net(handler), max_tags=1000) as c,
        pytest.raises(RegistryError, match="more than 1,000 tags"),
    ):
        c.list_tags("r")


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_answer_is_refused(declared: bool) -> None:
    big = b'{"tags": [' + b'"x",' * 300_000 + b'"y"]}'

    def handler(request: httpx.Request) -> httpx.Response:
        if declared:
            return httpx.Response(200, content=big)
        return httpx.Response(
            200, content=iter([big[i : i + 4096] for i in range(0, len(big), 4096)])
        )

    with (
        make_client("https://registry.example", Net(handler), max_response_bytes=1 << 20) as c,
        pytest.raises(RegistryError, match="refusing"),
    ):
        c.list_tags("r")


def test_the_whole_scan_has_a_deadline() -> None:
    clock = {"now": 0.0}

    def handler(request: httpx.Request) -> httpx.Response:
        clock["now"] += 7.0  # each page takes 7 s
        query = urllib.parse.parse_qs(request.url.query.decode())
        page = int(query.get("page", ["0"])[0])
        return _tags([f"t{page}"], link=f"/v2/r/tags/list?page={page + 1}")

    with (
        make_client(
            "https://registry.example", Net(handler), deadline=30.0, clock=lambda: clock["now"]
        ) as c,
        pytest.raises(RegistryError, match="longer than 30 s"),
    ):
        c.list_tags("r")
    assert clock["now"] <= 35.0
