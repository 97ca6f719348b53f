"""A throw-away PostgreSQL server for the store tests and the store benchmark.

``initdb`` makes a cluster in a temporary folder; ``pg_ctl`` starts it on a free loopback port with
password authentication (a random password for the superuser ``accord``) and its Unix socket in
that folder; :func:`stop` stops it and deletes the folder. PostgreSQL refuses to run as root, so
under root the cluster belongs to the ``postgres`` system user (``nobody`` when there is none).

Only the standard library is used, so ``.ci/run`` can call it with the system Python before the
project's virtual environment exists::

    python3 tests/pg_server.py start DIR      # prints the server's URL
    python3 tests/pg_server.py stop DIR

The URL names the maintenance database ``postgres``; tests make a database of their own on it.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

SUPERUSER = "accord"
#: Settings for a server that only tests use: nothing it holds must outlive a crash of the
#: machine, so it skips flushing to disk (a kill -9 of a client is unaffected).
FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@dataclass
class Server:
    """A running throw-away cluster (``info.json`` in its folder holds these fields)."""

    folder: str
    bindir: str
    port: int
    password: str
    owner: str

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/postgres"


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's newest
    ``/usr/lib/postgresql/<version>/bin``; None when the server is not installed."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.parent.name)) or (0,)

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _owner() -> pwd.struct_passwd | None:
    """The account the server runs as: ourselves, or under root a system user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as")


def _run(cmd: list[str], owner, log: Path | None = None, timeout: float = 120) -> None:
    kwargs: dict = {}
    if owner is not None:
        kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                          timeout=timeout, check=False, cwd="/", **kwargs)
    if done.returncode != 0:
        tail = done.stdout[-2000:]
        if log is not None and log.exists():
            tail += "\n" + log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{Path(cmd[0]).name} failed ({done.returncode}): {tail.strip()}")


def start(folder: str | Path | None = None, *, fast: bool = True) -> Server:
    """Make and start a cluster in ``folder`` (a new temporary folder by default).

    ``fast`` turns off flushing to disk (see :data:`FAST`); the benchmark passes False to
    measure a server as it is usually configured. Raises RuntimeError when it cannot.
    """
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed; "
                           "on Debian: apt-get install postgresql")
    base = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="accord-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    owner = _owner()
    password = secrets.token_hex(16)
    pwfile = base / "password"
    pwfile.write_text(password + "\n")
    os.chmod(base, 0o700)
    if owner is not None:
        for p in (base, pwfile):
            os.chown(p, owner.pw_uid, owner.pw_gid)
        try:
            _run(["test", "-r", str(pwfile)], owner)
        except RuntimeError:
            raise RuntimeError(f"{owner.pw_name}, the user PostgreSQL runs as, cannot reach {base}: "
                               "choose a folder whose parents others may enter (e.g. under /tmp)") from None
    data, log = base / "data", base / "server.log"
    _run([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
          "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], owner)
    pwfile.unlink()
    settings = ["listen_addresses=127.0.0.1", f"unix_socket_directories={base}", "max_connections=200"]
    settings += list(FAST) if fast else []
    last: Exception | None = None
    for _attempt in range(5):  # another program may take the free port before the server does
        port = _free_port()
        options = " ".join(f"-c {s}" for s in [*settings, f"port={port}"])
        try:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options,
                  "start"], owner, log)
        except RuntimeError as exc:
            last = exc
            continue
        server = Server(str(base), str(bindir), port, password, owner.pw_name if owner else "")
        (base / "info.json").write_text(json.dumps(asdict(server)))
        return server
    raise RuntimeError(f"the PostgreSQL server did not start: {last}")


def stop(folder: str | Path) -> None:
    """Stop the cluster in ``folder`` (if it runs) and delete the folder."""
    base = Path(folder)
    info = base / "info.json"
    if info.exists():
        server = Server(**json.loads(info.read_text()))
        owner = pwd.getpwnam(server.owner) if server.owner else None
        try:
            _run([str(Path(server.bindir) / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate", "-w",
                  "stop"], owner, timeout=60)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"warning: {exc}", file=sys.stderr)
    shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("folder")
    parser.add_argument("--durable", action="store_true", help="keep fsync on (the default is off)")
    args = parser.parse_args(argv)
    if args.action == "stop":
        stop(args.folder)
        return 0
    try:
        server = start(args.folder, fast=not args.durable)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"pg_server: {exc}", file=sys.stderr)
        return 1
    print(server.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
