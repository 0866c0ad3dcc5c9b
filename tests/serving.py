"""Loopback servers for tests: a free port, and an ASGI app served by uvicorn in a thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(app, start_timeout: float = 60, client_timeout: float = 120):
    """Run `app` on 127.0.0.1 until the block ends; yields an httpx client for it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + start_timeout
    while not server.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}", timeout=client_timeout) as c:
            yield c
    finally:
        server.should_exit = True
        thread.join(10)
