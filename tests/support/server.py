"""A real ``causerie serve`` process on a free loopback port, with its own SQLite database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Settings for test servers: short grace periods, generous limits unless a test sets its own.
TEST_ENV = {
    "CAUSERIE_PRESENCE_GRACE_SECONDS": "0",
    "CAUSERIE_COUNTS_INTERVAL_SECONDS": "0.5",
    "CAUSERIE_LOG_LEVEL": "warning",
    "CAUSERIE_RATE_MESSAGE_BURST": "1000",
    "CAUSERIE_RATE_MESSAGE_PER_SECOND": "1000",
    "CAUSERIE_WS_FRAME_BURST": "100000",
    "CAUSERIE_WS_FRAMES_PER_SECOND": "100000",
    # flood control and progressive privileges (issue 5): off unless a test sets its own
    "CAUSERIE_REPEAT_MESSAGE_MAX": "0",
    "CAUSERIE_NEW_DMS_PER_ACCOUNT": "100000",
    "CAUSERIE_ROOM_JOINS_PER_ACCOUNT": "100000",
    "CAUSERIE_REPORT_BURST_PER_ACCOUNT": "100000",
    "CAUSERIE_PRIVILEGE_DM_STRANGERS_MINUTES": "0",
    "CAUSERIE_PRIVILEGE_LINKS_MINUTES": "0",
    "CAUSERIE_PRIVILEGE_ROOM_CREATION_MINUTES": "0",
}


class LiveServer:
    def __init__(
        self, folder: Path, env: dict[str, str] | None = None, port: int | None = None, database_url: str | None = None
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.db_path = folder / "causerie.db"
        self.database_url = database_url or f"sqlite:///{self.db_path}"
        self.env = {**TEST_ENV, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = folder / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, **env: str) -> None:
        self.env.update(env)
        full_env = {**os.environ, **self.env, "CAUSERIE_CONFIG": str(self.folder / "none.toml")}
        # the child keeps its own copy of the descriptor; ours is closed at once (no ResourceWarning)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "causerie",
                    "serve",
                    "--port",
                    str(self.port),
                    "--database",
                    self.database_url,
                ],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready in 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush — what a crash or power cut does to the process."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
