"""The mapping file of the ``oidc`` and ``proxy`` modes: identity-provider groups -> DQ Hub roles.

``DQ_AUTH_MAPPING_FILE`` (YAML)::

    user_claim: email        # oidc: the identity-token claim that names the user (default email)
    groups_claim: groups     # oidc: the claim listing the user's groups (default groups)
    rules:                   # first match wins: put people and narrow groups first
      - user: alice@example.com
        role: ds
        accounts: all
      - group: dq-admins
        role: admin
        accounts: all
      - group: northwind-support
        role: staff
        accounts: [acc-01, acc-02]

A person matching no rule is refused with a message naming their identity. The file is read
and checked when the app starts and on every sign-in; an error names the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from core.auth.user import ALL, ROLES, AuthError, User, grant

_TOP_KEYS = {"user_claim", "groups_claim", "rules"}
_RULE_KEYS = {"user", "group", "role", "accounts"}


@dataclass(frozen=True)
class Rule:
    """One line of the mapping: a user or a group, the role and the granted accounts."""

    user: str | None
    group: str | None
    role: str
    accounts: frozenset[str] | None
    line: int

    def matches(self, identity: str, groups: frozenset[str]) -> bool:
        """Whether this rule applies to ``identity`` with ``groups``."""
        if self.user is not None:
            return self.user.lower() == identity.lower()
        return self.group in groups


@dataclass(frozen=True)
class Mapping:
    """A parsed, valid mapping file."""

    path: Path
    user_claim: str
    groups_claim: str
    rules: tuple[Rule, ...]

    def user(self, identity: str, groups: frozenset[str] | set[str], name: str = "") -> User:
        """The ``User`` of the first rule matching ``identity`` or one of ``groups``.

        Raises
        ------
        AuthError
            When no rule matches (the message names the identity, never other users).
        """
        groups = frozenset(groups)
        for rule in self.rules:
            if rule.matches(identity, groups):
                return User(identity, name or identity, rule.role, rule.accounts)
        raise AuthError(
            f"{identity} has no DQ Hub role: none of their groups is in the mapping file. "
            "Ask a DQ Hub admin to add it."
        )


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(path: Path, node: yaml.Node, message: str) -> AuthError:
    return AuthError(f"{path}, line {_line(node)}: {message}")


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _accounts(path: Path, node: yaml.Node) -> frozenset[str] | None:
    if isinstance(node, yaml.ScalarNode) and node.value == ALL:
        return None
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise _fail(path, node, "accounts must be 'all' or a list of account ids, e.g. [acc-01]")
    return grant([_scalar(path, item, "an account id") for item in node.value])


def _keys(path: Path, node: yaml.MappingNode, allowed: object, what: str) -> dict[str, yaml.Node]:
    """The mapping's values by key; an unknown key is refused, naming its line."""
    found = {}
    for key, value in node.value:
        name = _scalar(path, key, what)
        if name not in allowed:
            expected = ", ".join(sorted(allowed))
            raise _fail(path, key, f"unknown key {name!r}; expected {expected}")
        found[name] = value
    return found


def _rule(path: Path, node: yaml.Node) -> Rule:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, "a rule must be a mapping with user or group, role, accounts")
    fields = _keys(path, node, _RULE_KEYS, "a rule key")
    if ("user" in fields) == ("group" in fields):
        raise _fail(path, node, "a rule names exactly one of user or group")
    for needed in ("role", "accounts"):
        if needed not in fields:
            raise _fail(path, node, f"the rule lacks {needed}")
    role = _scalar(path, fields["role"], "role")
    if role not in ROLES:
        raise _fail(path, fields["role"], f"unknown role {role!r}; expected {', '.join(ROLES)}")
    return Rule(
        user=_scalar(path, fields["user"], "user") if "user" in fields else None,
        group=_scalar(path, fields["group"], "group") if "group" in fields else None,
        role=role,
        accounts=_accounts(path, fields["accounts"]),
        line=_line(node),
    )


def load(path: str | Path) -> Mapping:
    """Read and check the mapping file.

    Raises
    ------
    AuthError
        If the file is missing, not YAML, or a key, role or accounts entry is wrong; the
        message names the file and the line.
    """
    path = Path(path)
    if not path.exists():
        raise AuthError(f"{path}: the mapping file (DQ_AUTH_MAPPING_FILE) does not exist")
    try:
        root = yaml.compose(path.read_text())
    except yaml.YAMLError as exc:
        raise AuthError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(root, yaml.MappingNode):
        raise AuthError(f"{path}: expected keys {', '.join(sorted(_TOP_KEYS))}")
    top = _keys(path, root, _TOP_KEYS, "a key")
    rules_node = top.get("rules")
    if not isinstance(rules_node, yaml.SequenceNode) or not rules_node.value:
        raise AuthError(f"{path}: 'rules' must list at least one rule")
    return Mapping(
        path=path,
        user_claim=_scalar(path, top["user_claim"], "user_claim")
        if "user_claim" in top
        else "email",
        groups_claim=_scalar(path, top["groups_claim"], "groups_claim")
        if "groups_claim" in top
        else "groups",
        rules=tuple(_rule(path, node) for node in rules_node.value),
    )
