#!/usr/bin/env python3
"""Start and stop the real servers the tests and benchmarks use, on 127.0.0.1, in temp dirs.

    python scripts/servers.py start [postgres redis mongo] [--fsync] [--state FILE]
        starts the servers (all three by default), prints `export NAME=URL` lines
        (LEXIGRAM_TEST_PG_DSN, LEXIGRAM_TEST_REDIS_URL, LEXIGRAM_TEST_MONGO_URI) and records
        what to stop in FILE (default: .servers.json)
    python scripts/servers.py stop [--state FILE]

PostgreSQL uses the system binaries (/usr/lib/postgresql/<version>/bin), Redis the Debian
`redis-server`; when either is missing and this runs as root on Debian, it is installed with apt.
MongoDB cannot be installed here; the MongoDB wire-compatible server `secantusdb` (PyPI, in the
`dev` extra) stands in for it. Ports are random free ports; nothing listens beyond loopback.
The tests import this module (`tests/conftest.py`) and start what they need themselves.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENV_NAMES = {
    "postgres": "LEXIGRAM_TEST_PG_DSN",
    "redis": "LEXIGRAM_TEST_REDIS_URL",
    "mongo": "LEXIGRAM_TEST_MONGO_URI",
}


class ServerError(RuntimeError):
    """A server could not be installed or started."""


@dataclass
class Server:
    """A running server and what it takes to stop it."""

    name: str
    url: str
    directory: str
    pid: int | None = None
    stop_command: list[str] = field(default_factory=list)

    @property
    def env_name(self) -> str:
        """The environment variable that carries the server's URL."""
        return ENV_NAMES[self.name]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _is_root() -> bool:
    return os.geteuid() == 0


_apt_updated = False


def _apt_install(*packages: str) -> None:
    global _apt_updated
    if not (_is_root() and shutil.which("apt-get")):
        names = " ".join(packages)
        raise ServerError(f"{names} is not installed; install it (apt-get install {names})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        _apt_updated = True
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
        capture_output=True,
    )


def _wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerError(f"the server on port {port} exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise ServerError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ServerError(f"{' '.join(command)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


# --- PostgreSQL ------------------------------------------------------------------------------------


def _postgres_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        _apt_install("postgresql")
        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    preferred = [c for c in candidates if c.parts[-3] == "15"]
    chosen = preferred or candidates
    if not chosen:
        raise ServerError("PostgreSQL binaries not found under /usr/lib/postgresql")
    return chosen[-1].parent


def start_postgres(fsync: bool = False) -> Server:
    """Start a throwaway PostgreSQL cluster with a database `eventstore`."""
    pg_bin = _postgres_bin()
    directory = tempfile.mkdtemp(prefix="lexigram-pg-")
    port = _free_port()
    as_postgres: list[str] = []
    if _is_root():
        shutil.chown(directory, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = f"{directory}/data"
    _run(
        [
            *as_postgres,
            str(pg_bin / "initdb"),
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    durability = "" if fsync else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c max_connections=200{durability}"
    _run(
        [
            *as_postgres,
            str(pg_bin / "pg_ctl"),
            "-D",
            data,
            "-l",
            f"{directory}/server.log",
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        ]
    )
    _run(
        [
            *as_postgres,
            str(pg_bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "eventstore",
        ]
    )
    stop = [*as_postgres, str(pg_bin / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"]
    return Server(
        "postgres", f"postgresql://postgres@127.0.0.1:{port}/eventstore", directory, stop_command=stop
    )


# --- Redis -----------------------------------------------------------------------------------------


def start_redis() -> Server:
    """Start a Redis server with no persistence."""
    if shutil.which("redis-server") is None:
        _apt_install("redis-server")
    directory = tempfile.mkdtemp(prefix="lexigram-redis-")
    port = _free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            directory,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            f"{directory}/redis.log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for_port(port, 10, process)
    return Server("redis", f"redis://127.0.0.1:{port}/0", directory, pid=process.pid)


# --- MongoDB wire-compatible server ---------------------------------------------------------------


def start_mongo() -> Server:
    """Start secantusdb, a MongoDB wire-compatible server (there is no real mongod to install)."""
    search = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    executable = shutil.which("secantusd-py", path=search)
    if executable is None:
        raise ServerError("secantusd-py not found: pip install secantusdb (it comes with the dev extra)")
    directory = tempfile.mkdtemp(prefix="lexigram-mongo-")
    port = _free_port()
    with open(f"{directory}/server.log", "wb") as log:
        process = subprocess.Popen(
            [
                executable,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--storage-path",
                ":memory:",
                "--log-level",
                "WARNING",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _wait_for_port(port, 30, process)
    return Server("mongo", f"mongodb://127.0.0.1:{port}/?directConnection=true", directory, pid=process.pid)


STARTERS: dict[str, Callable[[], Server]] = {
    "postgres": start_postgres,
    "redis": start_redis,
    "mongo": start_mongo,
}


def _process_gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def stop(server: Server) -> None:
    """Stop a server and remove its directory."""
    if server.stop_command:
        with contextlib.suppress(ServerError):
            _run(server.stop_command)
    if server.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while not _process_gone(server.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(server.pid, os.WNOHANG)
            time.sleep(0.02)
        if not _process_gone(server.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGKILL)
    shutil.rmtree(server.directory, ignore_errors=True)


def start(names: list[str], fsync: bool = False) -> list[Server]:
    """Start the named servers; on a failure, stop those already started and re-raise."""
    started: list[Server] = []
    try:
        for name in names:
            started.append(start_postgres(fsync) if name == "postgres" else STARTERS[name]())
    except BaseException:
        for server in started:
            stop(server)
        raise
    return started


def main(argv: list[str] | None = None) -> int:
    """The command line: start or stop servers."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("servers", nargs="*", choices=[*STARTERS, []], default=[])
    parser.add_argument("--fsync", action="store_true", help="PostgreSQL with fsync on (benchmarks)")
    parser.add_argument("--state", default=".servers.json", help="where to record the running servers")
    args = parser.parse_args(argv)
    state = Path(args.state)
    if args.action == "stop":
        if state.exists():
            for record in json.loads(state.read_text()):
                stop(Server(**record))
            state.unlink()
        return 0
    try:
        servers = start(args.servers or list(STARTERS), args.fsync)
    except (ServerError, subprocess.CalledProcessError) as exc:
        print(f"servers: {exc}", file=sys.stderr)
        return 1
    state.write_text(json.dumps([asdict(s) for s in servers]))
    for server in servers:
        print(f"export {server.env_name}='{server.url}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
