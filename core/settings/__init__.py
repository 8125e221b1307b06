"""Every setting DQ Hub reads, declared once, grouped by concern (one module per group).

Read them with ``core.config.get(name)``; the README's settings table and
``.streamlit/secrets.toml.example`` list them all (tests/test_docs.py checks).
"""

from core.settings import jobs, pages, signin, sources, storage, worker
from core.settings.setting import Setting

SETTINGS: tuple[Setting, ...] = (
    storage.SETTINGS
    + sources.SETTINGS
    + jobs.SETTINGS
    + worker.SETTINGS
    + signin.SETTINGS
    + pages.SETTINGS
)

__all__ = ["SETTINGS", "Setting"]
