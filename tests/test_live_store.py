"""A live class over both stores, the same tests against a real SQLite file
and a real redis-server: starting, following, answering once per question,
revealing, tallies, the CSV, and everything that must be refused (a wrong
secret, a forged or late or malformed or oversized answer, too many
requests, an expired or closed class)."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import threading

import pytest
from live_services import redis_url

from visualizer.core.questions import Question
from visualizer.live import classes, store
from visualizer.live.classes import Refused


@pytest.fixture(scope="session")
def redis_server(request):
    return redis_url(request)


@pytest.fixture(params=["sqlite", "redis"])
def db(request, tmp_path):
    if request.param == "sqlite":
        s = store.SQLiteStore(tmp_path / "classes.db")
    else:
        s = store.RedisStore(request.getfixturevalue("redis_server"))
        s.client.flushdb()
    yield s
    s.close()


CHOICE = Question("choice", "Which one comes back?", 0, "lr 0.19 arrives; lr 0.21 diverges.", ("lr 0.19", "lr 0.21"),
                  by="final_loss")
POINT = Question("point", "Tap where it ends.", [1.0, 2.0], "It ends at (1, 2).", run=1, step=100, diagonal=10.0)
ORDER = Question("order", "Order them.", [2, 3, 1], "b, c, a.", ("a", "b", "c"), by="arrival", runs=3)
NUMBER = Question("number", "How large?", 0.2, "0.2.", run=1, quantity="largest_stable_lr")
SCENE = "surface=quadratic:cond=10&steps=100&run=sgd:lr=0.19&run=sgd:lr=0.21"


def student() -> str:
    return secrets.token_urlsafe(12)


def test_a_class_starts_with_a_code_and_a_secret_and_students_see_it(db):
    started = classes.start(db, SCENE, CHOICE)
    assert classes.CODE.fullmatch(started.code) and len(started.secret) >= 32
    seen = classes.view(db, started.code, student())
    assert seen["scene"] == SCENE and not seen["revealed"] and seen["mine"] is None
    assert seen["question"]["prompt"] == CHOICE.prompt
    assert "answer" not in seen["question"] and "why" not in seen["question"], "no answer before the reveal"
    assert classes.view(db, started.code, as_teacher=True)["question"]["answer"] == 0


def test_students_follow_the_teacher_and_their_answers_come_back(db):
    c = classes.start(db, SCENE, CHOICE)
    me = student()
    first = classes.view(db, c.code, me)
    classes.submit(db, c.code, me, first["key"], 1)
    assert classes.view(db, c.code, me)["mine"] == 1, "a reload finds the answer given"
    classes.submit(db, c.code, me, first["key"], 0)
    assert classes.view(db, c.code, me)["mine"] == 0, "a second answer replaces the first"
    assert classes.tally(db, c.code, c.secret)["answered"] == 1
    moved = classes.move(db, c.code, c.secret, SCENE + "&steps=50", POINT)
    seen = classes.view(db, c.code, me)
    assert seen["version"] > first["version"] == 1 and seen["scene"].endswith("steps=50")
    assert seen["question"]["kind"] == "point" and seen["mine"] is None and moved.key == seen["key"]
    classes.move(db, c.code, c.secret, SCENE, CHOICE)  # back to the first question
    assert classes.view(db, c.code, me)["mine"] == 0, "an earlier answer comes back with its question"
    same = classes.move(db, c.code, c.secret, SCENE, CHOICE)
    assert same.version == classes.view(db, c.code)["version"], "asking what is asked changes nothing"


def test_the_reveal_shows_the_answer_to_everyone_and_closes_answering(db):
    c = classes.start(db, SCENE, CHOICE)
    key = classes.view(db, c.code)["key"]
    a, b = student(), student()
    classes.submit(db, c.code, a, key, 0)
    classes.submit(db, c.code, b, key, 1)
    with pytest.raises(Refused) as refused:
        classes.tally(db, c.code)
    assert refused.value.status == 403, "the room's answers are the teacher's until the reveal"
    classes.reveal(db, c.code, c.secret)
    seen = classes.view(db, c.code, a)
    assert seen["revealed"] and seen["question"]["answer"] == 0 and seen["question"]["why"]
    room = classes.tally(db, c.code)
    assert room["counts"] == [1, 1] and room["grades"] == {"right": 1, "close": 0, "wrong": 1}
    with pytest.raises(Refused) as late:
        classes.submit(db, c.code, a, key, 1)
    assert late.value.status == 409 and "revealed" in str(late.value)


@pytest.mark.parametrize("question, responses, field, expected", [
    (CHOICE, [0, 0, 1], "counts", [2, 1]),
    (POINT, [[1, 2], [1.5, 2]], "points", [[1.0, 2.0], [1.5, 2.0]]),
    (ORDER, [[2, 3, 1], [2, 3, 1], [1, 2, 3]], "orders", [[[2, 3, 1], 2], [[1, 2, 3], 1]]),
    (NUMBER, [0.2, 0.25], "numbers", [0.2, 0.25]),
])
def test_the_tally_of_each_kind(db, question, responses, field, expected):
    c = classes.start(db, SCENE, question)
    key = classes.view(db, c.code)["key"]
    for response in responses:
        classes.submit(db, c.code, student(), key, response)
    room = classes.tally(db, c.code, c.secret)
    assert room["answered"] == len(responses) and room["kind"] == question.kind
    assert sorted(map(json.dumps, room[field])) == sorted(map(json.dumps, expected))


def test_only_the_teachers_secret_moves_reveals_closes_or_reads(db):
    c = classes.start(db, SCENE, CHOICE)
    other = classes.start(db, SCENE, CHOICE)
    for secret in ("", "x" * 32, other.secret, c.code, None, 12345, c.secret[:-1]):
        for action in (lambda s: classes.move(db, c.code, s, SCENE + "&steps=7", POINT),
                       lambda s: classes.reveal(db, c.code, s), lambda s: classes.close(db, c.code, s),
                       lambda s: classes.tally(db, c.code, s), lambda s: classes.answers_csv(db, c.code, s)):
            with pytest.raises(Refused) as refused:
                action(secret)
            assert refused.value.status == 403
    seen = classes.view(db, c.code)
    assert seen["version"] == 1 and not seen["revealed"] and not seen["closed"], "nothing changed"


@pytest.mark.parametrize("response", [
    None, "0", 2, -1, 1.0, True, [0], {"choice": 0}, "x" * 5000, [[0]], float("nan"),
])
def test_a_malformed_answer_is_refused_and_changes_nothing(db, response):
    c = classes.start(db, SCENE, CHOICE)
    me = student()
    key = classes.view(db, c.code)["key"]
    with pytest.raises(Refused) as refused:
        classes.submit(db, c.code, me, key, response)
    assert refused.value.status == 422 and "not an answer" in str(refused.value)
    assert classes.tally(db, c.code, c.secret)["answered"] == 0


@pytest.mark.parametrize("who", ["", "short", "x" * 65, "spaces are not ids!", None, 42, "../../etc/passwd"])
def test_a_forged_browser_id_is_refused(db, who):
    c = classes.start(db, SCENE, CHOICE)
    with pytest.raises(Refused) as refused:
        classes.submit(db, c.code, who, classes.view(db, c.code)["key"], 0)
    assert refused.value.status == 400


@pytest.mark.parametrize("code", ["", "ABC", "abcdef", "ABCDE0", "ABCDEFG", None, "'; DROP TABLE classes; --"])
def test_a_wrong_code_is_no_such_class(db, code):
    with pytest.raises(Refused) as refused:
        classes.view(db, code)
    assert refused.value.status == 404


def test_an_answer_to_another_question_is_late(db):
    c = classes.start(db, SCENE, CHOICE)
    old = classes.view(db, c.code)["key"]
    classes.move(db, c.code, c.secret, SCENE + "&steps=50", POINT)
    with pytest.raises(Refused) as refused:
        classes.submit(db, c.code, student(), old, 0)
    assert refused.value.status == 409 and "moved on" in str(refused.value)


def test_a_closed_class_takes_no_answer_and_an_expired_one_is_gone(db, monkeypatch):
    c = classes.start(db, SCENE, CHOICE)
    key = classes.view(db, c.code)["key"]
    classes.close(db, c.code, c.secret)
    with pytest.raises(Refused) as refused:
        classes.submit(db, c.code, student(), key, 0)
    assert refused.value.status == 410
    monkeypatch.setenv(classes.HOURS_ENV, "0.001")  # 3.6 s
    short = classes.start(db, SCENE, CHOICE)
    record = db.get(short.code)
    assert record.expires - record.created == pytest.approx(3.6)
    monkeypatch.setattr(classes, "now", lambda: record.expires + 1)
    with pytest.raises(Refused) as gone:
        classes.view(db, short.code)
    assert gone.value.status == 404
    db.purge(record.expires + 1)


def test_rate_limits_per_browser_and_per_class(db, monkeypatch):
    monkeypatch.setitem(classes.LIMITS, "answer", (3, 60.0))
    monkeypatch.setitem(classes.LIMITS, "class_answers", (5, 60.0))
    c = classes.start(db, SCENE, CHOICE)
    key = classes.view(db, c.code)["key"]
    me = student()
    for _ in range(3):
        classes.submit(db, c.code, me, key, 0)
    with pytest.raises(Refused) as refused:
        classes.submit(db, c.code, me, key, 0)
    assert refused.value.status == 429
    others = [student() for _ in range(2)]
    for other in others:
        classes.submit(db, c.code, other, key, 1)
    with pytest.raises(Refused) as refused:
        classes.submit(db, c.code, student(), key, 1)
    assert refused.value.status == 429, "the class's own limit"
    assert classes.tally(db, c.code, c.secret)["answered"] == 3


def test_the_csv_grades_every_answer_names_no_one_and_runs_no_formula(db):
    c = classes.start(db, SCENE, CHOICE)
    a, b = student(), student()
    classes.submit(db, c.code, a, classes.view(db, c.code)["key"], 0)
    classes.move(db, c.code, c.secret, SCENE + "&steps=50", Question(
        "choice", "=HYPERLINK(\"http://x\")", 1, ".", ("=1+1", "@SUM(A1)"), by="final_loss"))
    key = classes.view(db, c.code)["key"]
    classes.submit(db, c.code, a, key, 1)
    classes.submit(db, c.code, b, key, 0)
    rows = list(csv.reader(io.StringIO(classes.answers_csv(db, c.code, c.secret))))
    assert rows[0] == ["question", "prompt", "student", "response", "verdict", "seconds_after_start"]
    assert len(rows) == 4 and {r[2] for r in rows[1:]} == {"1", "2"}, "students are numbers, not ids"
    assert a not in "".join(map(str, rows)) and b not in "".join(map(str, rows))
    assert sorted(r[4] for r in rows[1:]) == ["right", "right", "wrong"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row[1:2])


def test_many_students_answering_at_once_lose_nothing(db):
    c = classes.start(db, SCENE, CHOICE)
    key = classes.view(db, c.code)["key"]
    ids = [student() for _ in range(40)]
    errors = []

    def answer(who):
        try:
            classes.submit(db, c.code, who, key, len(who) % 2)
        except Exception as exc:  # noqa: BLE001 - collected, then asserted
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(who,)) for who in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert classes.tally(db, c.code, c.secret)["answered"] == 40


def test_a_class_survives_a_new_store_on_the_same_file(tmp_path):
    """A server restart: the class and its answers are in the SQLite file."""
    path = tmp_path / "classes.db"
    first = store.SQLiteStore(path)
    c = classes.start(first, SCENE, CHOICE)
    me = student()
    classes.submit(first, c.code, me, classes.view(first, c.code)["key"], 1)
    first.close()
    second = store.SQLiteStore(path)
    assert classes.view(second, c.code, me)["mine"] == 1
    assert classes.tally(second, c.code, c.secret)["counts"] == [0, 1]


def test_the_store_is_chosen_by_its_setting(tmp_path, monkeypatch, redis_server):
    monkeypatch.setenv(store.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.delenv(store.STORE_ENV, raising=False)
    default = store.open_store()
    assert isinstance(default, store.SQLiteStore) and default.path == str(tmp_path / "data" / "classes.db")
    assert isinstance(store.open_store(redis_server), store.RedisStore)
    assert isinstance(store.open_store(f"sqlite:///{tmp_path}/x.db"), store.SQLiteStore)
    with pytest.raises(ValueError, match="OPTVIZ_CLASS_STORE"):
        store.open_store("postgres://nope")
    assert os.path.exists(tmp_path / "data" / "classes.db")
