"""Live classes against one server (or a deployment), without browsers.

    python benchmarks/class_load.py --students 60 --classes 2 --seconds 120 [--url URL] [--check]

Each class has a teacher and `--students / --classes` students, played by
protocol clients over HTTP: what a phone's player does in a class (the routes
of visualizer/live/routes.py), with no rendering, so the figures are the
server's and not those of sixty Chromiums on two cores.

- The teacher starts the class on a lesson, then every `--step-seconds`
  moves to the lesson's next step (wrapping), and keeps a long poll on the
  tally open, as the projector's screen does.
- Each student joins (`--join`: first opens the page itself through
  Streamlit's protocol, benchmarks/stclient.py, as a phone opening the
  link does), keeps a long poll on the class open, and answers every new
  question after a random 0.5 to 10 s (each kind with a valid response).

Measured: the follow time (from the teacher's move being accepted to each
student's poll returning the new question; a student's first view of the
class, when joining, is not a follow), the tally time (from an answer
being accepted to the teacher's tally counting it), errors (any refusal or
failure), and the server's memory. Without `--url` the script starts its own
server (`streamlit run app.py`, a fresh SQLite file in a temporary data
folder) and stops it at the end; with `--url`, `--server-pid` (repeatable)
says whose memory to read.

The last line of the output is one JSON object:

    {"students": N, "classes": C, "errors": E, "answers": A, "answer_to_tally_p95_ms": ..,
     "follow_p95_ms": .., "rss_mb": .., ...}

`--check` exits 1 when a target is missed: no errors, tally p95 at most
1000 ms, follow p95 at most 2000 ms, RSS at most 1200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

LESSON = "momentum"
TARGETS = {"answer_to_tally_p95_ms": 1000, "follow_p95_ms": 2000, "rss_mb": 1200}


class Http:
    def __init__(self, base: str):
        self.base = base.rstrip("/")

    def call(self, method: str, path: str, body=None, secret=None, timeout: float = 40):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **({"X-Class-Secret": secret} if secret else {})}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")
        except (OSError, ValueError) as exc:  # refused, reset, timed out, not JSON
            return 0, f"{type(exc).__name__}: {exc}"


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.follow_ms: list[float] = []
        self.tally_ms: list[float] = []
        self.errors: list[str] = []
        self.answers = 0
        self.moves: dict[tuple[str, int], float] = {}  # (code, version) -> when the move was accepted
        self.sent: dict[str, list[float]] = {}  # code -> when each answer of the current question was accepted

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def response_for(question: dict):
    kind = question["kind"]
    if kind == "choice":
        return random.randrange(len(question["choices"]))
    if kind == "point":
        return [random.uniform(-2, 2), random.uniform(-2, 2)]
    if kind == "order":
        order = list(range(1, question["runs"] + 1))
        random.shuffle(order)
        return order
    return random.uniform(0.01, 1.0)


def student(http: Http, code: str, results: Results, stop: threading.Event, join_url: str | None):
    me = secrets.token_urlsafe(12)
    if join_url:
        _open_page(join_url, f"class={code}", results)
    version, answered = 0, set()
    while not stop.is_set():
        status, seen = http.call("GET", f"/api/class/{code}?student={me}&after={version}")
        now = time.monotonic()
        if status == 204 or stop.is_set():
            continue
        if status != 200:
            results.error(f"poll {status}: {seen}")
            time.sleep(1)
            continue
        if seen["version"] > version:
            with results.lock:
                moved = results.moves.get((code, seen["version"]))
                # a student's first sight of the class is joining, not following
                if moved is not None and version > 0:
                    results.follow_ms.append((now - moved) * 1000)
            version = seen["version"]
        question = seen.get("question")
        if question and seen["key"] not in answered and not seen["revealed"]:
            answered.add(seen["key"])
            threading.Thread(target=_answer, args=(http, code, me, seen["key"], question, results, stop),
                             daemon=True).start()


def _answer(http, code, me, key, question, results, stop):
    if stop.wait(random.uniform(0.5, 10.0)):
        return
    status, reply = http.call("POST", f"/api/class/{code}/answer", {"student": me, "key": key,
                                                                   "response": response_for(question)})
    if status == 409:
        return  # the teacher moved on first: a late answer, refused as it should be
    if status != 200:
        results.error(f"answer {status}: {reply}")
        return
    with results.lock:
        results.answers += 1
        results.sent.setdefault((code, key), []).append(time.monotonic())


def _open_page(url: str, query: str, results: Results):
    """The student link's page, once, through Streamlit's protocol."""
    import asyncio

    from stclient import open_session

    async def visit():
        session, first = await open_session(url, query)
        await session.close()
        if not first.ok or first.exceptions:
            results.error(f"join: the page failed: {first.status} {first.exceptions[:1]}")

    try:
        asyncio.run(visit())
    except Exception as exc:  # noqa: BLE001 - counted
        results.error(f"join: {type(exc).__name__}: {exc}")


def teacher(http: Http, results: Results, stop: threading.Event, step_seconds: float, codes: list, ready):
    from visualizer.core.lessons import LESSONS

    lesson = LESSONS[LESSON]
    scenes = ["lesson=" + LESSON] + [lesson.step_query(i) for i in range(len(lesson.steps))
                                     if lesson.steps[i].question is not None]
    status, started = http.call("POST", "/api/class", {"scene": scenes[0], "question": 0})
    if status != 201:
        results.error(f"start {status}: {started}")
        ready.set()
        return
    code, secret = started["code"], started["secret"]
    codes.append(code)
    with results.lock:
        results.moves[(code, 1)] = time.monotonic()
    tally = threading.Thread(target=_tally, args=(http, code, secret, results, stop), daemon=True)
    tally.start()
    ready.set()
    step = 0
    while not stop.wait(step_seconds):
        step = (step + 1) % len(scenes)
        status, moved = http.call("POST", f"/api/class/{code}/move", {"scene": scenes[step], "question": 0},
                                  secret=secret)
        if status != 200:
            results.error(f"move {status}: {moved}")
            continue
        with results.lock:
            results.moves[(code, moved["version"])] = time.monotonic()


def _tally(http, code, secret, results, stop):
    """The projector's tally: a long poll that returns when more answered,
    or the teacher moved on (the version changed)."""
    counted: dict = {"n": 0, "version": 0, "latest": 0}
    # How many of each question's answers have been timed: the teacher comes
    # back to a question (the lesson's steps wrap), and its earlier answers
    # are still there (one per student), not new ones to time again.
    timed: dict = {}
    while not stop.is_set():
        status, room = http.call("GET", f"/api/class/{code}/tally?after={counted['n']}&version={counted['version']}"
                                        f"&latest={counted['latest']}",
                                 secret=secret)
        now = time.monotonic()
        if status == 204 or stop.is_set():
            continue
        if status != 200:
            results.error(f"tally {status}: {room}")
            time.sleep(1)
            continue
        key = room["key"]
        counted["version"], counted["latest"] = room["version"], room["latest"]
        with results.lock:
            # Answers accepted, in order, that this tally counts for the first time.
            sent = sorted(results.sent.get((code, key), []))
            for at in sent[timed.get(key, 0):room["answered"]]:
                results.tally_ms.append((now - at) * 1000)
        timed[key] = max(timed.get(key, 0), min(room["answered"], len(sent)))
        counted["n"] = room["answered"]


class Classroom:
    """`classes` classes of `students` between them, played against `url`
    in threads until `stop()`: what main() measures, and what
    benchmarks/load.py runs beside its sessions (`--beside-class`)."""

    def __init__(self, url: str, students: int, classes: int, step_seconds: float, join: bool):
        self.url, self.students, self.classes = url, students, classes
        self.step_seconds, self.join = step_seconds, join
        self.http, self.results, self.halt = Http(url), Results(), threading.Event()
        self.codes: list[str] = []

    def start(self) -> None:
        for _ in range(self.classes):
            ready = threading.Event()
            threading.Thread(target=teacher, args=(self.http, self.results, self.halt, self.step_seconds,
                                                   self.codes, ready), daemon=True).start()
            ready.wait(120)
        join_url = self.url.rstrip("/") + "/" if self.join else None
        for code in self.codes:
            for _ in range(self.per_class):
                threading.Thread(target=student, args=(self.http, code, self.results, self.halt, join_url),
                                 daemon=True).start()
                time.sleep(0.05)  # a class arrives over a few seconds, not in one instant

    @property
    def per_class(self) -> int:
        return max(1, self.students // max(1, len(self.codes)))

    def stop(self) -> None:
        self.halt.set()

    def figures(self) -> dict:
        r = self.results
        return {"students": self.per_class * len(self.codes), "classes": len(self.codes), "errors": len(r.errors),
                "answers": r.answers, "answer_to_tally_p95_ms": p95(r.tally_ms), "follow_p95_ms": p95(r.follow_ms),
                "answer_to_tally_p50_ms": round(statistics.median(r.tally_ms), 1) if r.tally_ms else None,
                "follow_p50_ms": round(statistics.median(r.follow_ms), 1) if r.follow_ms else None,
                "follows": len(r.follow_ms)}


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for p in [pid, *_children(pid)]:
            try:
                with open(f"/proc/{p}/status") as fh:
                    total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                pass
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            kids = [int(p) for p in fh.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--classes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--step-seconds", type=float, default=15)
    parser.add_argument("--url")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--join", action=argparse.BooleanOptionalAction, default=True,
                        help="each student first opens the page through Streamlit's protocol")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)

    server = None
    if args.url is None:
        from stclient import LocalServer

        data = tempfile.mkdtemp(prefix="optviz-class-load-")
        server = LocalServer(env={"OPTVIZ_DATA_DIR": data, "OPTVIZ_CLASS_STORE": ""}).start()
        url, pids = server.url, [server.proc.pid]
    else:
        url, pids = args.url, args.server_pid
    room = Classroom(url, args.students, args.classes, args.step_seconds, args.join)
    try:
        room.start()
        time.sleep(args.seconds)
        memory = rss_mb(pids)
    finally:
        room.stop()
        if server is not None:
            server.stop()
    out = {**room.figures(), "rss_mb": memory, "seconds": args.seconds, "join": args.join,
           "loadavg_1min": round(os.getloadavg()[0], 2), "first_errors": room.results.errors[:5]}
    print(json.dumps(out))
    if args.check:
        missed = [k for k, limit in TARGETS.items() if out[k] is None or out[k] > limit] + (
            ["errors"] if out["errors"] else [])
        return 1 if missed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
