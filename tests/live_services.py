"""The real services the live class's tests run against, never mocks: a
`redis-server` (Debian's package) on a free port, and a fresh SQLite file.

`.ci/run` starts one redis-server for the whole run and names it in
`OPTVIZ_TEST_REDIS`; without it the tests start their own where the binary
is found, and say so and skip where it is not (under CI, a missing Redis
fails the run instead).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

TEST_REDIS_ENV = "OPTVIZ_TEST_REDIS"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """`redis-server` on a free loopback port, its files in a temporary
    folder; `.stop()` ends it."""

    def __init__(self):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="optviz-redis-")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder, "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def redis_url(request) -> str:
    """A Redis for the tests: CI's, or one started for this session."""
    given = os.environ.get(TEST_REDIS_ENV, "").strip()
    if given:
        return given
    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        message = "no redis-server (apt-get install redis-server); the Redis store's tests need a real one"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer()
    request.addfinalizer(server.stop)
    return server.url
