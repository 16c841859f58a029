"""Several replicas of the app behind nginx, on one machine, from this
checkout: what deploy/compose.yaml does with containers, without Docker.

    python deploy/run_replicas.py                      # 2 replicas on :8600 until Ctrl-C
    python deploy/run_replicas.py --replicas 3 --port 8080
    python deploy/run_replicas.py --test               # check routing, websocket and cache, then stop
    python deploy/run_replicas.py --load "--sessions 30 --seconds 120"   # benchmarks/load.py through nginx
    python deploy/run_replicas.py --class-store redis://127.0.0.1:6379/0 --class-load "--students 60 --seconds 60"

Each replica is `streamlit run app.py` on its own port with the same
OPTVIZ_JAX_CACHE_DIR (one compilation cache for all); nginx runs
deploy/nginx.conf with its two marked parts rewritten (the port it listens
on, the replicas' addresses), plus a header naming the replica that
answered, which `--test` reads. Needs Debian's nginx (`apt-get install
nginx`); runs as any user (nginx's files go to a temporary folder).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from stclient import LocalServer, Session, free_port  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(listen: int, ports: list[int], prefix: Path) -> str:
    """deploy/nginx.conf for this machine: local replicas, a temporary prefix."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in ports)
    text = re.sub(r"(# replicas: begin\n).*?(\s*# replicas: end)", lambda m: m.group(1) + servers + m.group(2).lstrip("\n"),
                  text, flags=re.S)
    text = re.sub(r"(# listen: begin\n).*?(\s*# listen: end)",
                  lambda m: m.group(1) + f"        listen 127.0.0.1:{listen};\n" + m.group(2).lstrip("\n"), text, flags=re.S)
    temp = "".join(f"    {name}_temp_path {prefix}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {\n", "http {\n" + temp, 1)
    text = text.replace("add_header Set-Cookie $optviz_set_cookie;",
                        "add_header Set-Cookie $optviz_set_cookie;\n            add_header X-Optviz-Replica $upstream_addr always;")
    return f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n" + text


class Replicas:
    """`count` replicas behind nginx on `port`; `class_store` (a redis://
    URL) is the live classes' store they share (without one each keeps its
    own SQLite file, and a class lives on one replica only)."""

    def __init__(self, count: int, port: int, cache_dir: str | None, class_store: str | None = None):
        self.prefix = Path(tempfile.mkdtemp(prefix="optviz-nginx-"))
        self.cache_dir = cache_dir or str(self.prefix / "jax-cache")
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"
        env = {"OPTVIZ_JAX_CACHE_DIR": self.cache_dir, "OPTVIZ_CLASS_STORE": class_store or ""}
        self.servers = [LocalServer(env={**env, "OPTVIZ_DATA_DIR": str(self.prefix / f"data-{i + 1}")},
                                    log_path=self.prefix / f"replica-{i + 1}.log") for i in range(count)]
        self.nginx = None

    def start(self) -> Replicas:
        for server in self.servers:  # one after the other: each warm-up takes the machine
            server.start()
            print(f"replica {server.url} pid {server.pid}, healthy after {server.healthy_after:.1f} s", flush=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(nginx_config(self.port, [s.port for s in self.servers], self.prefix))
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=open(self.prefix / "nginx.out", "wb"))
        for _ in range(100):
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        print(f"nginx {self.url} (config {conf})", flush=True)
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer: " + (self.prefix / "nginx.out").read_text()[-2000:])

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.servers]

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for server in self.servers:
            server.stop()


def replica_of(url: str, cookies: dict) -> tuple[str, dict]:
    """Which replica answers a GET of the page for a browser with `cookies`."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    conn.request("GET", "/", headers=headers)
    response = conn.getresponse()
    response.read()
    set_cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        set_cookies[name.strip()] = rest.split(";", 1)[0]
    conn.close()
    return response.headers.get("X-Optviz-Replica", ""), set_cookies


def test(replicas: Replicas) -> list[str]:
    problems = []
    # 1. Sticky: a browser keeps its replica; a class is spread over all.
    seen, cookie_of = {}, {}
    for _ in range(24):
        first, cookies = replica_of(replicas.url, {})
        if "optviz_route" not in cookies:
            problems.append("no optviz_route cookie on a first visit")
            break
        again = {replica_of(replicas.url, cookies)[0] for _ in range(4)}
        if again != {first}:
            problems.append(f"a browser moved between replicas: {first} then {again}")
        seen[first] = seen.get(first, 0) + 1
        cookie_of.setdefault(first, cookies)
    print(f"24 new browsers over the replicas: {seen}", flush=True)
    if len(seen) < len(replicas.servers):
        problems.append(f"only {len(seen)} of {len(replicas.servers)} replicas got visitors")

    # 2. The websocket through nginx, on each replica: a page, a slider move,
    # and the same new formula typed, which the first replica compiles and
    # the others find in the shared compilation cache (no new files).
    formula = "x^2 + 7.5*y^2 + sin(3*x)*cos(y)"

    def cache_files():
        return len(list(Path(replicas.cache_dir).glob("*"))) if os.path.isdir(replicas.cache_dir) else 0

    async def visit(cookies):
        s = Session(replicas.url, "")
        s.cookies.update(cookies)
        first = await s.open()
        options = s.options("run.lr")
        moved = await s.set_widget("run.lr", options[len(options) // 2])
        await s.set_widget("surface", next(o for o in s.options("surface") if "formula" in o.lower()))
        typed = await s.set_widget("f", formula)
        await s.close()
        return first, moved, typed

    written = []
    for replica, cookies in sorted(cookie_of.items()):
        before = cache_files()
        results = asyncio.run(visit(cookies))
        written.append(cache_files() - before)
        for name, result in zip(("first page", "slider move", "new formula"), results, strict=True):
            if not result.ok:
                problems.append(f"through nginx to {replica}, the {name} failed: {result.status} {result.exceptions}")
        print(f"through nginx to {replica}: first page {1000 * results[0].seconds:.0f} ms, slider move "
              f"{1000 * results[1].seconds:.0f} ms, the formula {1000 * results[2].seconds:.0f} ms; "
              f"{written[-1]} new files in the shared cache", flush=True)
    print(f"shared compilation cache {replicas.cache_dir}: {cache_files()} files", flush=True)
    if not written or written[0] == 0:
        problems.append("the first replica wrote nothing to the shared compilation cache")
    elif any(w >= written[0] for w in written[1:]):
        problems.append(f"the other replicas compiled the formula again instead of reading the cache: {written}")
    for server in replicas.servers:
        if not server.alive():
            problems.append(f"replica {server.url} died")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=None, help="where nginx listens (default: 8600, or free with --test)")
    parser.add_argument("--cache-dir", default=None, help="the replicas' shared OPTVIZ_JAX_CACHE_DIR")
    parser.add_argument("--test", action="store_true", help="check routing, websocket and cache, then stop")
    parser.add_argument("--load", default=None, help="arguments for benchmarks/load.py, run through nginx")
    parser.add_argument("--class-store", default=None,
                        help="the replicas' shared live-class store, redis://host:port/db (docs/deploying.md)")
    parser.add_argument("--class-load", default=None,
                        help="arguments for benchmarks/class_load.py, run through nginx (needs --class-store)")
    args = parser.parse_args(argv)
    port = args.port or (free_port() if (args.test or args.load or args.class_load) else 8600)
    replicas = Replicas(args.replicas, port, args.cache_dir, args.class_store)
    code = 0
    try:
        replicas.start()
        if args.test:
            problems = test(replicas)
            print("replicas:", "OK" if not problems else "PROBLEMS: " + "; ".join(problems), flush=True)
            code = 1 if problems else 0
        if args.load is not None:
            pids = [arg for pid in replicas.pids for arg in ("--server-pid", str(pid))]
            code = subprocess.call([sys.executable, str(ROOT / "benchmarks" / "load.py"), "--url", replicas.url, *pids,
                                    *shlex.split(args.load)]) or code
        if args.class_load is not None:
            pids = [arg for pid in replicas.pids for arg in ("--server-pid", str(pid))]
            code = subprocess.call([sys.executable, str(ROOT / "benchmarks" / "class_load.py"), "--url", replicas.url,
                                    *pids, *shlex.split(args.class_load)]) or code
        if not args.test and args.load is None and args.class_load is None:
            print("serving; Ctrl-C stops nginx and the replicas", flush=True)
            while all(s.alive() for s in replicas.servers):
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        replicas.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
