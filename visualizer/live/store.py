"""Where a live class lives, so that every server process of a deployment
sees the same class: an SQLite file by default (one server, Community
Cloud; it survives a restart), Redis when `OPTVIZ_CLASS_STORE=redis://...`
names one (replicas behind a load balancer). Both implement `Store`; the
same tests run against both (tests/test_live_store.py).

A store keeps what it is given and does no checking of its own: who may
change a class and what an answer may be are `visualizer.live.classes`'s
business. It keeps:

- a class: its code, the hash of the teacher's secret, the scene and the
  question asked (its description, answer included), whether it is
  revealed or closed, a version that grows with every change the students
  follow, and when it expires;
- the questions it has asked, by key (their descriptions, answers
  included), so every answer can be graded later;
- the answers: per class and question key, one response per student (a
  second replaces the first), with the time it came;
- rate-limit counters: hits per bucket in fixed windows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

STORE_ENV = "OPTVIZ_CLASS_STORE"  # redis://host:port/db, or sqlite:///path/to/classes.db
DATA_DIR_ENV = "OPTVIZ_DATA_DIR"  # the folder of the default SQLite file


@dataclass(frozen=True)
class ClassRecord:
    code: str
    secret_hash: str
    scene: str  # the scene the class looks at, canonical (no viewer keys)
    question: str  # JSON: the asked question's description, answer included ("" before the first)
    key: str  # the question's key: answers are kept under it
    revealed: bool
    closed: bool
    version: int  # grows with every change students follow
    created: float
    expires: float


@dataclass(frozen=True)
class Answer:
    student: str
    response: str  # JSON, as `classes` validated it
    at: float


class Store(Protocol):
    def create(self, record: ClassRecord) -> bool:
        """Add a class; False if its code is taken."""

    def get(self, code: str) -> ClassRecord | None: ...

    def update(self, code: str, **changes) -> ClassRecord | None:
        """Change fields of a class and add 1 to its version, atomically;
        None if there is no such class."""

    def ask(self, code: str, key: str, question: str) -> None:
        """Keep the description of a question the class asks (once per key)."""

    def asked(self, code: str) -> dict[str, str]:
        """Every question the class has asked: key -> description."""

    def answer(self, code: str, key: str, answer: Answer) -> None:
        """Keep `answer` (replacing the student's earlier one for `key`)."""

    def answers(self, code: str, key: str) -> list[Answer]: ...

    def all_answers(self, code: str) -> list[tuple[str, Answer]]:
        """Every (key, answer) of a class, by key then time."""

    def hit(self, bucket: str, window_s: float, now: float) -> int:
        """Count one hit in `bucket`'s window of `window_s` seconds at `now`;
        the hits so far in that window, this one included."""

    def purge(self, now: float) -> int:
        """Forget classes (and their answers) expired by `now`; how many."""

    def close(self) -> None: ...


# ---------------------------------------------------------------- SQLite


_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, scene TEXT NOT NULL, question TEXT NOT NULL,
    key TEXT NOT NULL, revealed INTEGER NOT NULL, closed INTEGER NOT NULL, version INTEGER NOT NULL,
    created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL, key TEXT NOT NULL, student TEXT NOT NULL, response TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (code, key, student));
CREATE TABLE IF NOT EXISTS asked (
    code TEXT NOT NULL, key TEXT NOT NULL, question TEXT NOT NULL, PRIMARY KEY (code, key));
CREATE TABLE IF NOT EXISTS hits (bucket TEXT PRIMARY KEY, window REAL NOT NULL, count INTEGER NOT NULL);
"""
_FIELDS = tuple(ClassRecord.__dataclass_fields__)


class SQLiteStore:
    """One file, in WAL mode (readers never wait for the writer), one
    connection per thread (Starlette's threads and the script's)."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a process's crash, not a power cut's
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    def create(self, record: ClassRecord) -> bool:
        row = asdict(record)
        try:
            self._connection().execute(
                f"INSERT INTO classes ({', '.join(_FIELDS)}) VALUES ({', '.join('?' * len(_FIELDS))})",
                [row[f] for f in _FIELDS])
        except sqlite3.IntegrityError:
            return False
        return True

    def get(self, code: str) -> ClassRecord | None:
        row = self._connection().execute(f"SELECT {', '.join(_FIELDS)} FROM classes WHERE code = ?",
                                         (code,)).fetchone()
        return None if row is None else _record(dict(zip(_FIELDS, row, strict=True)))

    def update(self, code: str, **changes) -> ClassRecord | None:
        db = self._connection()
        sets = ", ".join(f"{name} = ?" for name in changes)
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(f"UPDATE classes SET {sets}{', ' if sets else ''}version = version + 1 WHERE code = ?",
                       [*changes.values(), code])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return self.get(code)

    def ask(self, code: str, key: str, question: str) -> None:
        self._connection().execute("INSERT OR IGNORE INTO asked (code, key, question) VALUES (?, ?, ?)",
                                   (code, key, question))

    def asked(self, code: str) -> dict[str, str]:
        return dict(self._connection().execute("SELECT key, question FROM asked WHERE code = ?", (code,)))

    def answer(self, code: str, key: str, answer: Answer) -> None:
        self._connection().execute(
            "INSERT INTO answers (code, key, student, response, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (code, key, student) DO UPDATE SET response = excluded.response, at = excluded.at",
            (code, key, answer.student, answer.response, answer.at))

    def answers(self, code: str, key: str) -> list[Answer]:
        rows = self._connection().execute(
            "SELECT student, response, at FROM answers WHERE code = ? AND key = ? ORDER BY at", (code, key))
        return [Answer(*row) for row in rows]

    def all_answers(self, code: str) -> list[tuple[str, Answer]]:
        rows = self._connection().execute(
            "SELECT key, student, response, at FROM answers WHERE code = ? ORDER BY key, at", (code,))
        return [(key, Answer(student, response, at)) for key, student, response, at in rows]

    def hit(self, bucket: str, window_s: float, now: float) -> int:
        window = now - now % window_s
        db = self._connection()
        db.execute("INSERT INTO hits (bucket, window, count) VALUES (?, ?, 1) ON CONFLICT (bucket) DO UPDATE SET "
                   "count = CASE WHEN window = excluded.window THEN count + 1 ELSE 1 END, window = excluded.window",
                   (bucket, window))
        return db.execute("SELECT count FROM hits WHERE bucket = ?", (bucket,)).fetchone()[0]

    def purge(self, now: float) -> int:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            gone = [row[0] for row in db.execute("SELECT code FROM classes WHERE expires <= ?", (now,))]
            db.executemany("DELETE FROM answers WHERE code = ?", [(c,) for c in gone])
            db.executemany("DELETE FROM asked WHERE code = ?", [(c,) for c in gone])
            db.executemany("DELETE FROM classes WHERE code = ?", [(c,) for c in gone])
            db.execute("DELETE FROM hits WHERE window < ?", (now - 3600,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(gone)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _record(row: dict) -> ClassRecord:
    return ClassRecord(**{**row, "revealed": bool(row["revealed"]), "closed": bool(row["closed"]),
                          "version": int(row["version"])})


# ---------------------------------------------------------------- Redis


class RedisStore:
    """A class is a hash `optviz:class:<code>`; its answers one hash per
    question key, `optviz:answers:<code>:<key>` (student -> [response, at]),
    whose keys a set `optviz:keys:<code>` lists, and the questions asked a
    hash `optviz:asked:<code>` (key -> description); every key of a class
    expires with it. Counters are `optviz:hits:<bucket>:<window>`."""

    PREFIX = "optviz"

    def __init__(self, url: str):
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5,
                                           health_check_interval=30)

    def _class(self, code: str) -> str:
        return f"{self.PREFIX}:class:{code}"

    def _answers(self, code: str, key: str) -> str:
        return f"{self.PREFIX}:answers:{code}:{key}"

    def _keys(self, code: str) -> str:
        return f"{self.PREFIX}:keys:{code}"

    def create(self, record: ClassRecord) -> bool:
        fields = {name: _redis_value(value) for name, value in asdict(record).items()}
        name = self._class(record.code)
        with self.client.pipeline() as pipe:
            pipe.hsetnx(name, "code", record.code)
            created = pipe.execute()[0]
        if not created:
            return False
        with self.client.pipeline() as pipe:
            pipe.hset(name, mapping=fields)
            pipe.expireat(name, int(record.expires) + 1)
            pipe.execute()
        return True

    def get(self, code: str) -> ClassRecord | None:
        row = self.client.hgetall(self._class(code))
        if not row or "secret_hash" not in row:
            return None
        return ClassRecord(**{name: _from_redis(name, row[name]) for name in _FIELDS})

    def update(self, code: str, **changes) -> ClassRecord | None:
        name = self._class(code)
        import redis

        while True:  # optimistic: retried when another process changed the class meanwhile
            with self.client.pipeline() as pipe:
                try:
                    pipe.watch(name)
                    if not pipe.exists(name):
                        return None
                    pipe.multi()
                    if changes:
                        pipe.hset(name, mapping={k: _redis_value(v) for k, v in changes.items()})
                    pipe.hincrby(name, "version", 1)
                    pipe.execute()
                    break
                except redis.WatchError:
                    continue
        return self.get(code)

    def _expiry(self, code: str) -> int:
        record = self.get(code)
        return int(record.expires) + 1 if record else int(now()) + 86400

    def ask(self, code: str, key: str, question: str) -> None:
        name = f"{self.PREFIX}:asked:{code}"
        with self.client.pipeline() as pipe:
            pipe.hsetnx(name, key, question)
            pipe.expireat(name, self._expiry(code))
            pipe.execute()

    def asked(self, code: str) -> dict[str, str]:
        return self.client.hgetall(f"{self.PREFIX}:asked:{code}")

    def answer(self, code: str, key: str, answer: Answer) -> None:
        at = self._expiry(code)
        with self.client.pipeline() as pipe:
            pipe.hset(self._answers(code, key), answer.student, json.dumps([answer.response, answer.at]))
            pipe.sadd(self._keys(code), key)
            pipe.expireat(self._answers(code, key), at)
            pipe.expireat(self._keys(code), at)
            pipe.execute()

    def answers(self, code: str, key: str) -> list[Answer]:
        rows = self.client.hgetall(self._answers(code, key))
        out = [Answer(student, *json.loads(value)) for student, value in rows.items()]
        return sorted(out, key=lambda a: a.at)

    def all_answers(self, code: str) -> list[tuple[str, Answer]]:
        return [(key, a) for key in sorted(self.client.smembers(self._keys(code))) for a in self.answers(code, key)]

    def hit(self, bucket: str, window_s: float, now: float) -> int:
        window = int(now // window_s)
        name = f"{self.PREFIX}:hits:{bucket}:{window}"
        with self.client.pipeline() as pipe:
            pipe.incr(name)
            pipe.expire(name, int(window_s) + 1)
            count, _ = pipe.execute()
        return int(count)

    def purge(self, now: float) -> int:
        return 0  # Redis expires every key of a class by itself

    def close(self) -> None:
        self.client.close()


def _redis_value(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value) if not isinstance(value, float) else repr(value)


def _from_redis(name: str, text: str):
    if name in ("revealed", "closed"):
        return text == "1"
    if name == "version":
        return int(text)
    if name in ("created", "expires"):
        return float(text)
    return text


# ---------------------------------------------------------------- which one


def default_sqlite_path() -> Path:
    """`OPTVIZ_DATA_DIR`/classes.db; the folder defaults to the user's data
    folder (XDG_DATA_HOME, else ~/.local/share)/optviz."""
    folder = os.environ.get(DATA_DIR_ENV, "").strip()
    if not folder:
        base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.join(Path.home(), ".local", "share")
        folder = os.path.join(base, "optviz")
    return Path(folder) / "classes.db"


def open_store(url: str | None = None) -> Store:
    """The store `url` names (default: `OPTVIZ_CLASS_STORE`, else the SQLite
    file in the data folder): `redis://...` or `rediss://...`, or
    `sqlite:///path`. ValueError for anything else."""
    url = (url if url is not None else os.environ.get(STORE_ENV, "")).strip()
    if not url:
        return SQLiteStore(default_sqlite_path())
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url.startswith("sqlite:///"):
        return SQLiteStore(url.removeprefix("sqlite://"))
    raise ValueError(f"{STORE_ENV}={url!r}: a redis://host:port/db or a sqlite:///path/file.db")


_STORE: Store | None = None
_STORE_LOCK = threading.Lock()


def shared() -> Store:
    """This process's store, opened on first use."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None:
            _STORE = open_store()
        return _STORE


def now() -> float:
    return time.time()


__all__ = ["Answer", "ClassRecord", "RedisStore", "SQLiteStore", "Store", "open_store", "shared"]
