"""A private PostgreSQL cluster for tests and the demo (docs/hub.md, "PostgreSQL").

``initdb`` / ``pg_ctl`` from the Debian ``postgresql`` package, in a build folder, listening on a free
loopback port and a Unix socket inside the cluster folder.  PostgreSQL refuses to run as root: as root the
server runs as the system user ``cccd-pg`` (created once, idempotently) through ``runuser``; as any other
user it runs as that user.  Password authentication (SCRAM-SHA-256) with a random password kept in the
folder (mode 0600).  ``fsync`` stays on: the hub answers 2xx only for durable rows.

Command line (also ``scripts/pg-cluster.sh``)::

    python -m hub.pgcluster start build/pg    # prints the DSN
    python -m hub.pgcluster dsn build/pg
    python -m hub.pgcluster stop build/pg
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_USER = "cccd-pg"  # the system user the server runs as when we are root
DB_USER = "cccd"  # the cluster's superuser (a database role, not a system user)
STATE_FILE = "cluster.json"


class ClusterError(Exception):
    """The cluster could not be created, started or stopped (the message says why)."""


def _pg_bin(name: str) -> str:
    """``initdb``/``pg_ctl`` from PATH, else the newest /usr/lib/postgresql/<v>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise ClusterError(
            f"{name} not found: install the Debian package postgresql (scripts/ensure-system.sh)"
        )
    return candidates[-1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_system_user(name: str = PG_USER) -> None:
    """Create the system user the server runs as (idempotent; only needed when running as root)."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    done = subprocess.run(  # noqa: S603
        [  # noqa: S607
            "useradd",
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 9):  # 9: the user exists (another process created it meanwhile)
        raise ClusterError(f"cannot create the system user {name}: {done.stderr.strip()}")


def _searchable(path: Path) -> bool:
    """Every existing folder on the way to ``path`` lets others pass (the server user must)."""
    return all(not p.exists() or p.stat().st_mode & 0o001 for p in (path, *path.parents))


def reachable_home(directory: Path) -> Path:
    """``directory``, or — as root, when the server user could not reach it (a clone in root's 0700 home or
    in a ``mktemp -d`` folder) — a folder of its own in the system's temporary directory, named after
    ``directory`` so that the same checkout finds the same cluster again."""
    if os.geteuid() != 0 or _searchable(directory):
        return directory
    digest = hashlib.sha256(str(directory).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cccd-pg-{digest}"


@dataclass
class PgCluster:
    """One cluster in ``directory`` (``data/``, ``sock/``, ``log``, ``cluster.json``)."""

    directory: Path

    def __post_init__(self) -> None:
        self.directory = reachable_home(Path(self.directory).resolve())

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        return self.directory / "sock"

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"

    def _state(self) -> dict[str, object]:
        try:
            data: dict[str, object] = json.loads((self.directory / STATE_FILE).read_text())
            return data
        except (OSError, ValueError):
            raise ClusterError(f"no cluster at {self.directory} (run start first)") from None

    @property
    def port(self) -> int:
        return int(str(self._state()["port"]))

    def dsn(self, dbname: str = "postgres") -> str:
        st = self._state()
        return f"postgresql://{DB_USER}:{st['password']}@127.0.0.1:{st['port']}/{dbname}"

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", PG_USER, "--", *argv]

    def _run(self, argv: list[str], what: str) -> None:
        done = subprocess.run(self._as_server_user(argv), capture_output=True, text=True, timeout=120)  # noqa: S603
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ClusterError(f"{what} failed: {' / '.join(tail)}")

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(PG_USER)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def init(self) -> None:
        """Create the cluster once (idempotent)."""
        if (self.data / "PG_VERSION").exists():
            return
        if os.geteuid() == 0:
            ensure_system_user()
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o755)  # noqa: S103 (the server user must reach its data folder)
        for d in (self.data, self.socket_dir):
            d.mkdir(mode=0o700, exist_ok=True)
            self._chown(d)
        password = secrets.token_urlsafe(24)
        pwfile = self.directory / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        self._chown(pwfile)
        try:
            self._run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    DB_USER,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                "initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        state = {"port": _free_port(), "password": password}
        sf = self.directory / STATE_FILE
        fd = os.open(sf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(state, f)

    def running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        done = subprocess.run(  # noqa: S603
            self._as_server_user([_pg_bin("pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            text=True,
        )
        return done.returncode == 0

    def _options(self, port: int) -> str:
        return (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={self.socket_dir} "
            "-c max_connections=200 -c shared_buffers=64MB -c fsync=on -c synchronous_commit=on"
        )

    def _serving(self, action: str, port: int, *extra: str) -> list[str]:
        """``pg_ctl start|restart``: our log, server options and port; waits up to 60 s."""
        return [
            _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), *extra,
            "-w", "-t", "60", "-o", self._options(port), action,
        ]  # fmt: skip

    def _touch_log(self) -> None:
        if not self.log.exists():
            fd = os.open(self.log, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
            self._chown(self.log)

    def start(self) -> str:
        """Initialise if needed, start if not running; return the DSN of the ``postgres`` database."""
        self.init()
        self._touch_log()
        if not self.running():
            port = self.port
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:  # someone else took the port meanwhile
                    port = _free_port()
                    st = self._state()
                    st["port"] = port
                    (self.directory / STATE_FILE).write_text(json.dumps(st))
            self._run(self._serving("start", port), "pg_ctl start")
        return self.dsn()

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], "pg_ctl stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again on the same port (a PostgreSQL restart under load, for tests)."""
        self._run(self._serving("restart", self.port, "-m", mode), "pg_ctl restart")


def create_database(admin_dsn: str, name: str) -> str:
    """Create ``name`` when missing; return its DSN (same server and role)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.pgcluster", description="a private PostgreSQL cluster in a build folder"
    )
    parser.add_argument("action", choices=("start", "stop", "status", "dsn"))
    parser.add_argument("directory", type=Path, nargs="?", default=Path("build/pg"))
    parser.add_argument("--database", default="cccd_hub", help="database to create and print (start, dsn)")
    args = parser.parse_args(argv)
    cluster = PgCluster(args.directory)
    try:
        if args.action == "start":
            print(create_database(cluster.start(), args.database))
        elif args.action == "stop":
            cluster.stop()
        elif args.action == "status":
            running = cluster.running()
            print("running" if running else "stopped")
            return 0 if running else 3
        else:
            print(cluster.dsn(args.database))
    except ClusterError as exc:
        print(f"pg-cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
