"""A live class across two replicas behind nginx, sharing a real Redis
(deploy/run_replicas.py, what deploy/compose.yaml runs with containers):
students whose routing cookies put them on both replicas answer, one
replica is killed in the middle of the class, its students go on through
the other, and no answer is lost."""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from live_services import redis_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def replicas(request):
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.skip("no nginx (apt-get install nginx)")
    from run_replicas import Replicas, free_port

    url = redis_url(request)
    import redis

    redis.Redis.from_url(url).flushdb()
    running = Replicas(2, free_port(), None, class_store=url).start()
    yield running
    running.stop()


class Browser:
    """One phone: its own routing cookie (so its own replica), its own class id."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.cookie = ""
        self.id = secrets.token_urlsafe(12)
        self.replica = ""

    def call(self, method: str, path: str, body=None, secret=None, tries: int = 40):
        """As the player does: a request that fails in transit (a replica
        going away) is tried again after a moment; a refusal is an answer."""
        for _ in range(tries):
            headers = {"Content-Type": "application/json", **({"Cookie": self.cookie} if self.cookie else {}),
                       **({"X-Class-Secret": secret} if secret else {})}
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    self._remember(response.headers)
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as exc:
                if exc.code in (502, 503, 504):
                    time.sleep(0.5)
                    continue
                return exc.code, json.loads(exc.read())
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{method} {path}: no replica answered")

    def _remember(self, headers) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            if header.startswith("optviz_route="):
                self.cookie = header.split(";", 1)[0]
        self.replica = headers.get("X-Optviz-Replica", self.replica)


def test_a_class_across_replicas_loses_no_answer_when_one_dies(replicas):
    teacher = Browser(replicas.url)
    status, started = teacher.call("POST", "/api/class", {"scene": "lesson=momentum", "question": 0})
    assert status == 201, started
    code, secret = started["code"], started["secret"]
    students = [Browser(replicas.url) for _ in range(16)]
    for s in students:
        status, seen = s.call("GET", f"/api/class/{code}?student={s.id}")
        assert status == 200
    on = {s.replica for s in students}
    assert len(on) == 2, f"students on both replicas: {on}"

    def everyone_answers(choice_of) -> str:
        key = students[0].call("GET", f"/api/class/{code}")[1]["key"]
        for i, s in enumerate(students):
            status, reply = s.call("POST", f"/api/class/{code}/answer",
                                   {"student": s.id, "key": key, "response": choice_of(i)})
            assert status == 200, reply
        return key

    everyone_answers(lambda i: i % 2)
    room = teacher.call("GET", f"/api/class/{code}/tally", secret=secret)[1]
    assert room["answered"] == 16 and room["counts"] == [8, 8]

    killed = replicas.servers[0]
    killed.stop()  # in the middle of the class
    status, moved = teacher.call("POST", f"/api/class/{code}/move",
                                 {"scene": "lesson=momentum&steps=60", "question": 1}, secret=secret)
    assert status == 200, moved
    for s in students:
        status, seen = s.call("GET", f"/api/class/{code}?student={s.id}")
        assert status == 200 and seen["version"] == moved["version"], "every phone follows, through the survivor"
    everyone_answers(lambda i: 0)
    room = teacher.call("GET", f"/api/class/{code}/tally", secret=secret)[1]
    assert room["answered"] == 16 and room["counts"][0] == 16
    status, back = teacher.call("POST", f"/api/class/{code}/move", {"scene": "lesson=momentum", "question": 0},
                                secret=secret)
    room = teacher.call("GET", f"/api/class/{code}/tally", secret=secret)[1]
    assert room["counts"] == [8, 8], "the answers given before the replica died are all there"
    assert replicas.servers[1].alive()
