"""Login with a JWT that an authenticating proxy in front of the Hub puts in a request header.

The seed's "authentication with pre-provided JWT headers": the proxy (for example an OAuth2 or
OIDC gateway) logs the user in and forwards every request with the identity token in a header.
A header alone proves nothing: lab pods can reach the Hub's port directly and could send any
header they like. So the token is verified, never trusted:

- its signature against the issuer's published keys (JWKS, fetched over HTTPS and cached; the
  key is chosen by the token's `kid`; only asymmetric algorithms are accepted, so a token signed
  with the public key as an HMAC secret or with `alg: none` is refused);
- `iss` must equal the configured issuer, `aud` must contain the configured audience, and `exp`
  must be in the future (a small leeway for clock skew); all three must be present.

The claims then map to the user like the other identity sources: the user name from
`username_claim`, the UID from `uid_claim`, the primary GID from `gid_claim` (else the UID) and
the groups from `groups_claim` (a list of names, or of `{"name": ..., "id": ...}` objects, the
form that carries GIDs). They are kept in the auth state under `jwt_user`, as the OAuth sources
keep theirs under `github_user` and `cilogon_user`, for the spawn to map to UID and GIDs.

Loaded by the Hub from `hub.extraConfig` (the file is shipped with `hub.extraFiles`):

    from sciplat_hub import jwtauth
    jwtauth.configure(c, get_config("custom.sciplat.jwt"))

Only PyJWT (with its `cryptography` extra, both in the zero-to-jupyterhub hub image), tornado,
traitlets and JupyterHub are used.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jwt
from jupyterhub.auth import Authenticator
from jupyterhub.handlers import BaseHandler
from tornado import web
from traitlets import Integer, List, Set, Unicode, default

log = logging.getLogger("sciplat.jwtauth")

ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"]


class TokenRefused(Exception):
    """The request carries no token, or one that fails verification; the reason is logged."""


def token_from_header(value: str | None) -> str:
    """The JWT in a header value: `Bearer <jwt>` or the bare token. Raises TokenRefused."""
    raw = (value or "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    if not raw:
        raise TokenRefused("no token in the header")
    if raw.count(".") != 2:
        raise TokenRefused("the header does not hold a signed JWT")
    return raw


def _as_id(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise TokenRefused(f"{what} is not a number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TokenRefused(f"{what} {value!r} is not a number") from None
    if not 0 < number < 2**32 - 1:
        raise TokenRefused(f"{what} {number} is out of range")
    return number


def identity_from_claims(
    claims: dict[str, Any],
    *,
    username_claim: str,
    uid_claim: str,
    gid_claim: str,
    groups_claim: str,
) -> dict[str, Any]:
    """User name, UID, primary GID and groups (name -> GID or None) from verified claims."""
    name = claims.get(username_claim)
    if not isinstance(name, str) or not name.strip():
        raise TokenRefused(f"the token has no user name in {username_claim!r}")
    if uid_claim not in claims:
        raise TokenRefused(f"the token has no UID in {uid_claim!r}")
    uid = _as_id(claims[uid_claim], f"UID claim {uid_claim!r}")
    gid = _as_id(claims[gid_claim], f"GID claim {gid_claim!r}") if gid_claim in claims else uid
    groups: dict[str, int | None] = {}
    raw_groups = claims.get(groups_claim) or []
    if not isinstance(raw_groups, list):
        raise TokenRefused(f"the groups claim {groups_claim!r} is not a list")
    for entry in raw_groups:
        if isinstance(entry, str) and entry:
            groups.setdefault(entry, None)
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            gid_of = entry.get("id")
            groups[entry["name"]] = None if gid_of is None else _as_id(gid_of, "group id")
        else:
            raise TokenRefused(f"a group in {groups_claim!r} is neither a name nor a name and id")
    return {"name": name.strip(), "uid": uid, "gid": gid, "groups": groups}


class JWTLoginHandler(BaseHandler):
    """/hub/login: log in from the header, or refuse with 401; never show a login form."""

    async def get(self) -> None:
        user = await self.login_user()
        if user is None:
            raise web.HTTPError(
                401, "Login needs a valid identity token from the site's login proxy."
            )
        self.redirect(self.get_next_url(user))

    post = get


class JWTHeaderAuthenticator(Authenticator):
    """Verify the JWT in a request header against the issuer's JWKS; map its claims to a user."""

    header_name = Unicode(
        "X-Auth-Request-Access-Token",
        config=True,
        help="Header holding the token, bare or as `Bearer <token>` (e.g. Authorization).",
    )
    jwks_url = Unicode(config=True, help="HTTPS address of the issuer's JSON Web Key Set.")
    issuer = Unicode(config=True, help="Required `iss` of every token.")
    audience = Unicode(config=True, help="Required `aud` of every token (this Hub).")
    algorithms = List(
        Unicode(), default_value=["RS256", "ES256"], config=True, help="Accepted algorithms."
    )
    leeway_seconds = Integer(30, config=True, help="Clock skew tolerated on exp, nbf and iat.")
    jwks_cache_seconds = Integer(300, config=True, help="How long fetched keys are reused.")
    username_claim = Unicode("preferred_username", config=True, help="Claim with the user name.")
    uid_claim = Unicode("uidNumber", config=True, help="Claim with the numeric UID.")
    gid_claim = Unicode("gidNumber", config=True, help="Claim with the primary GID (else UID).")
    groups_claim = Unicode("isMemberOf", config=True, help="Claim with the groups.")
    allowed_groups = Set(
        Unicode(), config=True, help="Only members of these groups may log in (empty: anyone)."
    )

    _jwks_client: jwt.PyJWKClient | None = None

    @default("auto_login")
    def _auto_login(self) -> bool:
        return True

    @default("manage_groups")
    def _manage_groups(self) -> bool:
        return True

    @default("enable_auth_state")
    def _enable_auth_state(self) -> bool:
        return True

    def check_allowed(self, username: str, authentication: Any = None) -> bool:
        if self.allowed_groups:
            groups = set((authentication or {}).get("groups") or [])
            return bool(groups & self.allowed_groups) or username in self.admin_users
        return super().check_allowed(username, authentication)

    def get_handlers(self, app: Any) -> list[tuple[str, type]]:
        return [(r"/login", JWTLoginHandler)]

    def _client(self) -> jwt.PyJWKClient:
        if self._jwks_client is None:
            if not self.jwks_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
                raise TokenRefused(f"jwks_url {self.jwks_url!r} must be an https:// address")
            self._jwks_client = jwt.PyJWKClient(
                self.jwks_url, cache_keys=True, lifespan=self.jwks_cache_seconds, timeout=10
            )
        return self._jwks_client

    async def verify(self, token: str) -> dict[str, Any]:
        """The verified claims of `token`. Raises TokenRefused with the reason."""
        algorithms = [a for a in self.algorithms if a in ASYMMETRIC]
        if not (self.issuer and self.audience and algorithms):
            raise TokenRefused("issuer, audience and an asymmetric algorithm must be configured")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in algorithms:
                raise TokenRefused(f"algorithm {header.get('alg')!r} is not accepted")
            loop = asyncio.get_running_loop()
            key = await loop.run_in_executor(None, self._client().get_signing_key_from_jwt, token)
            return jwt.decode(
                token,
                key=key.key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise TokenRefused(f"cannot fetch the issuer's keys: {exc}") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"{type(exc).__name__}: {exc}") from None

    async def authenticate(self, handler: Any, data: Any = None) -> dict[str, Any] | None:
        try:
            token = token_from_header(handler.request.headers.get(self.header_name))
            claims = await self.verify(token)
            who = identity_from_claims(
                claims,
                username_claim=self.username_claim,
                uid_claim=self.uid_claim,
                gid_claim=self.gid_claim,
                groups_claim=self.groups_claim,
            )
        except TokenRefused as exc:
            remote = getattr(handler.request, "remote_ip", "?")
            self.log.warning("JWT login refused from %s: %s", remote, exc)
            return None
        return {
            "name": who["name"],
            "groups": sorted(who["groups"]),
            "auth_state": {
                "jwt_user": {
                    "sub": claims.get("sub"),
                    "uid": who["uid"],
                    "gid": who["gid"],
                    "groups": who["groups"],
                    "exp": claims.get("exp"),
                }
            },
        }


def configure(c: Any, settings: dict[str, Any]) -> None:
    """Make JWTHeaderAuthenticator the Hub's authenticator with the environment's settings."""
    c.JupyterHub.authenticator_class = JWTHeaderAuthenticator
    for key in (
        "header_name",
        "jwks_url",
        "issuer",
        "audience",
        "username_claim",
        "uid_claim",
        "gid_claim",
        "groups_claim",
    ):
        if settings.get(key) is not None:
            setattr(c.JWTHeaderAuthenticator, key, settings[key])
    if settings.get("allowed_groups"):
        c.JWTHeaderAuthenticator.allowed_groups = set(settings["allowed_groups"])
    else:
        c.JWTHeaderAuthenticator.allow_all = True
    c.JWTHeaderAuthenticator.admin_users = set(settings.get("admin_users") or [])
