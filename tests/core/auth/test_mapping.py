"""The SSO mapping file: first match wins; every mistake names its line."""

import pytest

from core.auth import mapping
from core.auth.user import AuthError

GOOD = """\
user_claim: email
groups_claim: roles
rules:
  - user: Alice@Example.com
    role: ds
    accounts: all
  - group: dq-admins
    role: admin
    accounts: all
  - group: northwind
    role: staff
    accounts: [acc-01, acc-02]
"""


def _load(tmp_path, text):
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    return mapping.load(path)


def test_first_matching_rule_wins(tmp_path):
    m = _load(tmp_path, GOOD)
    assert (m.user_claim, m.groups_claim) == ("email", "roles")
    alice = m.user("alice@example.com", {"dq-admins"})
    assert (alice.role, alice.accounts) == ("ds", None)  # her own rule comes first
    bob = m.user("bob@example.com", {"northwind", "other"}, name="Bob")
    assert (bob.username, bob.name, bob.role) == ("bob@example.com", "Bob", "staff")
    assert bob.accounts == frozenset({"acc-01", "acc-02"})
    root = m.user("root@example.com", ["dq-admins", "northwind"])
    assert root.role == "admin"


def test_no_matching_rule_is_refused_naming_only_the_person(tmp_path):
    m = _load(tmp_path, GOOD)
    with pytest.raises(AuthError, match="eve@example.com has no DQ Hub role") as info:
        m.user("eve@example.com", {"sales"})
    assert "northwind" not in str(info.value) and "alice" not in str(info.value).lower()


def test_defaults(tmp_path):
    m = _load(tmp_path, "rules:\n  - group: g\n    role: bse\n    accounts: all\n")
    assert (m.user_claim, m.groups_claim) == ("email", "groups")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("rules:\n  - group: g\n    role: root\n    accounts: all\n", 3, "unknown role 'root'"),
        ("rules:\n  - group: g\n    role: ds\n    acounts: all\n", 4, "unknown key 'acounts'"),
        ("rules:\n  - group: g\n    role: ds\n", 2, "the rule lacks accounts"),
        (
            "rules:\n  - group: g\n    user: u\n    role: ds\n    accounts: all\n",
            2,
            "exactly one of user or group",
        ),
        ("rules:\n  - role: ds\n    accounts: all\n", 2, "exactly one of user or group"),
        ("rules:\n  - group: g\n    role: ds\n    accounts: some\n", 4, "accounts must be 'all'"),
        ("rules:\n  - group: g\n    role: ds\n    accounts: []\n", 4, "accounts must be 'all'"),
        ("roles:\n  - group: g\n", 1, "unknown key 'roles'"),
        ("rules:\n  - group: ''\n    role: ds\n    accounts: all\n", 2, "group must be"),
    ],
)
def test_mistakes_name_the_line(tmp_path, text, line, message):
    with pytest.raises(AuthError, match=rf"mapping.yaml, line {line}: .*{message}"):
        _load(tmp_path, text)


def test_missing_empty_or_broken_file(tmp_path):
    with pytest.raises(AuthError, match="does not exist"):
        mapping.load(tmp_path / "nope.yaml")
    with pytest.raises(AuthError, match="'rules' must list at least one rule"):
        _load(tmp_path, "user_claim: email\n")
    with pytest.raises(AuthError, match="not valid YAML"):
        _load(tmp_path, "rules: [\n")


def test_the_shipped_example_is_valid():
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / ".streamlit" / "auth_mapping.yaml.example"
    m = mapping.load(example)
    assert m.rules and m.user("someone@example.com", {"data-science"}).role == "ds"
