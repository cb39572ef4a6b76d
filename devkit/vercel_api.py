"""An offline stand-in for the few Vercel REST API calls `vercel dev` makes, so it runs with no login.

`vercel dev --api http://127.0.0.1:<port> --token <any>` asks for the user (`GET /v2/user`), the
linked project (`GET /v9/projects/:id`) and its development environment (`GET /v3/env/pull/:id`);
this server answers those three from local values and 404s the rest (and records every call).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USER_ID = "user_offline"  # also the project's orgId: a personal account, so no team look-ups
PROJECT_ID = "prj_offline"


def _answers(path: str, env: dict[str, str]) -> tuple[int, Any]:
    if path == "/v2/user":
        user = {"id": USER_ID, "uid": USER_ID, "username": "offline", "email": "dev@launchpad.local"}
        return 200, {"user": {**user, "name": "Offline developer", "defaultTeamId": None}}
    if path == f"/v9/projects/{PROJECT_ID}":
        settings = dict.fromkeys(
            ("framework", "devCommand", "installCommand", "buildCommand", "outputDirectory", "rootDirectory")
        )
        return 200, {"id": PROJECT_ID, "name": "launchpad-api", "accountId": USER_ID, "env": [], **settings}
    if path == f"/v3/env/pull/{PROJECT_ID}":
        return 200, {"env": env}
    return 404, {"error": {"code": "not_found", "message": f"offline stub has no {path}"}}


class VercelApiStub:
    """The stub on a loopback port, in a daemon thread; `calls` lists every `METHOD path` received."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.calls: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                stub.calls.append(f"{self.command} {self.path}")
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                status, body = _answers(self.path.split("?", 1)[0], stub.env)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # `calls` is the record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
