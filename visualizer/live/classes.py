"""The rules of a live class, over any `Store`.

- A teacher starts a class on a scene and gets a short code (the student
  link, `class=CODE`) and a long random secret (the teacher link); the store
  keeps only the secret's hash. Only the secret moves the class, reveals,
  closes it, or reads answers before the reveal; the code cannot be turned
  into the secret.
- The class asks one question at a time (`move`): its description, answer
  included, is kept server-side; students get it without the answer until
  the reveal. A student answers once per question (a second answer replaces
  the first); an answer is a response `Question.read` accepts, never text.
  A late answer (another question is asked now, or this one was revealed) or
  a closed or expired class is refused with a reason.
- Nothing identifies a student: the browser makes a random id; no address,
  name or text of theirs is kept.
- Rate limits per browser and per class (`LIMITS`), counted in the store, so
  replicas share them; a class expires after `OPTVIZ_CLASS_HOURS` (24).

Every refusal is a `Refused` with an HTTP status and a one-line message.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
from dataclasses import dataclass

from visualizer.core.questions import Question
from visualizer.core.results import spreadsheet_safe
from visualizer.core.viewer import CLASS_CODE, CLASS_CODE_ALPHABET, CLASS_CODE_LENGTH, TEACHER_SECRET
from visualizer.live.store import Answer, ClassRecord, Store, now

SECRET_BYTES = 24  # 192 bits: 32 characters of token_urlsafe
HOURS_ENV = "OPTVIZ_CLASS_HOURS"
DEFAULT_HOURS = 24.0
CODE = re.compile(CLASS_CODE)  # 32^6: a billion codes
STUDENT = re.compile(r"[A-Za-z0-9_-]{16,64}")  # a browser's random id
MAX_BODY = 2048  # bytes of an answer's request: a choice, a point, an order of eight, a number
MAX_SCENE = 8000  # a scene's query, as the scene language caps it

# (hits, per seconds) before a request is refused with 429.
LIMITS = {
    "answer": (20, 10.0),  # per browser: a student changing their mind, not a script
    "class_answers": (600, 10.0),  # per class: sixty phones answering twice each in ten seconds
    "poll": (120, 10.0),  # per browser: long polls come back at most a few times a second
    "start": (30, 3600.0),  # classes a server starts per hour (per store)
}


class Refused(Exception):
    """A request the class refuses, with the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def class_hours() -> float:
    raw = os.environ.get(HOURS_ENV, "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_HOURS
    except ValueError:
        hours = DEFAULT_HOURS
    return hours if 0 < hours <= 24 * 30 else DEFAULT_HOURS


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def class_scene(scene) -> str:
    """What a class shows of a scene: its canonical query without what each
    viewer chooses (view, step, speed, ...): every screen follows the scene,
    each viewer keeps their own view of it."""
    from visualizer.core.scene import Viewer

    return scene.replace(viewer=Viewer()).to_query()


def question_key(scene: str, index: int) -> str:
    """The key answers are kept under: the question `index` of `scene`."""
    return hashlib.sha256(f"{index}\n{scene}".encode()).hexdigest()[:20]


def _limit(store: Store, bucket: str, kind: str) -> None:
    count, window = LIMITS[kind]
    if store.hit(f"{kind}:{bucket}", window, now()) > count:
        raise Refused(429, f"too many requests ({count} per {window:g} s); wait a moment")


# ---------------------------------------------------------------- the teacher


@dataclass(frozen=True)
class Started:
    code: str
    secret: str


def start(store: Store, scene: str, question: Question | None, index: int = 0) -> Started:
    """A new class on `scene`, asking `question` (its `index`-th)."""
    _limit(store, "server", "start")
    if len(scene) > MAX_SCENE:
        raise Refused(400, "the scene is too long for a class")
    t = now()
    for _ in range(20):
        code = "".join(secrets.choice(CLASS_CODE_ALPHABET) for _ in range(CLASS_CODE_LENGTH))
        secret = secrets.token_urlsafe(SECRET_BYTES)
        record = ClassRecord(code, _hash(secret), scene, _described(question), question_key(scene, index), False,
                             False, 1, t, t + class_hours() * 3600)
        if store.create(record):
            if question is not None:
                store.ask(code, record.key, record.question)
            return Started(code, secret)
    raise Refused(503, "no free class code; try again")


def _described(question: Question | None) -> str:
    return "" if question is None else json.dumps(question.describe(), allow_nan=False)


def teacher(store: Store, code, secret) -> ClassRecord:
    """The class, if `secret` is its teacher's; else Refused (403), the same
    answer for a wrong secret as for a wrong code's, so neither leaks."""
    record = _open(store, code)
    if not (isinstance(secret, str) and re.fullmatch(TEACHER_SECRET, secret)
            and hmac.compare_digest(_hash(secret), record.secret_hash)):
        raise Refused(403, "only the teacher's link can do that")
    return record


def move(store: Store, code: str, secret: str, scene: str, question: Question | None, index: int = 0) -> ClassRecord:
    """Ask question `index` of `scene` now (students follow). Asking what is
    asked already changes nothing."""
    record = teacher(store, code, secret)
    if len(scene) > MAX_SCENE:
        raise Refused(400, "the scene is too long for a class")
    key = question_key(scene, index)
    if record.key == key and record.scene == scene:
        return record
    described = _described(question)
    if question is not None:
        store.ask(code, key, described)
    return store.update(code, scene=scene, question=described, key=key, revealed=False)


def reveal(store: Store, code: str, secret: str) -> ClassRecord:
    record = teacher(store, code, secret)
    return record if record.revealed else store.update(code, revealed=True)


def close(store: Store, code: str, secret: str) -> ClassRecord:
    record = teacher(store, code, secret)
    return record if record.closed else store.update(code, closed=True)


# ---------------------------------------------------------------- the class as a student sees it


def _open(store: Store, code) -> ClassRecord:
    if not (isinstance(code, str) and CODE.fullmatch(code)):
        raise Refused(404, "no such class: a class code is six letters and digits")
    record = store.get(code)
    if record is None or record.expires <= now():
        raise Refused(404, "no such class, or it has ended (classes last a day)")
    return record


def _student(student) -> str:
    if not (isinstance(student, str) and STUDENT.fullmatch(student)):
        raise Refused(400, "the browser's class id is missing or malformed; reload the page")
    return student


def question_of(record: ClassRecord) -> Question | None:
    if not record.question:
        return None
    return Question.from_description(json.loads(record.question))


def view(store: Store, code, student=None, as_teacher: bool = False) -> dict:
    """What a screen in the class shows: the scene, the question (its answer
    only once revealed, or to the teacher), whether it is revealed or
    closed, the version, and the student's own answer to this question."""
    record = _open(store, code)
    if student is not None:
        _limit(store, _student(student), "poll")
    question = question_of(record)
    out = {"code": record.code, "version": record.version, "scene": record.scene, "key": record.key,
           "revealed": record.revealed, "closed": record.closed, "expires": record.expires, "question": None}
    if question is not None:
        described = question.describe()
        if not (record.revealed or as_teacher):
            described.pop("answer")
            described.pop("why")
        out["question"] = described
    if student is not None:
        mine = next((a for a in store.answers(code, record.key) if a.student == student), None)
        out["mine"] = None if mine is None else json.loads(mine.response)
    return out


def submit(store: Store, code, student, key, response) -> dict:
    """Keep a student's response to the question asked now; the reason it
    cannot be kept otherwise."""
    record = _open(store, code)
    student = _student(student)
    _limit(store, student, "answer")
    _limit(store, code, "class_answers")
    if record.closed:
        raise Refused(410, "the class is closed")
    if key != record.key:
        raise Refused(409, "too late: the teacher has moved on to another question")
    if record.revealed:
        raise Refused(409, "too late: the answer has been revealed")
    question = question_of(record)
    if question is None:
        raise Refused(409, "no question is asked now")
    try:
        value = question.read(response)
    except ValueError as exc:
        raise Refused(422, f"not an answer to this question: {exc}") from None
    store.answer(code, key, Answer(student, json.dumps(value), now()))
    return {"ok": True, "key": key}


# ---------------------------------------------------------------- what the room answered


def latest_ms(answers) -> int:
    """When the newest of `answers` was given (ms since the epoch; 0 for
    none): it moves when someone answers, and when someone changes an
    answer, which their count does not show."""
    return int(max((a.at for a in answers), default=0) * 1000)


def tally(store: Store, code, secret=None) -> dict:
    """The room's answers to the question asked now: how many answered, and
    by kind: counts per choice, the points, the numbers, the orders and how
    many gave each. Before the reveal only the teacher may read it; after
    it, everyone, with the right, close and wrong counts."""
    record = _open(store, code) if secret is None else teacher(store, code, secret)
    if secret is None and not record.revealed:
        raise Refused(403, "the room's answers are the teacher's until the reveal")
    question = question_of(record)
    answers = store.answers(code, record.key)
    out = {"code": code, "version": record.version, "key": record.key, "answered": len(answers),
           "latest": latest_ms(answers), "revealed": record.revealed}
    if question is None:
        return out
    values = [json.loads(a.response) for a in answers]
    out["kind"] = question.kind
    if question.kind == "choice":
        out["counts"] = [sum(v == i for v in values) for i in range(len(question.choices))]
    elif question.kind == "point":
        out["points"] = values
    elif question.kind == "number":
        out["numbers"] = values
    else:
        orders: dict[tuple, int] = {}
        for v in values:
            orders[tuple(v)] = orders.get(tuple(v), 0) + 1
        out["orders"] = [[list(order), n] for order, n in sorted(orders.items(), key=lambda item: -item[1])]
    if record.revealed or secret is not None:
        verdicts = [question.grade(v).verdict for v in values]
        out["grades"] = {verdict: verdicts.count(verdict) for verdict in ("right", "close", "wrong")}
    return out


def answers_csv(store: Store, code: str, secret: str) -> str:
    """Every answer of the class: the question (its prompt), an anonymous
    student number, the response, its grade, and when; cells a spreadsheet
    would run as formulas neutralised."""
    record = teacher(store, code, secret)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["question", "prompt", "student", "response", "verdict", "seconds_after_start"])
    students: dict[str, int] = {}
    questions = {key: Question.from_description(json.loads(text)) for key, text in store.asked(code).items()}
    for key, answer in store.all_answers(code):
        number = students.setdefault(answer.student, len(students) + 1)
        question = questions.get(key)
        value = json.loads(answer.response)
        verdict = question.grade(value).verdict if question is not None else ""
        prompt = question.prompt if question is not None else ""
        writer.writerow([key, spreadsheet_safe(prompt), number, spreadsheet_safe(json.dumps(value)), verdict,
                         round(answer.at - record.created, 1)])
    return out.getvalue()
