"""Docker packaging, tested without a Docker engine.

- docker/entrypoint.sh runs under ``sh`` with ``PYTHON`` pointing at a stub that records its
  arguments, working directory and process id: the exact command lines, their order, and that
  the last one is exec'd (it keeps the shell's pid, so ``docker stop``'s SIGTERM reaches it).
- The same script for real against temporary DuckDB files: ``migrate``; ``app`` serving
  Streamlit on 127.0.0.1 until its health endpoint answers, then stopped with SIGTERM; ``worker``
  running ``jobs serve`` until SIGTERM stops it with status 0.
- docker/healthcheck.py against a local HTTP server and fake /proc trees.
- The image's Streamlit settings: the entrypoint's ``app`` mode, with ``config show`` in place
  of ``run``, prints .streamlit/config.toml's settings (listening on 0.0.0.0).
- A static check of the Dockerfile and .dockerignore, plus shellcheck and hadolint (`make test`
  installs them: shellcheck by scripts/system-packages.sh, hadolint from requirements-dev.txt).
"""

from __future__ import annotations

import fnmatch
import http.server
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import duckdb
import pytest

from jobs.cli import build_parser
from tests.test_streamlit_config import file_settings, settings, streamlit_env

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

APP = "-m streamlit run Home.py --server.address 0.0.0.0 --server.port 8501 --server.headless true"

# Records "pid<US>cwd<US>arg1<US>arg2..." per call; fails when its arguments equal $STUB_FAIL.
STUB = r"""#!/bin/sh
line="$$"
line="$line$(printf '\037')$(pwd)"
for a in "$@"; do line="$line$(printf '\037')$a"; done
printf '%s\n' "$line" >> "$STUB_LOG"
if [ "$*" = "${STUB_FAIL:-}" ]; then exit 7; fi
exit 0
"""


# Runs `streamlit config show` in place of `streamlit run Home.py`, with the same options, so the
# app mode prints the settings Streamlit would start with; any other call (migrate) does nothing.
CONFIG_SHIM = r"""#!/bin/sh
if [ "$1 $2 $3 $4" = "-m streamlit run Home.py" ]; then
    shift 4
    exec "$REAL_PYTHON" -m streamlit config show "$@"
fi
exit 0
"""


def _load_healthcheck():
    spec = importlib.util.spec_from_file_location(
        "dq_healthcheck", ROOT / "docker" / "healthcheck.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = _load_healthcheck()


class Call:
    """One recorded stub call: its arguments, whether it replaced the shell, where it ran."""

    def __init__(self, record: str, shell_pid: int):
        pid, self.cwd, *self.args = record.split("\x1f")
        self.exec = int(pid) == shell_pid
        self.line = " ".join(self.args)

    def __repr__(self):
        return f"Call({self.line!r}, exec={self.exec})"


@pytest.fixture
def entry(tmp_path):
    """Run the entrypoint with the stub as $PYTHON: returns (exit code, stdout, stderr, calls)."""
    stub = tmp_path / "python-stub"
    stub.write_text(STUB)
    stub.chmod(0o755)
    log = tmp_path / "calls.log"

    def run(*args, env=None, cwd=tmp_path):
        full = {**os.environ, "PYTHON": str(stub), "STUB_LOG": str(log)}
        full.pop("PORT", None)
        full.update(env or {})
        proc = subprocess.Popen(
            ["sh", str(ENTRYPOINT), *args],
            cwd=cwd,
            env=full,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = proc.communicate(timeout=30)
        records = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return proc.returncode, out, err, [Call(r, proc.pid) for r in records]

    return run


def _lines(calls):
    return [c.line for c in calls]


# --- entrypoint: command lines ---------------------------------------------------------------


def test_app_migrates_then_execs_streamlit_on_all_interfaces(entry):
    code, _, err, calls = entry("app")
    assert code == 0, err
    assert _lines(calls) == ["-m jobs migrate", APP]
    assert [c.exec for c in calls] == [False, True]


def test_app_listens_on_port_env_and_passes_extra_options(entry):
    code, _, _, calls = entry("app", "--server.baseUrlPath", "dq", env={"PORT": "9000"})
    assert code == 0
    assert calls[-1].line == (
        "-m streamlit run Home.py --server.address 0.0.0.0 --server.port 9000 "
        "--server.headless true --server.baseUrlPath dq"
    )


def test_worker_migrates_then_execs_jobs_serve(entry):
    code, _, err, calls = entry("worker")
    assert code == 0, err
    assert _lines(calls) == ["-m jobs migrate", "-m jobs serve"]
    assert [c.exec for c in calls] == [False, True]


@pytest.mark.parametrize("mode", ["app", "worker"])
def test_failed_migration_stops_before_the_server_starts(entry, mode):
    code, _, _, calls = entry(mode, env={"STUB_FAIL": "-m jobs migrate"})
    assert code == 7
    assert _lines(calls) == ["-m jobs migrate"]


def test_migrate_is_one_exec(entry):
    code, _, _, calls = entry("migrate")
    assert code == 0
    assert _lines(calls) == ["-m jobs migrate"]
    assert calls[0].exec


def test_demo_seeds_if_empty_scores_and_checks_bills(entry):
    code, _, _, calls = entry("demo", "--seed", "7")
    assert code == 0
    assert _lines(calls) == [
        "-m jobs demo --if-empty --seed 7",
        "-m jobs run dq --date latest -q",
        "-m jobs run bills -q",
        "-m jobs run overshoot -q",
    ]
    assert [c.exec for c in calls] == [False, False, False, True]


def test_demo_stops_at_the_first_failure(entry):
    code, _, _, calls = entry("demo", env={"STUB_FAIL": "-m jobs run dq --date latest -q"})
    assert code == 7
    assert len(calls) == 2


def test_job_commands_pass_through_with_arguments_intact(entry):
    code, _, _, calls = entry("run", "dq", "--date", "latest")
    assert code == 0
    assert _lines(calls) == ["-m jobs run dq --date latest"]
    assert calls[0].exec
    _, _, _, calls = entry("users", "add", "ann lee", "--role", "staff")
    assert calls[0].args == ["-m", "jobs", "users", "add", "ann lee", "--role", "staff"]


@pytest.mark.parametrize(
    "command", sorted(next(a for a in build_parser()._actions if a.dest == "command").choices)
)
def test_every_jobs_command_is_reachable(entry, command):
    code, _, err, calls = entry(command)
    assert code == 0, f"docker/entrypoint.sh does not know `python -m jobs {command}`: {err}"
    assert calls[0].args[:3] == ["-m", "jobs", command]
    assert calls[-1].exec


def test_runs_from_the_repository_root_whatever_the_working_directory(entry, tmp_path):
    _, _, _, calls = entry("migrate", cwd=tmp_path)
    assert Path(calls[0].cwd) == ROOT


@pytest.mark.parametrize("args", [["bash"], ["streamlit"], ["--port", "1"], []])
def test_unknown_or_missing_mode_prints_usage_and_exits_2(entry, args):
    code, out, err, calls = entry(*args)
    assert code == 2
    assert "usage: docker run IMAGE" in err
    assert out == "" and calls == []
    if args:
        assert f"unknown mode '{args[0]}'" in err


@pytest.mark.parametrize("flag", ["help", "-h", "--help"])
def test_help_prints_usage_and_succeeds(entry, flag):
    code, out, _, calls = entry(flag)
    assert code == 0 and calls == []
    for mode in ("app", "worker", "demo", "migrate"):
        assert mode in out


def test_entrypoint_is_an_executable_posix_script():
    text = ENTRYPOINT.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in text
    assert os.access(ENTRYPOINT, os.X_OK)


# --- entrypoint: real runs -------------------------------------------------------------------


def _real_env(**extra):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHON", None)
    env.update(extra)
    return env


def test_real_migrate_creates_the_schema(tmp_path):
    db_file = tmp_path / "wh" / "warehouse.duckdb"
    env = _real_env(DQ_WAREHOUSE=f"duckdb:///{db_file}")  # absolute: duckdb:////tmp/...
    proc = subprocess.run(
        ["sh", str(ENTRYPOINT), "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "schema version" in proc.stdout
    with duckdb.connect(str(db_file), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_app_serves_health_and_stops_on_sigterm(tmp_path, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("PORT", str(port))
    env = _real_env(DQ_WAREHOUSE=f"duckdb:///{tmp_path}/app.duckdb")
    # Tests bind to 127.0.0.1 only: a later --server.address overrides the image's 0.0.0.0.
    proc = subprocess.Popen(
        ["sh", str(ENTRYPOINT), "app", "--server.address", "127.0.0.1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        url = healthcheck.health_url()
        while healthcheck.probe(url, timeout=2) is not None:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the app never became healthy"
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)  # what `docker stop` does to the container's pid 1
        assert proc.wait(timeout=20) is not None
        output = proc.stdout.read()
        assert "schema version" in output
        assert f"127.0.0.1:{port}" in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_real_worker_stops_after_sigterm_with_status_0(tmp_path):
    env = _real_env(DQ_WAREHOUSE=f"duckdb:///{tmp_path}/worker.duckdb")
    proc = subprocess.Popen(
        ["sh", str(ENTRYPOINT), "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        # The worker logs its schedules once its SIGTERM handler is installed.
        while not any("next runs at" in line for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "the worker never started: " + "".join(lines)
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)  # reaches `jobs serve` itself: the entrypoint exec'd it
        assert proc.wait(timeout=30) == 0, "".join(lines)
        reader.join(timeout=5)
        assert "schema version" in "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_app_mode_runs_streamlit_with_the_config_file_settings(tmp_path):
    """The image starts Streamlit in /app, where it reads .streamlit/config.toml (kept in the
    build context, see below); the entrypoint changes only where it listens."""
    shim = tmp_path / "python-shim"
    shim.write_text(CONFIG_SHIM)
    shim.chmod(0o755)
    env = {**streamlit_env(tmp_path), "PYTHON": str(shim), "REAL_PYTHON": sys.executable}
    env.pop("PORT", None)
    proc = subprocess.run(
        ["sh", str(ENTRYPOINT), "app"],
        cwd=tmp_path,
        env=env,  # any working directory
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    shown = settings(tomllib.loads(proc.stdout[proc.stdout.index("\n[global]") :]))
    expected = {**file_settings(), "server.address": "0.0.0.0", "server.port": 8501}
    assert {key: shown.get(key) for key in expected} == expected


# --- health check ----------------------------------------------------------------------------


def _fake_proc(tmp_path, *argvs):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    for pid, argv in enumerate(argvs, start=1):
        (proc / str(pid)).mkdir()
        (proc / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    return proc


def test_worker_alone_is_healthy_without_http(tmp_path, monkeypatch):
    monkeypatch.setenv("PORT", str(_free_port()))  # nothing listens there
    proc = _fake_proc(tmp_path, ["python", "-m", "jobs", "serve"], ["sh", "-c", "python x"])
    assert healthcheck.worker_only(proc)
    assert healthcheck.main(proc) == 0


@pytest.mark.parametrize(
    "argvs",
    [
        [["python", "-m", "streamlit", "run", "Home.py"]],
        [["/bin/sh", "/app/docker/entrypoint.sh", "worker"], ["python", "-m", "jobs", "migrate"]],
        [["python", "-m", "jobs", "serve"], ["python", "-m", "streamlit", "run", "Home.py"]],
    ],
)
def test_anything_but_a_lone_worker_must_answer_http(tmp_path, monkeypatch, argvs):
    monkeypatch.setenv("PORT", str(_free_port()))
    proc = _fake_proc(tmp_path, *argvs)
    assert not healthcheck.worker_only(proc)
    assert healthcheck.main(proc) == 1


def test_health_url_defaults_to_streamlit_health_on_8501():
    assert healthcheck.health_url({}) == "http://127.0.0.1:8501/_stcore/health"
    assert (
        healthcheck.health_url({"PORT": "9000", "STREAMLIT_SERVER_BASE_URL_PATH": "/dq/"})
        == "http://127.0.0.1:9000/dq/_stcore/health"
    )


@pytest.fixture
def http_server():
    """A local server whose /_stcore/health answers with ``state["status"]``."""
    state = {"status": 200, "body": b"ok"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            code = state["status"] if self.path == "/_stcore/health" else 404
            self.send_response(code)
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], state
    server.shutdown()
    server.server_close()


def test_probe_accepts_only_200_ok(http_server):
    port, state = http_server
    url = f"http://127.0.0.1:{port}/_stcore/health"
    assert healthcheck.probe(url) is None
    state["status"] = 503
    assert "503" in healthcheck.probe(url)
    state.update(status=200, body=b"starting")
    assert "starting" in healthcheck.probe(url)


# --- Dockerfile and .dockerignore ------------------------------------------------------------


def _instructions():
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    out, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    assert not pending, "Dockerfile ends inside a continued line"
    return out


def _args(instructions, name):
    return [rest for word, rest in instructions if word == name]


def test_dockerfile_base_user_and_start():
    ins = _instructions()
    words = [w for w, _ in ins]
    assert _args(ins, "FROM") and len(_args(ins, "FROM")) == 1
    assert _args(ins, "FROM")[0].startswith("python:3.11-slim")
    assert "@" in _args(ins, "FROM")[0] or ":" in _args(ins, "FROM")[0]  # pinned by tag

    users = _args(ins, "USER")
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    last_user = max(i for i, w in enumerate(words) if w == "USER")
    assert last_user < words.index("ENTRYPOINT") and last_user < words.index("CMD")

    workdir = _args(ins, "WORKDIR")[-1]
    entrypoint = json.loads(_args(ins, "ENTRYPOINT")[-1])
    assert len(entrypoint) == 1 and entrypoint[0].startswith(workdir + "/")
    assert (ROOT / entrypoint[0].removeprefix(workdir + "/")) == ENTRYPOINT
    assert json.loads(_args(ins, "CMD")[-1]) == ["app"]
    assert _args(ins, "EXPOSE") == ["8501"]


def test_dockerfile_healthcheck_runs_the_streamlit_health_probe():
    (check,) = _args(_instructions(), "HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert "--start-period=" in options
    argv = json.loads(command)
    assert argv[0] == "python"
    workdir = _args(_instructions(), "WORKDIR")[-1]
    assert ROOT / argv[1].removeprefix(workdir + "/") == ROOT / "docker" / "healthcheck.py"
    assert healthcheck.health_url({}).endswith(":8501/_stcore/health")


def test_dockerfile_bakes_in_no_secret_and_no_cache():
    ins = _instructions()
    assert not _args(ins, "ADD"), "use COPY (ADD fetches URLs and unpacks archives)"
    for word, rest in ins:
        if word in ("COPY", "ADD"):
            assert "secrets.toml" not in rest and "users.yaml" not in rest
        if word in ("ENV", "ARG"):
            assert "DQ_" not in rest, "settings come from the environment at run time"
            for secret in ("KEY", "SECRET", "PASSWORD", "TOKEN"):
                assert secret not in rest.upper()
    pip = [rest for word, rest in ins if word == "RUN" and "pip install" in rest]
    assert pip and all("--no-cache-dir" in rest for rest in pip)
    assert any("requirements.txt" in rest for rest in pip)


def test_dockerfile_sets_no_streamlit_option():
    # A STREAMLIT_* variable baked into the image would shadow .streamlit/config.toml.
    for word, rest in _instructions():
        if word in ("ENV", "ARG"):
            assert "STREAMLIT_" not in rest


def _ignored(path):
    """Whether .dockerignore keeps ``path`` out of the build context (last match wins)."""
    result = False
    for raw in DOCKERIGNORE.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        candidates = prefixes
        if pattern.startswith("**/"):
            pattern = pattern[3:]
            candidates = [
                "/".join(parts[i : j + 1]) for i in range(len(parts)) for j in range(i, len(parts))
            ]
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            result = not negate
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".streamlit/secrets.toml",
        ".streamlit/users.yaml",
        ".venv/bin/python",
        ".git/HEAD",
        "data/dqhub.duckdb",
        "bench/out/dq_speed.json",
        "core/__pycache__/config.cpython-311.pyc",
        ".pytest_cache/README.md",
        "elsewhere/copy.duckdb",
    ],
)
def test_dockerignore_keeps_secrets_envs_and_data_out(path):
    assert _ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        "Home.py",
        "requirements.txt",
        "core/config.py",
        "core/db/migrations/0001_init.sql",
        "app_pages/issues.py",
        "jobs/cli.py",
        "docker/entrypoint.sh",
        "docker/healthcheck.py",
        ".streamlit/config.toml",
        ".streamlit/secrets.toml.example",
    ],
)
def test_dockerignore_keeps_the_code(path):
    assert not _ignored(path)


# --- linters, when installed -----------------------------------------------------------------


def _linter(name: str) -> str:
    """The linter's path: beside this Python (pip-installed) or on PATH (Debian's package).

    Missing is a skip on a developer machine and a failure under `make test`, which installs
    both (hadolint from requirements-dev.txt, shellcheck by scripts/system-packages.sh).
    """
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        if os.environ.get("DQ_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{name} is not installed; `make test` installs it")
        pytest.skip(f"{name} not installed (`make test` installs it)")
    return found


def test_entrypoint_passes_shellcheck():
    proc = subprocess.run(
        [_linter("shellcheck"), "--shell=sh", str(ENTRYPOINT)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_passes_hadolint():
    proc = subprocess.run([_linter("hadolint"), str(DOCKERFILE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
