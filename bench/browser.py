"""How DQ Hub drives a browser: Debian's Chromium, headless, talking to nothing but loopback.

Shared by the load benchmark and the end-to-end tests, so both measure and test the same browser.
"""

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
