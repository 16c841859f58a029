"""The live class over HTTP, as phones and the teacher's screen use it:
the routes served by a real `streamlit run app.py`, the store a real SQLite
file in a data folder of the test's; every refusal a status and one line of
JSON, never a traceback."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request

import pytest

from visualizer.core.questions import Question
from visualizer.live import classes, store

pytestmark = pytest.mark.slow

CHOICE = Question("choice", "Which one comes back?", 0, "lr 0.19 arrives.", ("lr 0.19", "lr 0.21"), by="final_loss")
SCENE = "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.19&run=sgd:lr=0.21"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "benchmarks"))
    from stclient import LocalServer

    data = tmp_path_factory.mktemp("data")
    s = LocalServer(env={store.DATA_DIR_ENV: str(data), store.STORE_ENV: "", "OPTVIZ_COMPILE_WORKER": "off"})
    s.start()
    s.db = store.SQLiteStore(data / "classes.db")  # the server's own file, opened beside it
    yield s
    s.stop()


def call(server, method: str, path: str, body=None, secret: str | None = None, raw: bytes | None = None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(server.url.rstrip("/") + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **({"X-Class-Secret": secret} if secret else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if response.headers.get_content_type() == "application/json"
                                     else text)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode())


def test_a_student_follows_answers_and_sees_the_reveal(server):
    c = classes.start(server.db, SCENE, CHOICE)
    me = secrets.token_urlsafe(12)
    status, seen = call(server, "GET", f"/api/class/{c.code}?student={me}")
    assert status == 200 and seen["scene"] == SCENE and "answer" not in seen["question"]
    status, ok = call(server, "POST", f"/api/class/{c.code}/answer", {"student": me, "key": seen["key"], "response": 1})
    assert (status, ok["ok"]) == (200, True)
    status, room = call(server, "GET", f"/api/class/{c.code}/tally", secret=c.secret)
    assert status == 200 and room["counts"] == [0, 1]
    status, refused = call(server, "GET", f"/api/class/{c.code}/tally")
    assert status == 403 and "teacher" in refused["error"]
    assert call(server, "POST", f"/api/class/{c.code}/reveal", secret="not it")[0] == 403
    assert call(server, "POST", f"/api/class/{c.code}/reveal", secret=c.secret)[0] == 200
    status, seen = call(server, "GET", f"/api/class/{c.code}?student={me}")
    assert seen["revealed"] and seen["question"]["answer"] == 0 and seen["mine"] == 1
    status, text = call(server, "GET", f"/api/class/{c.code}/answers.csv", secret=c.secret)
    assert status == 200 and text.splitlines()[1].endswith(("wrong,0.0", "wrong,0.1")) or "wrong" in text


def test_a_held_request_returns_when_the_teacher_moves(server):
    c = classes.start(server.db, SCENE, CHOICE)
    version = call(server, "GET", f"/api/class/{c.code}")[1]["version"]
    got = {}

    def follow():
        t0 = time.monotonic()
        got["reply"] = call(server, "GET", f"/api/class/{c.code}?after={version}")
        got["seconds"] = time.monotonic() - t0

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(1.0)
    assert follower.is_alive(), "held until the class changes"
    classes.move(server.db, c.code, c.secret, SCENE + "&steps=50", CHOICE)
    follower.join(10)
    status, seen = got["reply"]
    assert status == 200 and seen["version"] == version + 1 and seen["scene"].endswith("steps=50")
    assert got["seconds"] < 5


@pytest.mark.parametrize("raw, status", [
    (b"x" * 5000, 413), (b"not json", 400), (b"[1, 2]", 400), (b'{"student": "a", "extra": 1}', 400),
    (b'{"student": "a", "key": "k", "response": 0}', 400), (b"\xff\xfe", 400),
])
def test_forged_answers_get_a_clear_refusal(server, raw, status):
    c = classes.start(server.db, SCENE, CHOICE)
    got, body = call(server, "POST", f"/api/class/{c.code}/answer", raw=raw)
    assert got == status and isinstance(body["error"], str) and "\n" not in body["error"]
    assert classes.tally(server.db, c.code, c.secret)["answered"] == 0


@pytest.mark.parametrize("path", ["/api/class/NOPE00", "/api/class/ABCDEF", "/api/class/abc%27%3B--",
                                  "/api/class/ABCDEF?after=x", "/api/class/ABCDEF/tally?after=-1"])
def test_bad_class_addresses_are_refused_in_one_line(server, path):
    status, body = call(server, "GET", path)
    assert status in (400, 403, 404) and "error" in body


def test_the_page_is_still_served_beside_the_routes(server):
    with urllib.request.urlopen(server.url, timeout=30) as response:
        assert response.status == 200 and b"<html" in response.read().lower()


def test_a_class_started_and_moved_over_http_asks_what_the_engine_answers(server):
    status, started = call(server, "POST", "/api/class", {"scene": "lesson=momentum&view=3d", "question": 0})
    assert status == 201 and classes.CODE.fullmatch(started["code"])
    seen = call(server, "GET", f"/api/class/{started['code']}")[1]
    assert "view=3d" not in seen["scene"] and seen["scene"].startswith("lesson=momentum")
    assert seen["question"]["prompt"] == "After 150 steps, which ends lower: momentum 0.9 or SGD?"
    status, moved = call(server, "POST", f"/api/class/{started['code']}/move",
                         {"scene": "surface=booth&steps=20&run=adam:lr=0.1", "question": 1}, secret=started["secret"])
    assert status == 200 and moved["version"] == 2
    seen = call(server, "GET", f"/api/class/{started['code']}")[1]
    assert seen["question"]["kind"] == "choice" and seen["question"]["choices"][0].startswith("yes")
    for body, status in (({"scene": "surface=nope"}, 422), ({"scene": "lesson=momentum", "question": 5}, 422),
                         ({"scene": 7}, 400), ({"scene": "lesson=momentum", "question": "0"}, 400)):
        got, refused = call(server, "POST", f"/api/class/{started['code']}/move", body, secret=started["secret"])
        assert got == status and refused["error"], body
    assert call(server, "POST", f"/api/class/{started['code']}/move", {"scene": "lesson=momentum"})[0] == 403


def test_a_server_restart_in_the_middle_of_a_class_loses_nothing(tmp_path):
    """SQLite: the class and its answers are in the data folder's file."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from stclient import LocalServer

    env = {store.DATA_DIR_ENV: str(tmp_path), store.STORE_ENV: "", "OPTVIZ_COMPILE_WORKER": "off"}
    first = LocalServer(env=env).start()
    try:
        started = call(first, "POST", "/api/class", {"scene": "lesson=momentum", "question": 0})[1]
        key = call(first, "GET", f"/api/class/{started['code']}")[1]["key"]
        me = secrets.token_urlsafe(12)
        assert call(first, "POST", f"/api/class/{started['code']}/answer",
                    {"student": me, "key": key, "response": 1})[0] == 200
    finally:
        first.stop()
    second = LocalServer(env=env).start()
    try:
        seen = call(second, "GET", f"/api/class/{started['code']}?student={me}")[1]
        assert seen["key"] == key and seen["mine"] == 1
        room = call(second, "GET", f"/api/class/{started['code']}/tally", secret=started["secret"])[1]
        assert room["counts"] == [0, 1]
        other = secrets.token_urlsafe(12)
        assert call(second, "POST", f"/api/class/{started['code']}/answer",
                    {"student": other, "key": key, "response": 0})[0] == 200
    finally:
        second.stop()


def test_an_unreachable_store_is_a_clear_refusal_and_the_page_still_works():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from live_services import free_port
    from stclient import LocalServer, open_session, run_async

    gone = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = LocalServer(env={store.STORE_ENV: gone, "OPTVIZ_COMPILE_WORKER": "off"}).start()
    try:
        status, body = call(server, "POST", "/api/class", {"scene": "lesson=momentum", "question": 0})
        assert status == 503 and "cannot be reached" in body["error"]
        status, body = call(server, "GET", "/api/class/ABCDEF")
        assert status == 503 and "\n" not in body["error"]

        async def visit():
            session, first = await open_session(server.url, "surface=booth&steps=20&run=adam:lr=0.1")
            await session.close()
            return first

        first = run_async(visit())
        assert first.ok and not first.exceptions, "the page without a class is untouched"
    finally:
        server.stop()


def test_every_phone_gets_the_scene_the_teacher_shows(server):
    status, started = call(server, "POST", "/api/class", {"scene": "lesson=lr-sensitivity", "question": 0})
    version = call(server, "GET", f"/api/class/{started['code']}")[1]["version"]
    status, payload = call(server, "GET", f"/api/class/{started['code']}/scene?version={version}")
    assert status == 200 and {"runs", "surface", "explore", "viewer", "curves"} <= set(payload)
    assert [r["label"] for r in payload["runs"]][0].startswith("lr 0.18")
    status, body = call(server, "GET", f"/api/class/{started['code']}/scene?version={version + 5}")
    assert status == 409 and "moved on" in body["error"]
    request = urllib.request.Request(server.url + f"api/class/{started['code']}/scene",
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        import gzip

        packed = response.read()
        assert response.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(packed)) == payload



def test_twenty_held_polls_all_wake_when_the_teacher_moves_and_the_tally_when_one_answers(server):
    c = classes.start(server.db, SCENE, CHOICE)
    seen = {}

    def follow(i):
        start = time.monotonic()
        status, view = call(server, "GET", f"/api/class/{c.code}?student=follower{i:04d}xyzabc&after=1")
        seen[i] = (status, view["version"], time.monotonic() - start)

    def tally():
        status, room = call(server, "GET", f"/api/class/{c.code}/tally?after=0&version=1", secret=c.secret)
        seen["tally"] = (status, room["answered"])

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(20)] + [threading.Thread(target=tally)]
    for t in threads:
        t.start()
    time.sleep(1.5)  # every poll is held: nothing has changed
    assert not seen
    status, _ = call(server, "POST", f"/api/class/{c.code}/answer",
                     {"student": "answerer0001xyzab", "key": classes.question_key(SCENE, 0), "response": 1})
    assert status == 200
    time.sleep(1.0)
    assert seen.get("tally") == (200, 1), "the tally wakes on an answer"
    assert len(seen) == 1, "a student's poll does not wake on someone's answer"
    _, room = call(server, "GET", f"/api/class/{c.code}/tally", secret=c.secret)
    changed = {}
    held = threading.Thread(target=lambda: changed.update(room=call(
        server, "GET", f"/api/class/{c.code}/tally?after=1&version=1&latest={room['latest']}", secret=c.secret)[1]))
    held.start()
    time.sleep(1.0)
    assert not changed, "held: nothing changed"
    call(server, "POST", f"/api/class/{c.code}/answer",
         {"student": "answerer0001xyzab", "key": classes.question_key(SCENE, 0), "response": 0})
    held.join(3)
    assert changed["room"]["counts"] == [1, 0], "a changed answer wakes the tally though the count is the same"
    classes.move(server.db, c.code, c.secret, SCENE, CHOICE, 1)
    for t in threads:
        t.join(10)
    assert all(seen[i][:2] == (200, 2) for i in range(20)), seen
    assert max(seen[i][2] for i in range(20)) < 1.5 + 1.0 + 2.0, "every follower within 2 s of the move"
