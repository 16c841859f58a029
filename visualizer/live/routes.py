"""A live class over HTTP, served by the app's own server beside the page
(`st.App(..., routes=ROUTES)` in app.py): thirty phones following a teacher
cost thirty cheap HTTP requests, not thirty script reruns.

    GET  /api/class/{code}?student=ID&after=V   the class as a student sees it; with `after`, held
                                                (long polling, up to HOLD_S) until its version passes V
    POST /api/class/{code}/answer               {"student": ID, "key": K, "response": ...}
    GET  /api/class/{code}/scene?version=V      the player's payload of the class's scene now (computed
                                                once per scene for every phone; 409 if V is not current)
    GET  /api/class/{code}/tally?after=N&version=V&latest=T
                                                the room's answers (the teacher's secret in the
                                                X-Class-Secret header; everyone's after the reveal),
                                                held until more than N answered, the version moves
                                                or the newest answer is not T's (one was changed)
    POST /api/class                             {"scene": Q, "question": I}: start a class; its code and secret
    POST /api/class/{code}/move                 {"scene": Q, "question": I}: ask question I of scene Q now
    POST /api/class/{code}/reveal, /close       the teacher's (X-Class-Secret)
    GET  /api/class/{code}/answers.csv          the teacher's (X-Class-Secret)

Every answer is JSON; a refusal is `{"error": "<one line>"}` with its status
(400 malformed, 403 not the teacher's, 404 no such class, 409 late, 410
closed, 413 too large, 422 not an answer, 429 too many, 503 the store is
unreachable); nothing returns a traceback.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import threading
import time

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from visualizer.core.errors import SceneError
from visualizer.live import classes, store, watch
from visualizer.live.classes import Refused

_LOG = logging.getLogger(__name__)
PREFIX = "/api/class"
HOLD_S = 20.0  # a long poll comes back after this at the latest (proxies allow 60 s)
DISCONNECTED_S = 2.0  # a held request looks this often whether its browser has gone
SECRET_HEADER = "X-Class-Secret"
_NO_STORE = {"Cache-Control": "no-store"}


def _reply(body, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_NO_STORE)


def _refusal(exc: Refused) -> JSONResponse:
    return _reply({"error": str(exc)}, exc.status)


async def _call(fn, *args):
    """`fn(store, *args)` in a worker thread (the stores block), refusals and
    failures as replies."""
    try:
        return await anyio.to_thread.run_sync(lambda: fn(store.shared(), *args))
    except Refused as exc:
        return _refusal(exc)
    except Exception:  # noqa: BLE001 - an unreachable store, a bug: logged, one line out
        _LOG.exception("class request failed")
        return _reply({"error": "the class store cannot be reached right now; try again in a moment"}, 503)


def _after(request: Request, name: str = "after") -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 16:
        raise Refused(400, f"{name} is not a whole number")
    return int(raw)


async def _held(request: Request, code: str, read, moved, answers: bool = False) -> Response:
    """`read()` now, or again once `moved(reply)` may hold (the class moved,
    or with `answers` someone answered: `watch` looks at the store for every
    held request at once), or after HOLD_S: whichever comes first."""
    deadline = time.monotonic() + HOLD_S
    while True:
        reply = await _call(read)
        if isinstance(reply, Response) or moved(reply) or time.monotonic() >= deadline:
            return reply if isinstance(reply, Response) else _reply(reply)
        answered = (reply["answered"], reply["latest"]) if answers else None
        while not await watch.wait(code, min(DISCONNECTED_S, deadline - time.monotonic()), reply["version"],
                                   answered):
            if await request.is_disconnected():
                return Response(status_code=204)
            if time.monotonic() >= deadline:
                return _reply(reply)


async def class_view(request: Request) -> Response:
    code = request.path_params["code"]
    student = request.query_params.get("student")
    try:
        after = _after(request)
    except Refused as exc:
        return _refusal(exc)
    return await _held(request, code, lambda s: classes.view(s, code, student),
                       lambda seen: after is None or seen["version"] > after)


async def answer(request: Request) -> Response:
    code = request.path_params["code"]
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > classes.MAX_BODY):
        return _reply({"error": f"an answer is at most {classes.MAX_BODY} bytes"}, 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > classes.MAX_BODY:
            return _reply({"error": f"an answer is at most {classes.MAX_BODY} bytes"}, 413)
    try:
        sent = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _reply({"error": "the answer is not JSON"}, 400)
    if not isinstance(sent, dict) or set(sent) - {"student", "key", "response"}:
        return _reply({"error": "an answer is {\"student\", \"key\", \"response\"}"}, 400)
    reply = await _call(classes.submit, code, sent.get("student"), sent.get("key"), sent.get("response"))
    return reply if isinstance(reply, Response) else _reply(reply)


async def tally(request: Request) -> Response:
    code = request.path_params["code"]
    secret = request.headers.get(SECRET_HEADER)
    try:
        after = _after(request)
        version = _after(request, "version")
        latest = _after(request, "latest")
    except Refused as exc:
        return _refusal(exc)
    return await _held(request, code, lambda s: classes.tally(s, code, secret),
                       lambda room: after is None or room["answered"] > after
                       or (version is not None and room["version"] != version)
                       or (latest is not None and room["latest"] != latest), answers=True)


async def _body(request: Request) -> dict:
    """The request's JSON object, at most MAX_BODY bytes (MAX_SCENE for a
    scene); Refused otherwise."""
    limit = classes.MAX_SCENE + 200
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise Refused(413, f"a request is at most {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(413, f"a request is at most {limit} bytes")
    try:
        sent = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "the request is not JSON") from None
    if not isinstance(sent, dict):
        raise Refused(400, "the request is not a JSON object")
    return sent


def asked(scene_text, index) -> tuple[str, object, int]:
    """The canonical scene of `scene_text` and its question `index`, answered
    by the engine (visualizer.core.quiz): what a class asks."""
    from visualizer.core import quiz
    from visualizer.core.scene import Scene

    if not isinstance(scene_text, str):
        raise Refused(400, "scene is a query string")
    if not (isinstance(index, int) and not isinstance(index, bool) and index >= 0):
        raise Refused(400, "question is the index of one of the scene's questions")
    try:
        scene = Scene.from_query(scene_text)
        questions = quiz.questions_of(scene)
    except SceneError as exc:
        raise Refused(422, str(exc)) from None
    if index >= len(questions):
        raise Refused(422, f"the scene asks {len(questions)} question(s); there is no question {index}")
    return classes.class_scene(scene), questions[index], index


async def start(request: Request) -> Response:
    try:
        sent = await _body(request)
    except Refused as exc:
        return _refusal(exc)

    def begin(s):
        scene, question, index = asked(sent.get("scene"), sent.get("question", 0))
        started = classes.start(s, scene, question, index)
        return {"code": started.code, "secret": started.secret}

    reply = await _call(begin)
    return reply if isinstance(reply, Response) else _reply(reply, 201)


async def move(request: Request) -> Response:
    code, secret = request.path_params["code"], request.headers.get(SECRET_HEADER)
    try:
        sent = await _body(request)
    except Refused as exc:
        return _refusal(exc)

    def moved(s):
        classes.teacher(s, code, secret)  # before the engine's work: a stranger costs nothing
        scene, question, index = asked(sent.get("scene"), sent.get("question", 0))
        record = classes.move(s, code, secret, scene, question, index)
        return {"version": record.version, "key": record.key}

    reply = await _call(moved)
    return reply if isinstance(reply, Response) else _reply(reply)


_SCENES_LOCK = threading.Lock()


@functools.lru_cache(maxsize=16)
def _scene_payload(scene_text: str) -> bytes:
    """The payload of a class's scene as JSON bytes, the same for every phone
    (each adds nothing: the class's own part comes from the class view)."""
    from visualizer.browser.complete import complete_payload
    from visualizer.core.scene import Scene

    return json.dumps(complete_payload(Scene.from_query(scene_text), ""), allow_nan=False).encode()


def scene_payload(s, code, version) -> bytes:
    record = classes.view(s, code)
    if version is not None and version != record["version"]:
        raise Refused(409, "the class has moved on; ask for its state again")
    with _SCENES_LOCK:  # sixty phones asking at once: one computation
        return _scene_payload(record["scene"])


async def class_scene(request: Request) -> Response:
    code = request.path_params["code"]
    try:
        version = _after(request, "version")
    except Refused as exc:
        return _refusal(exc)
    reply = await _call(scene_payload, code, version)
    if isinstance(reply, Response):
        return reply
    headers = dict(_NO_STORE)
    if "gzip" in request.headers.get("accept-encoding", ""):
        reply = gzip.compress(reply, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(reply, media_type="application/json", headers=headers)


def _teacher_action(action):
    async def handle(request: Request) -> Response:
        reply = await _call(action, request.path_params["code"], request.headers.get(SECRET_HEADER))
        if isinstance(reply, Response):
            return reply
        return _reply({"version": reply.version, "revealed": reply.revealed, "closed": reply.closed})

    return handle


async def answers_csv(request: Request) -> Response:
    code = request.path_params["code"]
    reply = await _call(classes.answers_csv, code, request.headers.get(SECRET_HEADER))
    if isinstance(reply, Response):
        return reply
    return Response(reply, media_type="text/csv", headers={
        **_NO_STORE, "Content-Disposition": f'attachment; filename="class-{code}-answers.csv"'})


ROUTES = [
    Route(PREFIX, start, methods=["POST"]),
    Route(PREFIX + "/{code}", class_view, methods=["GET"]),
    Route(PREFIX + "/{code}/move", move, methods=["POST"]),
    Route(PREFIX + "/{code}/scene", class_scene, methods=["GET"]),
    Route(PREFIX + "/{code}/answer", answer, methods=["POST"]),
    Route(PREFIX + "/{code}/tally", tally, methods=["GET"]),
    Route(PREFIX + "/{code}/reveal", _teacher_action(classes.reveal), methods=["POST"]),
    Route(PREFIX + "/{code}/close", _teacher_action(classes.close), methods=["POST"]),
    Route(PREFIX + "/{code}/answers.csv", answers_csv, methods=["GET"]),
]
