"""Driving app processes (tests/topology/app_process.py) from a test: commands in, answers out."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSWER_TIMEOUT_S = 120  # a cold process imports pandas and copies the warehouse first


def app_env(warehouse_url: str, cache_path: Path) -> dict[str, str]:
    """An app process's environment: the warehouse, its cache file, no refresh on age."""
    return {
        **os.environ,
        "DQ_WAREHOUSE": warehouse_url,
        "DQ_CACHE_PATH": str(cache_path),
        "DQ_CACHE_REFRESH_SECONDS": "3600",  # no refresh unless a step asks for one
    }


class AppProcess:
    """One app process: send it a command, read its answer (see app_process.py)."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.topology.app_process"],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
        )
        self._answers: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.hello: dict | None = None

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._answers.put(line)
        self._answers.put(None)  # the process ended

    def send(self, line: str | dict) -> None:
        """Write one command (a dict, as JSON) or a bare line such as ``go``."""
        self.proc.stdin.write((json.dumps(line) if isinstance(line, dict) else line) + "\n")
        self.proc.stdin.flush()

    def answer(self) -> dict:
        """The next answer; fails with the process's log when it errs, dies or is silent."""
        try:
            line = self._answers.get(timeout=ANSWER_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"app process {self.name} did not answer: {self.log.read_text()}")
        if line is None:
            pytest.fail(f"app process {self.name} ended: {self.log.read_text()}")
        message = json.loads(line)
        assert "error" not in message, f"app process {self.name}: {message['error']}"
        return message

    def has_answered(self) -> bool:
        """Whether an answer is waiting to be read."""
        return not self._answers.empty()

    def ask(self, **command: object) -> dict:
        self.send(command)
        return self.answer()

    def row(self, user: str, issue_id: str) -> dict:
        """The issue's row as this process's Issues page shows it to ``user`` now."""
        rows = self.ask(op="load", user=user)["rows"]
        return next(r for r in rows if r["issue_id"] == issue_id)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send({"op": "quit"})
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()
