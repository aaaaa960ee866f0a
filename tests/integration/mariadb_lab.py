"""Throw-away mariadbd instances on 127.0.0.1 for fast integration tests.

Each instance has its own port, datadir, socket and server_id, runs with the
binary log on (so any instance can be a source) and listens on loopback only.
A pristine datadir is initialised once per test session and copied, which
keeps starting three servers to about a second.

By default the host's own MariaDB binaries run the instances. With
REPLKIT_MARIADB_IMAGE set to a lab node image (replkit-node:trixie-mariadb for
11.8), each instance runs that image's mariadbd in a container on the host's
network namespace instead, so the same tests run against another MariaDB
version and instances still reach each other on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

ADMIN_USER = "replkit_admin"
# Quotes, backslash and semicolon on purpose: every module must survive them.
ADMIN_PASSWORD = "adm'in\"pa\\ss;word"
START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _container_prefix(name: str, basedir: Path, shared: tuple[Path, ...] = ()) -> list[str]:
    """The command prefix that runs a MariaDB binary of REPLKIT_MARIADB_IMAGE, or nothing.

    ``shared``: more host directories the server reads (TLS files a test made), at the same path inside.
    """
    image = os.environ.get("REPLKIT_MARIADB_IMAGE")
    if not image:
        return []
    # Same path inside and out, host network: the instance looks exactly like a local one.
    volumes = ["--volume", f"{basedir}:{basedir}"]
    for path in shared:
        volumes += ["--volume", f"{path}:{path}:ro"]
    return ["docker", "run", "--rm", "--name", name, "--network", "host", *volumes, image]


def _find_binary(*names: str) -> str:
    if os.environ.get("REPLKIT_MARIADB_IMAGE"):
        return names[0]  # resolved inside the image
    for name in names:
        for directory in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
            candidate = Path(directory) / name
            if candidate.exists():
                return str(candidate)
    raise RuntimeError(
        f"none of {names} is installed: run 'make setup' (it installs Debian's mariadb-server)"
    )


@dataclass
class MariaDBInstance:
    """One running mariadbd; connect() gives an admin connection over TCP."""

    name: str
    server_id: int
    port: int
    basedir: Path
    process: subprocess.Popen | None = None
    extra_options: list[str] = field(default_factory=list)
    shared_dirs: tuple[Path, ...] = ()

    host = "127.0.0.1"

    @property
    def datadir(self) -> Path:
        return self.basedir / "data"

    @property
    def socket(self) -> Path:
        return self.basedir / "mysqld.sock"

    @property
    def log(self) -> Path:
        return self.basedir / "error.log"

    def login_args(self) -> dict:
        """Module arguments that log in to this instance as the admin user."""
        return {
            "login_host": self.host,
            "login_port": self.port,
            "login_user": ADMIN_USER,
            "login_password": ADMIN_PASSWORD,
        }

    def connect(self, **kwargs) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=self.host, port=self.port, user=ADMIN_USER, password=ADMIN_PASSWORD,
            autocommit=True, cursorclass=pymysql.cursors.DictCursor, **kwargs,
        )

    def query(self, sql: str, params=None) -> list[dict]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def run_unlogged(self, *statements: str) -> None:
        """Run statements in one session without writing them to the binary log (sql_log_bin = 0): set-up or a
        planted difference that must stay on this server alone."""
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_log_bin = 0")
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def scalar(self, sql: str, params=None):
        rows = self.query(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def start(self) -> None:
        mariadbd = _find_binary("mariadbd", "mysqld")
        args = [
            mariadbd, "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
            f"--port={self.port}", "--bind-address=127.0.0.1", f"--server-id={self.server_id}",
            f"--log-bin={self.basedir}/binlog/{self.name}-bin", f"--relay-log={self.name}-relay-bin",
            "--log-slave-updates", "--binlog-format=ROW", "--skip-name-resolve",
            f"--pid-file={self.basedir}/mysqld.pid", f"--log-error={self.log}",
            "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--performance-schema=OFF",
            "--user=root", *self.extra_options,
        ]
        (self.basedir / "binlog").mkdir(exist_ok=True)
        args = _container_prefix(self.container_name, self.basedir, self.shared_dirs) + args
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                self.connect().close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not accept connections within {START_TIMEOUT} s")

    @property
    def container_name(self) -> str:
        return f"replkit-fixture-{os.getpid()}-{self.basedir.name}-{self.port}"

    def kill(self) -> None:
        """SIGKILL the server (a crash): in a container, the container's mariadbd, not the docker client."""
        if os.environ.get("REPLKIT_MARIADB_IMAGE"):
            subprocess.run(["docker", "kill", "--signal", "KILL", self.container_name], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            self.process.kill()
        self.process.wait(timeout=60)
        self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                if os.environ.get("REPLKIT_MARIADB_IMAGE"):
                    subprocess.run(["docker", "rm", "-f", self.container_name], check=False,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.process = None


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def connection_status(server: MariaDBInstance, name: str) -> dict | None:
    """The SHOW ALL SLAVES STATUS row of connection ``name`` (case-insensitive), or None."""
    rows = [row for row in server.query("SHOW ALL SLAVES STATUS") if row["Connection_name"].lower() == name.lower()]
    return rows[0] if rows else None


def connection_running(server: MariaDBInstance, name: str) -> bool:
    row = connection_status(server, name)
    return row is not None and row["Slave_IO_Running"] == "Yes" and row["Slave_SQL_Running"] == "Yes"


def init_template(path: Path) -> Path:
    """Initialise one pristine datadir with the admin account; copies of it seed instances."""
    install_db = _find_binary("mariadb-install-db", "mysql_install_db")
    datadir = path / "data"
    install = [install_db, "--no-defaults", f"--datadir={datadir}", "--user=root", "--skip-test-db",
               "--auth-root-authentication-method=normal"]
    subprocess.run(_container_prefix(f"replkit-fixture-{os.getpid()}-install", path) + install,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Boot once with an init file to create the admin account, then shut down.
    bootstrap = MariaDBInstance("template", 1, _free_port(), path)
    init_file = path / "init.sql"
    init_file.write_text(
        "CREATE USER '{u}'@'127.0.0.1' IDENTIFIED BY '{p}';\n"
        "GRANT ALL PRIVILEGES ON *.* TO '{u}'@'127.0.0.1' WITH GRANT OPTION;\n".format(
            u=ADMIN_USER, p=ADMIN_PASSWORD.replace("\\", "\\\\").replace("'", "\\'"))
    )
    bootstrap.extra_options = [f"--init-file={init_file}"]
    bootstrap.start()
    bootstrap.query("RESET MASTER")
    bootstrap.stop()
    init_file.unlink()
    shutil.rmtree(path / "binlog")
    return datadir


class MariaDBLab:
    """Starts and stops groups of instances from one template datadir."""

    def __init__(self, root: Path, template: Path):
        self.root = root
        self.template = template
        self.instances: list[MariaDBInstance] = []
        self._next_id = 1

    def start(self, count: int, extra_options: list[str] | None = None,
              shared_dirs: tuple[Path, ...] = ()) -> list[MariaDBInstance]:
        """Start ``count`` instances; ``shared_dirs`` are host directories their options name (TLS files)."""
        started = []
        for _index in range(count):
            server_id = self._next_id
            self._next_id += 1
            basedir = self.root / f"db{server_id}"
            basedir.mkdir()
            shutil.copytree(self.template, basedir / "data")
            instance = MariaDBInstance(f"db{server_id}", server_id, _free_port(), basedir,
                                       extra_options=list(extra_options or []), shared_dirs=tuple(shared_dirs))
            self.instances.append(instance)
            instance.start()
            started.append(instance)
        return started

    def stop_all(self) -> None:
        for instance in self.instances:
            instance.stop()
        self.instances.clear()


def wire_planned_connections(servers, plan, run_module, wait=True):
    """Create and start each server's first planned connection with mariadb_change_master (the admin account).

    ``servers`` maps the plan's host names to instances; ``run_module`` is the conftest fixture. With ``wait``,
    returns once every connection runs.
    """
    for host, server in servers.items():
        connection = plan[host]["connections"][0]
        source = servers[connection["source"]]
        result = run_module("mariadb_change_master", dict(
            server.login_args(), connection_name=connection["name"], primary_host=source.host,
            primary_port=source.port, primary_user=ADMIN_USER, primary_password=ADMIN_PASSWORD,
            primary_use_gtid=connection["primary_use_gtid"], primary_connect_retry=1, state="started"))
        assert not result["failed"], result
    if wait:
        for host, server in servers.items():
            assert wait_for(lambda s=server, n=plan[host]["connections"][0]["name"]: connection_running(s, n))
