"""One request through a built function's trampoline, in a fresh task root with no site-packages."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.bundle_functions import Function

SMOKE_PROBE = """
import base64, json, sys
import vc__handler__python as entry  # the trampoline Lambda imports from the task root (cwd)
request = json.loads(sys.argv[1])
result = entry.vc_handler({"body": json.dumps(request)}, None)
outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and "site-packages" in module.__file__
)
print("RESULT " + json.dumps({
    "status": result["statusCode"], "headers": result["headers"],
    "body": base64.b64decode(result["body"]).decode() if result.get("encoding") == "base64"
    else result["body"],
    "encoding": result.get("encoding"),
    "starlette": sys.modules["starlette"].__file__, "from_site_packages": outside,
}))
"""


def deployment_settings() -> dict[str, str]:
    """What a deployment's environment holds: outside `make dev` and the tests a function without its
    signing key, mail and storage settings stops at import (none is contacted by the smoke request)."""
    return {
        "VERCEL_ENV": "preview",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "EMAIL_URL": "smtp://mail.invalid:587",
        "EMAIL_FROM": "Launchpad <no-reply@launchpad.test>",
        "STORAGE_URL": "s3://launchpad-smoke?region=eu-west-1",
        "STORAGE_ACCESS_KEY_ID": "smoke-access-key",
        "STORAGE_SECRET_ACCESS_KEY": secrets.token_urlsafe(32),
    }


def smoke(project: Path, function: Function) -> list[str]:
    """Copy one function's files into a fresh task root and send it a request through its trampoline."""
    with tempfile.TemporaryDirectory(prefix="vercel-task-") as task:
        root = Path(task)
        for bundle_path, source in function.files.items():
            (root / bundle_path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / bundle_path)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LAMBDA_TASK_ROOT": task, **deployment_settings()}
        env.update(function.config.get("environment", {}))
        request = {
            "method": "GET",
            "path": "/api/openapi.json",
            "headers": {"host": "launchpad.test"},
            "body": "",
        }
        # -S -s: no site-packages at all (neither the venv's nor the user's): only the bundle and stdlib.
        run = subprocess.run(
            [sys.executable, "-S", "-s", "-c", SMOKE_PROBE, json.dumps(request)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        if run.returncode != 0 or not lines:
            return [f"smoke request through {function.name}.func failed: {run.stderr[-3000:]}"]
        result = json.loads(lines[0].removeprefix("RESULT "))
        problems = []
        if result["status"] != 200:
            problems.append(
                f"smoke: GET /api/openapi.json answered {result['status']}: {result['body'][:500]}"
            )
        else:
            document = json.loads(result["body"])
            rewrites = json.loads((project / "vercel.json").read_text()).get("rewrites", [])
            expected = {"/api/health"} | {
                r["source"].removesuffix("/:path*") for r in rewrites if r["destination"] != "/api/openapi"
            }
            missing = sorted(
                p for p in expected if not any(route.startswith(p) for route in document["paths"])
            )
            if missing:
                problems.append(f"smoke: the OpenAPI document lacks {missing}")
        if not result["starlette"].startswith(str(root / "_vendor")):
            problems.append(f"smoke: starlette came from {result['starlette']}, not the bundle")
        if result["from_site_packages"]:
            problems.append(
                f"smoke: modules loaded from a site-packages: {result['from_site_packages'][:10]}"
            )
        paths = len(json.loads(result["body"]).get("paths", {})) if result["status"] == 200 else 0
        print(
            f"smoke: GET /api/openapi.json through {function.name}.func's vc__handler__python, with the "
            f"bundle's vercel_runtime under python -S (no site-packages): {result['status']}, {paths} paths "
            f"(body encoding {result['encoding']}), x-request-id {result['headers'].get('x-request-id')}"
        )
        if not result["headers"].get("x-request-id"):
            problems.append("smoke: no x-request-id header")
        return problems
