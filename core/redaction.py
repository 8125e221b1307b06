"""Secrets out of messages: passwords in URLs and secret settings never reach a screen or log.

One function, :func:`redact`, serves ``python -m jobs settings``, every connection error
(warehouse, platform and projects databases, InfluxDB, S3) and whatever the app or the CLI
prints from them. It masks

- the password of any ``scheme://user:password@host`` URL, also when the password itself
  holds ``@``, ``:`` or ``/`` (everything up to the URL's last ``@`` is the user part);
- the value of secret parameters in URLs and connection strings: ``?password=``,
  ``&sslpassword=``, ``pwd=``, ``token=``, ``secret=``, ``api_key=``, InfluxDB's ``&p=``;
- any literal occurrence of a configured secret: the value of every setting whose name says
  KEY, SECRET, PASSWORD or TOKEN, and the password of every URL setting (as written and
  percent-decoded), so a driver message that repeats a password in its own words is masked
  too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

MASK = "***"
SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL", re.IGNORECASE)
URL_SETTINGS = ("DQ_WAREHOUSE", "DQ_PLATFORM_DB_URL", "DQ_PROJECTS_DB_URL", "DQ_INFLUX_URL")
_MIN_SECRET = 3  # shorter literal values are not searched for: they would mask ordinary text

# A URL with a scheme, up to whitespace, a quote or an angle bracket.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://)([^\s'\"<>]+)")
# name=value pairs whose value is a secret, in query strings and key=value connection strings.
_PARAM = re.compile(
    r"(?i)((?:(?:^|(?<=[\s?&;,(\"']))"
    r"[a-z_]*(?:password|passwd|pwd|secret|token|api_?key|access_?key)\s*=\s*)"
    r"|(?<=[?&])p=)"  # InfluxDB's password parameter
    r"('[^']*'|\"[^\"]*\"|[^\s&;,)'\"]+)"
)


def redact(text: object, urls: Iterable[str] = ()) -> str:
    """``text`` with every password and secret replaced by ``***``.

    Parameters
    ----------
    text : object
        A message, URL or setting value (converted with ``str``).
    urls : iterable of str
        Connection URLs whose passwords must not appear anywhere in ``text`` (the URL a failed
        connection used, when it is not a setting).
    """
    out = _URL.sub(_mask_userinfo, str(text))
    out = _PARAM.sub(lambda m: m.group(1) + MASK, out)
    for secret in sorted(_known_secrets(urls), key=len, reverse=True):
        out = out.replace(secret, MASK)
    return out


def setting_of(url: str) -> str | None:
    """The URL setting (``DQ_WAREHOUSE``, ...) whose value is ``url``, if any."""
    from core import config
    from core.errors import ConfigError

    for name in URL_SETTINGS:
        try:
            if url and config.get(name) == url:
                return name
        except ConfigError:
            continue
    return None


def describe(url: str) -> str:
    """How a message names a connection, keeping hosts and users out of the app.

    "the database of DQ_WAREHOUSE" when ``url`` is a setting's value, else the URL with its
    password masked (a URL given directly, e.g. in a test or a script).
    """
    name = setting_of(url)
    return f"the database of {name}" if name else redact(url, [url])


def setting_value(name: str, value: object) -> str:
    """A setting's value as ``jobs settings`` shows it: secret names hidden, URLs redacted."""
    if SECRET_NAME.search(name):
        return f"{MASK} (set)" if str(value) else ""
    return redact(value)


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme, rest = match.group(1), match.group(2)
    at = rest.rfind("@")
    if at < 0:
        return match.group(0)
    user, colon, _ = rest[:at].partition(":")
    if not colon:  # user name only: nothing secret
        return match.group(0)
    return f"{scheme}{user}:{MASK}{rest[at:]}"


def url_password(url: str) -> str | None:
    """The password of ``scheme://user:password@host...`` (None without one)."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return None
    _, colon, password = rest[: rest.rfind("@")].partition(":")
    return password if colon and password else None


def _known_secrets(urls: Iterable[str]) -> set[str]:
    """Literal secret strings to mask: from the settings, and the passwords of ``urls``."""
    from core import config  # settings are read at call time
    from core.errors import ConfigError

    values: list[str] = []
    for setting in config.SETTINGS:
        if setting.type is not str:
            continue
        try:
            value = config.get(setting.name)
        except ConfigError:
            continue
        if SECRET_NAME.search(setting.name):
            values.append(value)
        else:
            values += _url_secrets(value)
    for url in urls:
        values += _url_secrets(url)
    return {v for v in values if len(v) >= _MIN_SECRET}


def _url_secrets(value: str) -> list[str]:
    found = []
    password = url_password(value)
    if password:
        found += [password, unquote(password)]
    found += [m.group(2).strip("'\"") for m in _PARAM.finditer(value)]
    return found
