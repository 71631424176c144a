"""Log in through the Hub's JWT header authenticator (modules/hub/values/hub/jwtauth.py).

Run with the Hub's Python (JupyterHub, PyJWT and cryptography as in the hub image):

    .venv-hub/bin/python tests/harness/jwt_login.py SPEC.json

SPEC: {"issuer": ..., "audience": ..., "settings": {...}, "cases": [CASE, ...]}, where each
CASE is {"name", "claims", "key": "issuer" | "stranger", "alg", "kid", "form": "bearer" | "bare",
"header": raw header value instead of a token, "jwks": "served" | "unreachable"}. Claims may
use "exp": "+600" / "-600" (seconds from now). The harness generates an RSA key pair for the
issuer and one for a stranger, serves the issuer's public key as a JWKS on 127.0.0.1 (a free
port, stopped before exit), configures the authenticator exactly as the Hub does (`configure`),
and prints one JSON object: case name -> {"user": ..., "allowed": bool} or {"refused": reason}.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[2]


def _load(name: str) -> Any:
    """A file of modules/hub/values/hub by path (this directory's hub.py would shadow a `hub`
    package): the very files the Hub loads."""
    import importlib.util

    path = REPO / "modules" / "hub" / "values" / "hub" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"sciplat_hub.{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


jwtauth = _load("jwtauth")
usermodel = _load("usermodel")


def _jwks_server(jwks: dict[str, Any]) -> ThreadingHTTPServer:
    body = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _claims(raw: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    out = dict(raw)
    for key in ("exp", "iat", "nbf"):
        if isinstance(out.get(key), str):
            out[key] = now + int(out[key])
    return out


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    keys = {
        name: rsa.generate_private_key(public_exponent=65537, key_size=2048)
        for name in ("issuer", "stranger")
    }
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys["issuer"].public_key()))
    server = _jwks_server({"keys": [{**public, "kid": "issuer-1", "use": "sig", "alg": "RS256"}]})
    served = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    unreachable = f"http://127.0.0.1:{_closed_port()}/jwks.json"
    results: dict[str, Any] = {}
    try:
        for case in spec["cases"]:
            config = Config()
            settings = {
                "jwks_url": unreachable if case.get("jwks") == "unreachable" else served,
                "issuer": spec["issuer"],
                "audience": spec["audience"],
                **spec.get("settings", {}),
            }
            jwtauth.configure(config, settings)
            authenticator = jwtauth.JWTHeaderAuthenticator(config=config)
            capture = _Capture()
            authenticator.log.addHandler(capture)
            if "header" in case:
                value = case["header"]
            else:
                token = jwt.encode(
                    _claims(case["claims"]),
                    keys[case.get("key", "issuer")],
                    algorithm=case.get("alg", "RS256"),
                    headers={"kid": case.get("kid", "issuer-1")},
                )
                value = f"Bearer {token}" if case.get("form", "bearer") == "bearer" else token
            headers = {} if value is None else {authenticator.header_name: value}
            handler = SimpleNamespace(
                request=SimpleNamespace(headers=headers, remote_ip="10.0.0.7")
            )
            user = await authenticator.authenticate(handler, None)
            if user is None:
                results[case["name"]] = {"refused": " | ".join(capture.messages)}
            else:
                allowed = authenticator.check_allowed(user["name"], user)
                results[case["name"]] = {"user": user, "allowed": bool(allowed)}
                if "usermodel" in spec:
                    # What the spawn makes of this login (the user model's identity mapping).
                    try:
                        ident = usermodel.identity_from_auth_state(
                            user["auth_state"], spec["usermodel"]
                        )
                        results[case["name"]]["identity"] = {
                            "uid": ident.uid,
                            "gid": ident.gid,
                            "groups": {str(k): v for k, v in ident.groups.items()},
                        }
                    except usermodel.SpawnRefused as exc:
                        results[case["name"]]["identity"] = {"refused": str(exc)}
        results["_handlers"] = [
            [path, cls.__name__] for path, cls in authenticator.get_handlers(None)
        ]
        results["_class"] = config.JupyterHub.authenticator_class.__name__
    finally:
        server.shutdown()
        server.server_close()
    return results


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(asyncio.run(run(spec)), sort_keys=True))


if __name__ == "__main__":
    main()
