"""Several replicas of the app behind nginx, on loopback: for the tests and to try it out.

    python -m cnn_demo.replicas --replicas 2        # prints the address, runs until Ctrl-C

The nginx configuration is `deploy/nginx.conf`, with its listening port and its upstream
servers rewritten to the free ports the replicas got. Each replica shows "Served by
replica a" (b, c, ...) at the foot of its page, from CNN_DEMO_REPLICA.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from cnn_demo.browser import free_port, stop, streamlit_server, wait_until_healthy
from cnn_demo.paths import ROOT

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = "nginx"
NGINX_START_TIMEOUT = 20


def nginx_path() -> str | None:
    return shutil.which(NGINX) or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def configured(listen: int, upstreams: list[int], conf: str | None = None) -> str:
    """deploy/nginx.conf listening on `listen` and balancing over the given local ports."""
    conf = conf or NGINX_CONF.read_text()
    servers = "".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in upstreams)
    conf = re.sub(r"(?m)^        server 127\.0\.0\.1:\d+ [^\n]*\n", "", conf)
    conf = conf.replace("        hash $replica_key consistent;\n",
                        "        hash $replica_key consistent;\n" + servers)
    return re.sub(r"listen \d+;", f"listen 127.0.0.1:{listen};", conf)


@contextmanager
def nginx(listen: int, upstreams: list[int]) -> Iterator[subprocess.Popen]:
    """nginx in the foreground with a prefix of its own in a temporary folder."""
    binary = nginx_path()
    if binary is None:
        raise RuntimeError("no nginx found (apt-get install nginx)")
    with tempfile.TemporaryDirectory(prefix="cnn-demo-nginx-") as prefix:
        for sub in ("logs", "temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
            (Path(prefix) / sub).mkdir(parents=True)
            (Path(prefix) / sub).chmod(0o777)  # workers run as an unprivileged user when started as root
        Path(prefix, "nginx.conf").write_text(configured(listen, upstreams))
        process = subprocess.Popen([binary, "-p", prefix, "-c", "nginx.conf", "-g", "daemon off;"])
        try:
            if not wait_until_healthy(f"http://127.0.0.1:{listen}", process, NGINX_START_TIMEOUT):
                error_log = Path(prefix, "logs", "error.log")
                log = error_log.read_text() if error_log.exists() else ""
                raise RuntimeError(f"nginx did not start: {log}")
            yield process
        finally:
            stop(process)


@contextmanager
def replicas_behind_nginx(count: int = 2) -> Iterator[tuple[str, dict[str, subprocess.Popen]]]:
    """`count` app replicas ("a", "b", ...) and nginx before them; yields (nginx's url, {name: process})."""
    with ExitStack() as stack:
        servers = {}
        ports = []
        for i in range(count):
            name = chr(ord("a") + i)
            url, process = stack.enter_context(streamlit_server(env={"CNN_DEMO_REPLICA": name}))
            servers[name] = process
            ports.append(int(url.rsplit(":", 1)[1]))
        listen = free_port()
        stack.enter_context(nginx(listen, ports))
        yield f"http://127.0.0.1:{listen}", servers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args(argv)
    with replicas_behind_nginx(args.replicas) as (url, servers):
        print(f"{len(servers)} replicas behind nginx: {url}  (Ctrl-C stops them)", flush=True)
        try:
            while all(p.poll() is None for p in servers.values()):
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
