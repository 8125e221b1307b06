"""Fixtures of the core tests: misbehaving servers and the fake platform database.

The real local servers (influxd, moto S3, PostgreSQL) are fixtures in tests/conftest.py
(tests/servers.py). Here: a closed port and a server that never answers, for the source and sync
outage tests, and ``platform_url``, the platform's PostgreSQL database (tests/platformdb.py) in
a schema of its own.
"""

from __future__ import annotations

import socket
import threading

import pytest

from tests import platformdb
from tests.servers import free_port


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 nothing listens on: connections are refused."""
    return free_port()


@pytest.fixture
def silent_server():
    """``host:port`` of a server that accepts connections and never answers (a hung source)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for con in held:
        con.close()
    sock.close()


@pytest.fixture
def platform_url(pg_server_db):
    """URL of a fake platform database (its own schema) holding ``platformdb.PLATFORM_ROWS``."""
    with platformdb.create(pg_server_db) as url:
        yield url
