"""A Streamlit client without a browser: it speaks the app's websocket
protocol (`/_stcore/stream`, protobuf `BackMsg` up, `ForwardMsg` down) the
way the browser's frontend does, and renders nothing.

What a browser does and this does too:

- loads the page first (a GET of the address, keeping its cookies, so a
  proxy that routes by cookie sends the websocket where the page came from),
  then `/_stcore/health` and `/_stcore/host-config`;
- opens the websocket with the `streamlit` subprotocol and the page's origin;
- asks for a run with the address's query string, and on every later run
  sends the value of every widget it knows (as the frontend's widget manager
  does), with the hashes of the large messages it has cached, so the server
  sends a reference instead of the message again;
- keeps the elements of the page by their delta path, replaces a reference
  by the message it names, and drops what a finished run did not send.

Used by `benchmarks/load.py`, `benchmarks/soak.py` and the tests that play a
hostile or a vanishing browser (`tests/test_hostile.py`, `tests/test_faults.py`).
Only `websockets` (a dependency of Streamlit) and `streamlit.proto`.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINAL = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
# Elements whose proto carries a widget id, and the WidgetState field its
# value travels in (Streamlit 1.67; see each widget's `value_type=`).
WIDGETS = {
    "slider": "double_array_value",  # a select_slider is a slider with options: string_array_value
    "number_input": "double_value",
    "selectbox": "string_value",
    "radio": "string_value",
    "checkbox": "bool_value",
    "text_input": "string_value",
    "text_area": "string_value",
    "button": "trigger_value",
    "download_button": "trigger_value",
    "component_instance": "json_value",
    "multiselect": "string_array_value",
}


class ProtocolError(RuntimeError):
    """The server closed the connection or answered out of protocol."""


@dataclass
class RunResult:
    """One script run as the client saw it: from the request to the final
    `script_finished`."""

    status: int | None = None
    seconds: float = 0.0
    messages: int = 0
    bytes: int = 0
    bytes_by_kind: Counter = field(default_factory=Counter)  # "delta:markdown", "ref_hash", ...
    exceptions: list = field(default_factory=list)  # Exception protos sent in this run
    early: int = 0  # runs that ended early for a rerun on the way

    @property
    def ok(self) -> bool:
        return self.status in FINAL and not self.exceptions


def _kind(msg: ForwardMsg) -> str:
    kind = msg.WhichOneof("type") or "?"
    if kind == "delta":
        delta = msg.delta.WhichOneof("type")
        if delta == "new_element":
            return f"delta:{msg.delta.new_element.WhichOneof('type')}"
        return f"delta:{delta}"
    return kind


def http_get(url: str, cookies: dict | None = None, timeout: float = 30) -> tuple[int, bytes, dict]:
    """A plain GET (blocking; run it in a thread): status, body and the
    cookies the answer set."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {"User-Agent": "stclient", "Accept": "*/*"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        set_cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            set_cookies[name.strip()] = rest.split(";", 1)[0].strip()
        return response.status, body, set_cookies
    finally:
        conn.close()


class Session:
    """One browser tab: `await Session(url, query).open()`, then
    `await session.set_widget(key, value)` or `await session.rerun()`.

    `url` is the app's address (`http://host:port/`); `query` the scene part
    of the link, without `?`."""

    def __init__(self, url: str, query: str = "", *, timeout: float = 180.0, load_page: bool = True):
        self.url = url if url.endswith("/") else url + "/"
        self.query = query
        self.timeout = timeout
        self.load_page = load_page
        self.cookies: dict[str, str] = {}
        self.ws = None
        self.page: dict[tuple, object] = {}  # delta path -> Element or Block proto
        self.widgets: dict[str, tuple[str, str, object]] = {}  # user key (or id) -> (id, kind, proto)
        self.values: dict[str, WidgetState] = {}  # widget id -> the value this tab holds
        self.cache: dict[str, ForwardMsg] = {}  # hash -> a cacheable message
        self._cache_run: dict[str, int] = {}  # hash -> the run that last used it
        self._runs = 0
        self.max_cached_message_age = 2  # the server says in new_session
        self.page_script_hash = ""
        self.log: list[ForwardMsg] = []  # every message of the current run, references resolved
        self.closed = False
        self._reader: asyncio.Task | None = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._run_paths: set = set()
        self._pending_triggers: set[str] = set()

    # ---------------------------------------------------------------- connection

    async def open(self) -> RunResult:
        parts = urlsplit(self.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if self.load_page:
            # as a browser would: the address bar's non-ASCII percent-encoded
            address = self.url + ("?" + quote(self.query, safe="=&%:,;/+@!$'()*~.-_?#[]") if self.query else "")
            status, _, cookies = await asyncio.to_thread(http_get, address)
            if status != 200:
                raise ProtocolError(f"GET the page: HTTP {status}")
            self.cookies.update(cookies)
            for path in ("_stcore/health", "_stcore/host-config"):
                status, _, cookies = await asyncio.to_thread(http_get, self.url + path, self.cookies)
                self.cookies.update(cookies)
        ws_url = ("wss://" if parts.scheme == "https" else "ws://") + parts.netloc + parts.path.rstrip("/") + "/_stcore/stream"
        headers = {"Origin": origin}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], additional_headers=headers,
                                           max_size=None, compression=None, open_timeout=self.timeout,
                                           ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        return await self.rerun()

    async def close(self) -> None:
        self.closed = True
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass

    async def abort(self) -> None:
        """Drop the connection the way a closed laptop does: no close frame."""
        self.closed = True
        if self.ws is not None:
            self.ws.transport.abort()
        if self._reader is not None:
            self._reader.cancel()

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                await self._queue.put(data)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting run
            await self._queue.put(exc)
        finally:
            await self._queue.put(None)

    # ---------------------------------------------------------------- requests

    async def send(self, back: BackMsg) -> None:
        await self.ws.send(back.SerializeToString())

    def client_state(self, query: str | None = None, extra: list[WidgetState] = ()) -> BackMsg:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query if query is None else query
        state.page_script_hash = self.page_script_hash
        forged = {w.id for w in extra}
        for wid, value in self.values.items():
            if wid not in forged:
                state.widget_states.widgets.append(value)
        state.widget_states.widgets.extend(extra)
        state.cached_message_hashes.extend(self.cache)
        return back

    async def rerun(self, extra: list[WidgetState] = (), query: str | None = None) -> RunResult:
        """Ask for a run with every widget's value (and `extra` states on
        top, forged or not); wait for it to finish."""
        if query is not None:
            self.query = query
        start = time.perf_counter()
        await self.send(self.client_state(extra=list(extra)))
        for wid in self._pending_triggers:
            self.values.pop(wid, None)  # a trigger is sent once, as the frontend does
        self._pending_triggers.clear()
        return await self.wait_run(start)

    async def wait_run(self, start: float | None = None) -> RunResult:
        """Read messages until a run finishes (not one cut short by a rerun)."""
        start = time.perf_counter() if start is None else start
        result = RunResult()
        self.log = []
        deadline = start + self.timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no finished run after {self.timeout:.0f} s")
            item = await asyncio.wait_for(self._queue.get(), remaining)
            if item is None or isinstance(item, Exception):
                self.closed = True
                raise ProtocolError(f"connection closed: {item!r}")
            msg = ForwardMsg()
            msg.ParseFromString(item)
            result.messages += 1
            result.bytes += len(item)
            result.bytes_by_kind[_kind(msg)] += len(item)
            if msg.HasField("ref_hash"):
                cached = self.cache.get(msg.ref_hash)
                if cached is None:
                    raise ProtocolError(f"reference to a message never received: {msg.ref_hash}")
                self._cache_run[msg.ref_hash] = self._runs
                resolved = ForwardMsg()
                resolved.CopyFrom(cached)
                resolved.metadata.CopyFrom(msg.metadata)
                msg = resolved
            elif msg.metadata.cacheable:
                self.cache[msg.hash] = msg
                self._cache_run[msg.hash] = self._runs
            self.log.append(msg)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
                self.max_cached_message_age = msg.new_session.config.max_cached_message_age or 2
                self._run_paths = set()
            elif kind == "delta":
                self._delta(msg, result)
            elif kind == "page_info_changed":
                pass
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    result.early += 1
                    self._run_paths = set()
                    continue
                if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    for path in [p for p in self.page if p not in self._run_paths]:
                        del self.page[path]
                self._run_paths = set()
                self._forget_stale_widgets()
                self._expire_cache()
                result.status = msg.script_finished
                result.seconds = time.perf_counter() - start
                return result

    def _expire_cache(self) -> None:
        """Forget cached messages no run used for a while, as the frontend
        does (so the server sends them again, as it does to a browser)."""
        self._runs += 1
        for key in [k for k, run in self._cache_run.items() if self._runs - run > self.max_cached_message_age]:
            del self._cache_run[key]
            self.cache.pop(key, None)

    def _delta(self, msg: ForwardMsg, result: RunResult) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            element = delta.new_element
            self.page[path] = element
            self._run_paths.add(path)
            etype = element.WhichOneof("type")
            if etype == "exception":
                result.exceptions.append(element.exception)
            if etype in WIDGETS:
                self._widget(etype, getattr(element, etype))
        elif kind == "add_block":
            # A new block replaces whatever was under its path.
            for p in [p for p in self.page if p[: len(path)] == path]:
                del self.page[p]
            self.page[path] = delta.add_block
            self._run_paths.add(path)

    def _widget(self, etype: str, proto) -> None:
        wid = proto.id
        key = wid.split("-", 2)[-1] if wid.startswith("$$ID-") else wid
        if key == "None":
            key = wid
        self.widgets[key] = (wid, etype, proto)
        field_name = self._field(etype, proto)
        if field_name == "trigger_value":
            return
        if getattr(proto, "set_value", False) or wid not in self.values:
            state = self._proto_value(etype, proto, field_name)
            if state is not None:
                self.values[wid] = state

    def _forget_stale_widgets(self) -> None:
        live = {wid for wid, _, _ in self.widgets.values()}
        live_now = set()
        for element in self.page.values():
            etype = element.WhichOneof("type") if hasattr(element, "WhichOneof") else None
            if etype in WIDGETS:
                live_now.add(getattr(element, etype).id)
        for key in [k for k, (wid, _, _) in self.widgets.items() if wid not in live_now]:
            del self.widgets[key]
        for wid in [w for w in self.values if w not in live_now]:
            self.values.pop(wid, None)
        del live

    @staticmethod
    def _field(etype: str, proto) -> str:
        if etype == "slider" and list(proto.options):
            return "string_array_value"
        if etype == "number_input" and proto.data_type == proto.INT:
            return "int_value"  # as the frontend sends an integer input's value
        return WIDGETS[etype]

    def _proto_value(self, etype: str, proto, field_name: str) -> WidgetState | None:
        """The value the frontend would hold for a freshly drawn widget."""
        state = WidgetState(id=proto.id)
        if etype == "slider":
            if field_name == "string_array_value":  # a select_slider: its formatted options
                options = list(proto.options)
                if proto.set_value:
                    state.string_array_value.data.extend(proto.raw_value)
                else:
                    state.string_array_value.data.extend(
                        options[int(i)] for i in proto.default if 0 <= int(i) < len(options))
            else:
                state.double_array_value.data.extend(proto.value if proto.set_value else proto.default)
        elif etype == "number_input":
            if proto.set_value:
                if not proto.HasField("value"):
                    return None
                value = proto.value
            elif proto.HasField("default"):
                value = proto.default
            else:
                return None
            if field_name == "int_value":
                state.int_value = int(value)
            else:
                state.double_value = value
        elif etype in ("selectbox", "radio"):
            options = list(proto.options)
            if proto.set_value and proto.HasField("raw_value"):
                state.string_value = proto.raw_value
            elif proto.HasField("default") and 0 <= proto.default < len(options):
                state.string_value = options[proto.default]
            else:
                return None
        elif etype == "checkbox":
            state.bool_value = proto.value if proto.set_value else proto.default
        elif etype in ("text_input", "text_area"):
            if proto.set_value and proto.HasField("value"):
                state.string_value = proto.value
            elif proto.HasField("default"):
                state.string_value = proto.default
            else:
                return None
        elif etype == "component_instance":
            return None  # no value until the component sends one
        else:
            return None
        return state

    # ---------------------------------------------------------------- widgets

    def widget(self, key: str):
        """(id, element type, proto) of the widget with user key `key`."""
        try:
            return self.widgets[key]
        except KeyError:
            raise KeyError(f"no widget {key!r} on the page; there are {sorted(self.widgets)}") from None

    def state_for(self, key: str, value) -> WidgetState:
        """The WidgetState the frontend sends when the user sets `key` to
        `value` (an option's label for choices, a number, a bool, text)."""
        wid, etype, proto = self.widget(key)
        field_name = self._field(etype, proto)
        state = WidgetState(id=wid)
        if field_name == "string_array_value":
            getattr(state, field_name).data.extend([str(v) for v in (value if isinstance(value, list) else [value])])
        elif field_name == "double_array_value":
            state.double_array_value.data.extend(value if isinstance(value, list) else [float(value)])
        elif field_name == "json_value":
            state.json_value = json.dumps(value)
        elif field_name == "trigger_value":
            state.trigger_value = bool(value)
        elif field_name == "int_value":
            state.int_value = int(value)
        else:
            setattr(state, field_name, value)
        return state

    async def set_widget(self, key: str, value) -> RunResult:
        """Change one widget as a user would, then wait for the run."""
        state = self.state_for(key, value)
        if state.WhichOneof("value") == "trigger_value":
            self._pending_triggers.add(state.id)
        self.values[state.id] = state
        return await self.rerun()

    def options(self, key: str) -> list[str]:
        return list(self.widget(key)[2].options)

    # ---------------------------------------------------------------- reading the page

    def elements(self, etype: str | None = None) -> list:
        out = []
        for path in sorted(self.page):
            element = self.page[path]
            kind = element.WhichOneof("type") if hasattr(element, "WhichOneof") else None
            if etype is None or kind == etype:
                out.append(element)
        return out

    def exceptions(self) -> list:
        return [e.exception for e in self.elements("exception")]


async def open_session(url: str, query: str = "", **kwargs) -> tuple[Session, RunResult]:
    session = Session(url, query, **kwargs)
    first = await session.open()
    return session, first


# -------------------------------------------------------------------- a local server

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_children(pids) -> set[int]:
    """`pids` and every process below them (the server's compile worker)."""
    parent_of = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    parent_of[int(entry.name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = set(pids), set(pids)
    while frontier:
        frontier = {pid for pid, parent in parent_of.items() if parent in frontier} - found
        found |= frontier
    return found


def process_stats(pids) -> dict:
    """Resident memory (MB) and threads of processes and their children,
    summed, from /proc (shared libraries count once per process: an upper
    bound of what they hold together)."""
    rss_kb, threads = {}, 0
    for pid in [*pids, *sorted(_with_children(pids) - set(pids))]:  # the servers first
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss_kb[pid] = int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads += int(line.split()[1])
        except OSError:
            pass
    return {"rss_mb": sum(rss_kb.values()) / 1024, "threads": threads, "processes": len(rss_kb),
            "rss_mb_each": [round(kb / 1024, 1) for kb in rss_kb.values()]}


class LocalServer:
    """`streamlit run app.py` on a free port in its own process group, from
    the repository's root, with this repository's `.streamlit/config.toml`.
    `command` replaces `[python, -m, streamlit]` (a launcher that injects a
    fault first, as tests/fault_server.py does); `env` is added to the
    environment."""

    def __init__(self, *, port: int | None = None, script: str = "app.py", command=None, env=None,
                 args=(), log_path=None):
        import sys

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.command = list(command or [sys.executable, "-m", "streamlit"])
        self.script = script
        self.env = dict(env or {})
        self.args = list(args)
        self.log_path = log_path
        self.proc = None
        self.started_at = 0.0
        self.healthy_after = 0.0

    def start(self, timeout: float = 120) -> LocalServer:
        import os
        import subprocess
        import tempfile
        import urllib.request

        if self.log_path is None:
            self.log_path = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False).name
        self._log = open(self.log_path, "wb")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [*self.command, "run", self.script, "--server.headless=true", f"--server.port={self.port}",
             "--server.address=127.0.0.1", *self.args],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **self.env})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        self.healthy_after = time.perf_counter() - self.started_at
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit not healthy after {timeout} s: {self.log()[-3000:]}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stats(self) -> dict:
        return process_stats([self.pid])

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as fh:
                return fh.read()
        except (OSError, TypeError):
            return ""

    def stop(self) -> None:
        import os
        import signal
        import subprocess

        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -------------------------------------------------------------------- reading text

# Fields the frontend renders as Markdown (links, autolinks, :icons:, emphasis),
# by element type; every other text field is shown as plain text.
MARKDOWN_FIELDS = {
    "markdown": ("body", "help"),
    "alert": ("body", "title"),
    "heading": ("body", "help"),
    "exception": ("message",),
    "toast": ("body",),
    "expandable": ("label",),
    "popover": ("label",),
    "tab_container": (),
    "metric": ("label", "help"),
    "radio": ("label", "help", "options", "captions"),
    "button_group": ("options",),
}
_WIDGET_MARKDOWN = ("label", "help")  # every widget's label and help


def _arrow_cells(data: bytes) -> list[str]:
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas brings it with Streamlit
        return []
    table = pa.ipc.open_stream(data).read_all()
    cells = [str(name) for name in table.column_names]
    for column in table.columns:
        cells += [str(v) for v in column.to_pylist() if v is not None]
    return cells


def texts(element) -> list[tuple[str, str, bool]]:
    """Every text an element (or block) shows: (where, text, rendered as
    Markdown)."""
    kind = element.WhichOneof("type")
    if kind is None:
        return []
    proto = getattr(element, kind)
    out = []
    if kind == "table":
        # st.table's cells and headers are Markdown in this Streamlit
        return [(f"table cell {i}", cell, True) for i, cell in enumerate(_arrow_cells(proto.arrow_data.data))]
    if kind == "markdown" and proto.element_type in (proto.CODE, proto.LATEX):
        return [("markdown (code/latex)", proto.body, False)]
    markdown = set(MARKDOWN_FIELDS.get(kind, ()))
    if kind in WIDGETS or kind == "link_button":
        markdown |= set(_WIDGET_MARKDOWN)
    for fd, value in proto.ListFields():
        if fd.type != fd.TYPE_STRING:
            continue
        repeated = fd.is_repeated if hasattr(fd, "is_repeated") else fd.label == fd.LABEL_REPEATED
        values = list(value) if repeated else [value]
        for v in values:
            out.append((f"{kind}.{fd.name}", v, fd.name in markdown))
    return out


def page_texts(session: Session) -> list[tuple[str, str, bool]]:
    out = []
    for path in sorted(session.page):
        out += [(f"{where} at {list(path)}", text, md) for where, text, md in texts(session.page[path])]
    return out


def run_async(coro):
    """`asyncio.run(coro)` in a thread of its own, for callers that may
    already have an event loop running in their thread (pytest after the
    browser tests: sync Playwright keeps one for the whole session, and
    asyncio.run refuses to start inside it)."""
    import threading

    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="run_async")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
