"""One browser session of the load benchmark: ``python -m bench.load_session``.

It reads its configuration (one JSON line: login, rows to edit, ...) from stdin. Each session
is its own process with its own sync Playwright and headless Debian Chromium (the sync API is
not thread-safe, so sessions never share a browser). It prints ``ready`` once Chromium is up
and waits for another line, so all sessions start together; then it signs in through the real
form and runs its rounds on the Issues page (filter, page, open the explorer, edit a status and
a note, save). The last line printed is the result as JSON: ``timings`` ``[{kind, s}]``,
``errors``, ``saved`` (notes the page said were saved), ``refused`` and ``warnings``; each
timing also has ``wall`` and ``at`` (when the request was sent, ``time.monotonic()``, the same
clock in every process of the machine).

Server time of an interaction is read from the app's own websocket messages (Streamlit's
``BackMsg`` and ``ForwardMsg``): from the browser's request for a script run until the last run
it caused has finished and no run followed for ``QUIET_S``. ``wall`` is the same from the click
(or, for the explorer's new tab, from opening it), so it holds the browser's work before the
request too; the browser's painting afterwards is in neither.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS

VIEWPORT = {"width": 1900, "height": 1300}  # the whole editor and the flash above it fit
ROW_PX = 35  # st.data_editor row height (header too)
SEVERITY_X = 36 + 35  # the middle of the Severity cell: read-only, so a click edits nothing
STATUS_COL, NOTE_COL = 9, 10  # positions in core.views.issues.table (select = 0, severity = 1)
QUIET_S = 0.3  # no new script run for this long after one finished: the interaction is over
TIMEOUT_S = 120  # one interaction, under the heaviest load measured
POLL_MS = 20
FAILURE_TEXTS = ("DQ Hub cannot start", "Cannot open warehouse")
STALE = re.compile(r"changed at .* after you loaded it|remote warehouse changed", re.I)


class Tracker:
    """Script runs and messages of one browser tab, read from the app's websocket."""

    def __init__(self, page: Any) -> None:
        self.started = 0  # script runs begun (Streamlit sends new_session for each)
        self.running = False
        self.changed = time.monotonic()  # last time a run began or ended
        self.finished = 0.0  # the last run that ended for good (not early for a rerun)
        self.alerts: list[tuple[int, str]] = []  # (Alert.Format, text)
        self.problems: list[str] = []  # exceptions, page not found, compile errors
        self.asked: list[float] = []  # when the browser asked for a script run (rerun_script)
        self._taken = (0, 0)
        page.on("websocket", self._socket)

    def _socket(self, ws: Any) -> None:
        ws.on("framereceived", self._frame)
        ws.on("framesent", self._sent)

    def _sent(self, payload: bytes | str) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        if not isinstance(payload, str) and BackMsg.FromString(payload).HasField("rerun_script"):
            self.asked.append(time.monotonic())

    def _set(self, running: bool, at: float) -> None:
        self.running, self.changed = running, at

    def _frame(self, payload: bytes | str) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        at, msg = time.monotonic(), ForwardMsg.FromString(payload)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
            self._set(True, at)
        elif kind == "session_status_changed":
            self._set(msg.session_status_changed.script_is_running, at)
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.problems.append("script compile error")
            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.finished = at
                self._set(False, at)
        elif kind == "page_not_found":
            self.problems.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception":
                e = element.exception
                self.problems.append(f"exception {e.type}: {e.message}"[:500])
            elif which == "alert":
                self.alerts.append((element.alert.format, _plain(element.alert.body)))
            elif which == "toast":
                self.alerts.append((0, "toast: " + _plain(element.toast.body)))

    def take(self) -> tuple[list[str], list[tuple[int, str]]]:
        """Problems and alerts received since the last call."""
        p, a = self._taken
        self._taken = (len(self.problems), len(self.alerts))
        return self.problems[p:], self.alerts[a:]

    def wait(self, page: Any, t0: float, runs_before: int, what: str) -> tuple[float, float]:
        """Until the runs started after ``runs_before`` are all over: (server, wall) seconds.

        Server time starts when the browser sent its first request for a run after ``t0``;
        wall time at ``t0`` (the click), so it also holds the browser's own work before that.
        """
        deadline = t0 + TIMEOUT_S
        while True:
            page.wait_for_timeout(POLL_MS)  # Playwright delivers websocket events meanwhile
            now = time.monotonic()
            if (
                self.started > runs_before
                and not self.running
                and self.finished >= t0
                and now - self.changed >= QUIET_S
            ):
                asked = min((a for a in self.asked if a >= t0), default=t0)
                return self.finished - asked, self.finished - t0
            if now > deadline:
                raise TimeoutError(f"{what}: the app did not finish within {TIMEOUT_S} s")


def _plain(markdown: str) -> str:
    """Alert text without the backslashes ``core.markup.md`` escapes Markdown with."""
    return re.sub(r"\\(.)", r"\1", markdown)


class Session:
    """One person: a browser profile (its own cookies), its tab, and what it measured."""

    def __init__(self, browser: Any, cfg: dict[str, Any]) -> None:
        self.cfg, self.base = cfg, cfg["base"]
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT_S * 1000)  # a starved browser is slow, not broken
        self.context.route("**/*", _loopback_only)
        self.page = self.context.new_page()
        self.tracker = Tracker(self.page)
        self.timings: list[dict[str, Any]] = []
        self.errors: list[dict[str, str]] = []
        self.saved: list[str] = []
        self.refused: list[dict[str, Any]] = []
        self.warnings: list[str] = []

    # -- timing ------------------------------------------------------------------------------
    def timed(
        self, kind: str, act: Any, tracker: Tracker | None = None, page: Any = None
    ) -> list[str]:
        """Run ``act()`` (one click or key press), record the server time it caused.

        Returns the texts of the messages (alerts, toasts) the app showed meanwhile.
        """
        tracker, page = tracker or self.tracker, page or self.page
        tracker.take()
        before, t0 = tracker.started, time.monotonic()
        act()
        server, wall = tracker.wait(page, t0, before, kind)
        self.timings.append(
            {
                "kind": kind,
                "s": round(server, 4),
                "wall": round(wall, 4),
                "at": round(t0 + wall - server, 3),
            }
        )  # monotonic, machine-wide
        alerts = self.check(kind, tracker)
        page.wait_for_function(  # the browser has drawn the result before the next click
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=TIMEOUT_S * 1000,
        )
        return [text for _, text in alerts]

    def check(self, kind: str, tracker: Tracker) -> list[tuple[int, str]]:
        """Turn new exceptions and error messages on the page into errors; keep warnings."""
        problems, alerts = tracker.take()
        for problem in problems:
            self.errors.append({"kind": kind, "message": problem})
        for fmt, text in alerts:
            if fmt == 1 or any(t in text for t in FAILURE_TEXTS):  # Alert.ERROR
                self.errors.append({"kind": kind, "message": text[:500]})
            elif fmt == 2 and not text.startswith("Not saved:"):  # Alert.WARNING
                self.warnings.append(f"{kind}: {text[:300]}")
        return alerts

    def think(self) -> None:
        """The pause a person takes between two clicks (``think`` seconds)."""
        self.page.wait_for_timeout(self.cfg["think"] * 1000)

    # -- interactions --------------------------------------------------------------------------
    def sign_in(self) -> None:
        """Open the app, fill the real form and press Login (timed from the click)."""
        page = self.page
        page.goto(self.base)
        page.get_by_role("textbox", name="Username").fill(self.cfg["user"])
        page.get_by_role("textbox", name="Password").fill(self.cfg["password"])
        self.timed("sign_in", page.get_by_role("button", name="Login").click)
        page.get_by_text("Signed in as").wait_for(timeout=TIMEOUT_S * 1000)
        self.grid().wait_for(timeout=TIMEOUT_S * 1000)

    def grid(self) -> Any:
        """The Issues editor (a canvas)."""
        return self.page.locator('[data-testid="stDataFrame"]').first

    def filter_severity(self, value: str) -> None:
        """Pick ``value`` in the Severity filter, then clear it again: two timed filters."""
        box = self.page.locator('[data-testid="stMultiSelect"]').filter(has_text="Severity")
        box.locator("input").click()
        self.page.keyboard.type(value)
        self.timed("filter", lambda: self.page.keyboard.press("Enter"))
        self.page.keyboard.press("Escape")
        self.think()
        box.locator("input").click()
        self.timed("filter", lambda: self.page.keyboard.press("Backspace"))
        self.page.keyboard.press("Escape")

    def go_to_page(self, number: int) -> None:
        """Type a page number into Page and press Enter (timed)."""
        field = self.page.get_by_role("spinbutton", name="Page")
        field.fill(str(number))
        self.timed("page", lambda: field.press("Enter"))

    def open_explorer(self, issue_id: str) -> None:
        """Open the meter explorer at an issue in a new tab, as the Explore link does (timed)."""
        tab = self.context.new_page()
        tracker = Tracker(tab)
        try:
            url = f"{self.base}/explorer?issue={issue_id}"
            self.timed("explorer", lambda: tab.goto(url, wait_until="commit"), tracker, tab)
            tab.get_by_role("heading", name="Meter explorer").wait_for(timeout=30_000)
        finally:
            tab.close()
            self.page.bring_to_front()

    def edit_cell(self, row: int, col: int, text: str) -> None:
        """Select ``row``'s Severity cell, walk right to ``col``, open its editor, enter ``text``.

        A status cell opens a list (typing filters it, Enter picks the one option left); a note
        cell a text box. The editor's commit reruns the page (timed as ``edit``).
        """
        page, grid = self.page, self.grid()
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        x, y = box["x"] + SEVERITY_X, box["y"] + ROW_PX * (row + 1.5)
        page.mouse.move(x - 5, y)
        page.mouse.click(x, y)
        page.wait_for_timeout(200)
        for _ in range(col - 1):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        if col == STATUS_COL:  # under load the list opens late: type only once it is there
            page.locator("#portal input").first.wait_for(timeout=30_000)
            page.keyboard.type(text)
            page.locator("#portal [role=option]", has_text=text).first.wait_for(timeout=30_000)
        else:
            cell = page.locator("#portal textarea, #portal input").first
            cell.wait_for(timeout=30_000)
            cell.fill(text)
        self.timed("edit", lambda: page.keyboard.press("Enter"))

    def save(self, token: str) -> None:
        """Press Save changes (timed) and sort the outcome: saved, refused (stale or not)."""
        texts = self.timed("save", self.page.get_by_role("button", name="Save changes").click)
        if any(t.startswith("Saved 1 change") for t in texts):
            self.saved.append(token)
        elif refusals := [t for t in texts if t.startswith("Not saved:")]:
            reason = refusals[0].removeprefix("Not saved: ")
            self.refused.append(
                {"token": token, "reason": reason, "stale": bool(STALE.search(reason))}
            )
        else:
            self.errors.append({"kind": "save", "message": f"no outcome shown: {texts}"[:500]})

    def round(self, r: int, edit: dict[str, Any] | None) -> None:
        """Filter, page, open the explorer and (with ``edit``) change one row and save it."""
        self.filter_severity(("high", "medium", "low")[r % 3])
        self.think()
        if self.cfg["pages"] > 1:
            self.go_to_page(2)
            self.think()
            self.go_to_page(1)
            self.think()
        self.open_explorer(self.cfg["explore"][r % len(self.cfg["explore"])])
        self.think()
        if edit is None:
            return
        self.edit_cell(edit["row"], STATUS_COL, edit["status"])
        self.edit_cell(edit["row"], NOTE_COL, edit["note"])
        self.think()
        self.save(edit["note"])
        body = self.page.inner_text("body")
        for text in FAILURE_TEXTS:
            if text in body:
                self.errors.append({"kind": "page", "message": f"{text!r} on the page"})
        self.think()

    def run(self) -> None:
        """Sign in and run every round; an error is recorded and the next round starts afresh."""
        try:
            self.sign_in()
        except Exception as exc:  # noqa: BLE001 - every failure is a measured error
            self.errors.append({"kind": "sign_in", "message": f"{type(exc).__name__}: {exc}"})
            return
        edits = self.cfg["edits"]
        for r in range(self.cfg["rounds"]):
            try:
                self.round(r, edits[r] if r < len(edits) else None)
            except Exception as exc:  # noqa: BLE001
                self.errors.append(
                    {"kind": f"round {r}", "message": f"{type(exc).__name__}: {str(exc)[:400]}"}
                )
                self.screenshot(f"round{r}")
                try:  # start the next round from a fresh Issues page
                    self.page.goto(self.base)
                    self.grid().wait_for(timeout=TIMEOUT_S * 1000)
                except Exception as again:  # noqa: BLE001
                    self.errors.append({"kind": "recover", "message": str(again)[:400]})
                    return

    def screenshot(self, what: str) -> None:
        """Keep the screen of a failed round beside the logs (``shots`` folder, if given)."""
        if self.cfg.get("shots"):
            try:
                self.page.screenshot(path=f"{self.cfg['shots']}-{what}.png", timeout=30_000)
            except Exception:  # noqa: BLE001, S110 - a missing picture must not hide the error
                pass

    def result(self) -> dict[str, Any]:
        """What this session measured (the JSON line printed last)."""
        return {
            "session": self.cfg["session"],
            "user": self.cfg["user"],
            "timings": self.timings,
            "errors": self.errors,
            "saved": self.saved,
            "refused": self.refused,
            "warnings": self.warnings,
        }


def _loopback_only(route: Any) -> None:
    """Abort every request that would leave the machine."""
    ok = route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
    route.continue_() if ok else route.abort()


def main() -> dict[str, Any]:
    """Read the configuration, launch Chromium, say ``ready``, wait for the go line, run."""
    from playwright.sync_api import sync_playwright

    cfg = json.loads(sys.stdin.readline())  # on stdin, not argv: passwords stay out of ps
    os.nice(cfg.get("nice", 0))  # Chromium and the Playwright driver inherit it

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            session = Session(browser, cfg)
            print("ready", flush=True)
            sys.stdin.readline()
            session.run()
            return session.result()
        finally:
            browser.close()


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
