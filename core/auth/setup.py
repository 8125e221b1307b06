"""Which sign-in mode runs, checked when the app starts: a production setup that is unsafe stops.

``DQ_AUTH_MODE``:

- ``oidc``: Streamlit's native OpenID Connect sign-in (``st.login``) against the company's
  identity provider, configured in ``[auth]`` of ``.streamlit/secrets.toml``; groups map to roles
  and accounts through ``DQ_AUTH_MAPPING_FILE``. The production mode.
- ``proxy``: an authenticating reverse proxy (oauth2-proxy, a cloud load balancer, Databricks
  Apps) signs people in and passes their identity in ``DQ_AUTH_PROXY_HEADER``; trusted only on
  connections from ``DQ_TRUSTED_PROXIES``.
- ``users``: a users file with bcrypt hashes (``python -m jobs users``); small teams and the demo.

Errors name the setting to fix, never a host, user or password.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field
from typing import Any

from core import config
from core.auth import demo, mapping
from core.auth.users_file import read_users, users_path
from core.db.base import Database
from core.errors import ConfigError, DQHubError

MODES = ("users", "oidc", "proxy")
MIN_COOKIE_KEY = 32  # characters; a shorter key makes forged login cookies practical
_OIDC_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class AuthSetup:
    """Everything the sign-in gate needs, validated.

    Parameters
    ----------
    mode : str
        One of ``MODES``.
    demo : bool
        Demo logins are offered (``core.auth.demo``).
    cookie_key : str
        Signs session cookies and keys screen-share pseudonyms.
    users : dict
        ``users`` mode: the users file (plus the demo users in demo mode).
    mapping : core.auth.mapping.Mapping or None
        ``oidc`` and ``proxy`` modes: groups -> roles and accounts.
    proxies : tuple of ip_network
        ``proxy`` mode (and any mode behind a reverse proxy): whose forwarded headers count.
    """

    mode: str
    demo: bool
    cookie_key: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    mapping: mapping.Mapping | None = None
    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @property
    def sessions(self) -> bool:
        """Whether DQ Hub keeps server-side sessions in this mode (not behind a proxy)."""
        return self.mode != "proxy"


def trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``DQ_TRUSTED_PROXIES`` parsed.

    Raises
    ------
    ConfigError
        Naming the setting and the entry that is not an address or network.
    """
    out = []
    for part in config.get("DQ_TRUSTED_PROXIES").split(","):
        if part.strip():
            try:
                out.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise ConfigError(
                    f"DQ_TRUSTED_PROXIES: {part.strip()!r} is not an IP address or network"
                ) from exc
    return tuple(out)


def _cookie_key(is_demo: bool) -> str:
    key = config.get("DQ_COOKIE_KEY")
    if is_demo and not key:
        return demo.demo_cookie_key()
    if len(key) < MIN_COOKIE_KEY:
        raise ConfigError(
            f"DQ_COOKIE_KEY must be at least {MIN_COOKIE_KEY} characters outside the demo; set "
            "it in the environment or .streamlit/secrets.toml (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')"
        )
    return key


def _mapping() -> mapping.Mapping:
    try:
        return mapping.load(config.get("DQ_AUTH_MAPPING_FILE"))
    except DQHubError as exc:
        raise ConfigError(f"DQ_AUTH_MAPPING_FILE: {exc}") from exc


def _check_oidc(secrets: MappingType[str, Any]) -> None:
    section = secrets.get("auth")
    where = "[auth] in .streamlit/secrets.toml"
    if not isinstance(section, MappingType):
        raise ConfigError(f"DQ_AUTH_MODE=oidc needs {where} (see the README's Signing in)")
    missing = [k for k in ("redirect_uri", "cookie_secret") if not section.get(k)]
    providers = [section] + [v for v in section.values() if isinstance(v, MappingType)]
    if not any(all(p.get(k) for k in _OIDC_KEYS) for p in providers):
        missing += [k for k in _OIDC_KEYS if not section.get(k)]
    if missing:
        raise ConfigError(f"DQ_AUTH_MODE=oidc: {where} lacks {', '.join(missing)}")
    if len(str(section["cookie_secret"])) < MIN_COOKIE_KEY:
        raise ConfigError(
            f"DQ_AUTH_MODE=oidc: cookie_secret in {where} must be at least {MIN_COOKIE_KEY} "
            "characters"
        )


def setup(
    db: Database, url: str | None = None, secrets: MappingType[str, Any] | None = None
) -> AuthSetup:
    """The validated sign-in setup for the warehouse ``db`` at ``url``.

    Parameters
    ----------
    secrets : mapping, optional
        Streamlit's secrets (``st.secrets``), where ``oidc`` mode finds ``[auth]``.

    Raises
    ------
    ConfigError
        Naming what is missing or unsafe: an unknown mode, no users outside the demo, a short
        cookie key, a missing ``[auth]`` entry, a bad mapping file or proxy setting.
    """
    mode = config.get("DQ_AUTH_MODE")
    if mode not in MODES:
        raise ConfigError(f"DQ_AUTH_MODE={mode!r} is unknown; expected {', '.join(MODES)}")
    is_demo = demo.demo_mode(db, url)
    proxies = trusted_proxies()
    if mode == "users":
        users = read_users()
        if is_demo:
            users = {**demo.demo_users(db), **users}
        elif not users:
            raise ConfigError(
                f"No users configured in DQ_USERS_FILE ({users_path().name}). Add one with "
                "`python -m jobs users add NAME --role admin --accounts all`, or choose "
                "DQ_AUTH_MODE=oidc or proxy."
            )
        return AuthSetup(mode, is_demo, _cookie_key(is_demo), users=users, proxies=proxies)
    if mode == "oidc":
        _check_oidc(secrets or {})
    elif not config.get("DQ_AUTH_PROXY_HEADER") or not proxies:
        raise ConfigError(
            "DQ_AUTH_MODE=proxy needs DQ_AUTH_PROXY_HEADER (the header holding the user, e.g. "
            "X-Forwarded-Email) and DQ_TRUSTED_PROXIES (the proxy's addresses)"
        )
    return AuthSetup(mode, False, _cookie_key(False), mapping=_mapping(), proxies=proxies)
