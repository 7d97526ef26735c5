"""Run an ASGI app on a real loopback socket with uvicorn, in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve(app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Iterator[str]:
    """Yield the base URL while the app is served; port 0 picks a free one."""
    # A pooled connection closed by the server's idle timeout just as the suite reuses it reads
    # as a dropped answer; the suite may pause for seconds between tests on a loaded machine.
    options.setdefault("timeout_keep_alive", 60)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="reference-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the reference server did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()
    scheme = "https" if options.get("ssl_certfile") else "http"
    try:
        yield f"{scheme}://{host}:{bound[1]}"
    finally:
        # Every exchange is over by now: no need to wait, tick by tick, for connections to close.
        server.should_exit = server.force_exit = True
        thread.join(timeout=5)
