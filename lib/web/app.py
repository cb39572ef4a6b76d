"""create_app(endpoints): a function's ASGI app, and `handler` for AWS Lambda built on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from lib import startup
from lib.core.config import get_settings
from lib.web.endpoints import Endpoint
from lib.web.request_context import RequestContextMiddleware
from lib.web.runner import route


class FunctionApp(Starlette):
    """Starlette whose whole stack sits inside the request context, the one place errors are answered.

    Starlette's own outer layers (its plain-text 500 page, its exception handlers) are left out:
    every exception travels to `RequestContextMiddleware` unchanged.
    """

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return RequestContextMiddleware(app)


def create_app(endpoints: list[Endpoint]) -> FunctionApp:
    """The ASGI app of one function: its route table plus shared middleware and error handling."""
    settings = get_settings()
    middleware = []
    if settings.frontend_url:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=[o.strip() for o in settings.frontend_url.split(",")],
                allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["x-request-id", "Retry-After"],
                max_age=600,
            )
        )
    app = FunctionApp(routes=[route(endpoint) for endpoint in endpoints], middleware=middleware)
    app.state.endpoints = endpoints
    startup.loaded()  # the function's modules are in: collection resumes (lib/startup.py)
    return app


def lambda_handler(app: Starlette) -> Callable[[str], Any]:
    """A module `__getattr__` that builds `handler` (Mangum, for AWS Lambda) on first access.

    Vercel runs `app` and never touches `handler`, so its cold start never imports Mangum;
    AWS Lambda resolves `module.handler` through this hook.
    """
    built: dict[str, Any] = {}

    def module_getattr(name: str) -> Any:
        if name != "handler":
            raise AttributeError(name)
        if "handler" not in built:
            from mangum import Mangum  # late: Vercel never builds `handler` (6 ms of import saved)

            built["handler"] = Mangum(app, lifespan="off")
        return built["handler"]

    return module_getattr
