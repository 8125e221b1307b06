"""The page table: every page's key, file, title, icon and roles, and who may do which action.

One declaration read by Home.py (navigation), ``core.auth.User`` (``can_open``, ``can``) and the
tests. Adding a page is one line here plus its file in app_pages/ (README "Add a page").
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "ds", "staff", "bse")
EVERYONE = ROLES
TRIAGERS = ("admin", "ds", "staff")  # bse users read DQ issues but do not change them
OWNER_SETTERS = ("admin", "ds")  # who decides which DQ Hub user new issues go to


@dataclass(frozen=True)
class Page:
    """One page of the app.

    Parameters
    ----------
    key : str
        URL path (``/issues``) and the name of its service package ``core/views/<key>``.
    file : str
        The page script, under app_pages/.
    title, icon : str
        Shown in the navigation (icon: a ``:material/...:`` name).
    roles : tuple of str
        Roles that may open it.
    """

    key: str
    file: str
    title: str
    icon: str
    roles: tuple[str, ...]


PAGES: tuple[Page, ...] = (
    Page("issues", "app_pages/issues.py", "Issues", ":material/checklist:", TRIAGERS),
    Page("offline", "app_pages/offline.py", "Offline devices", ":material/power_off:", TRIAGERS),
    Page("overview", "app_pages/overview.py", "DQ overview", ":material/monitoring:", EVERYONE),
    Page("explorer", "app_pages/explorer.py", "Meter explorer", ":material/query_stats:",
         EVERYONE),
    Page("bills", "app_pages/bills.py", "Utility bills", ":material/receipt_long:", TRIAGERS),
    Page("sandbox", "app_pages/sandbox.py", "Model sandbox", ":material/science:", EVERYONE),
    Page("projects", "app_pages/projects.py", "Projects", ":material/engineering:",
         ("admin", "ds", "bse")),  # ds own the overshoot model: they read, BSEs act
    Page("owners", "app_pages/owners.py", "Owners", ":material/assignment_ind:", OWNER_SETTERS),
    Page("admin", "app_pages/admin.py", "Admin", ":material/admin_panel_settings:", ("admin",)),
)  # fmt: skip
BY_KEY = {p.key: p for p in PAGES}

# Action -> roles that may do it. Pages and core services ask ``user.can(action)``.
ACTIONS: dict[str, tuple[str, ...]] = {
    "triage": TRIAGERS,  # change an issue's status, note or follow-up fields
    "assign": TRIAGERS,  # assign an issue to a DQ Hub user in its account, or unassign it
    "set_owners": OWNER_SETTERS,  # set the default owner of an account or building
    "change_projects": ("admin", "bse"),  # move a project through its statuses
    "run_now": ("admin",),  # queue a job run from the Admin page
    "see_model_errors": ("admin", "ds"),  # sandbox models that failed to load, with the reason
    # Comment on an issue the user can see: every role, bse too (a comment changes nothing about
    # the issue; a building engineer knows what happened on site). Read-only means statuses.
    "comment": EVERYONE,
}
