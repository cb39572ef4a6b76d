"""docs/API.md against what the code serves, both ways; and no tracked file points outside the repository.

docs/API.md gives each endpoint a heading `### METHOD /api/path` followed by fact lines
(`- **Auth:** `mode``, `- **Success:** `status` `Model``, `- **Errors:** `4xx`…`) and, where it
has them, a query table (first column `parameter`) and a body table (first column `field`).
`### GET /api/admin/stats/{report}` stands for one path per row of its `report` table. Each
`### Name` under `## Objects` is a response model with a `field` table. The truth is the
OpenAPI document (`api.openapi.document`, built from every function's route table without a
database) and, for the auth mode, the route rows themselves.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_MD = ROOT / "docs" / "API.md"

ENDPOINT_HEADING = re.compile(r"^### (GET|POST|PATCH|DELETE) (/api/\S+)$")
TEMPLATE = "{report}"
TICKED = re.compile(r"`([^`]+)`")
MODEL = re.compile(r"^[A-Z]\w*(?:\[[A-Z]\w*\])?$")  # `ProjectOut`, `Page[ProjectOut]`, `Report[Row]`
# The `security` of an operation for each auth mode (lib/web/openapi.py writes it from the row).
SECURITY = {
    "public": [],
    "optional": [{}, {"bearerAuth": []}],
    "user": [{"bearerAuth": []}],
    "admin": [{"bearerAuth": []}],
    "cron": [{"cronSecret": []}],
}

Key = tuple[str, str]  # (METHOD, OpenAPI path)


@dataclass
class Documented:
    """What docs/API.md says about one operation."""

    heading: str
    auth: str | None
    status: str | None
    model: str | None
    errors: set[str]
    query: set[str] | None  # None: the section has no query table
    body: dict[str, bool] | None  # field -> required; None: no body table
    group: str = ""  # the heading this operation came from (one per row of a template)


@dataclass
class Section:
    heading: str
    lines: list[str] = field(default_factory=list)

    def fact(self, name: str) -> str | None:
        prefix = f"- **{name}:**"
        return next((line[len(prefix) :] for line in self.lines if line.strip().startswith(prefix)), None)

    def table(self, first_column: str) -> list[list[str]] | None:
        """The rows (cells) of the table whose header starts with `first_column`, or None."""
        rows: list[list[str]] | None = None
        for raw in self.lines:
            line = raw.strip()
            if not line.startswith("|"):
                if rows is not None:
                    return rows
                continue
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if rows is None:
                if cells[0] == first_column:
                    rows = []
            elif not set(cells[0]) <= {"-", ":"}:
                rows.append(cells)
        return rows


def _sections(text: str) -> list[Section]:
    sections: list[Section] = []
    for line in text.splitlines():
        if line.startswith("## ") or line.startswith("### "):
            sections.append(Section(line))
        elif sections:
            sections[-1].lines.append(line)
    return sections


def _ticked(cell: str) -> list[str]:
    return TICKED.findall(cell)


def _model(line: str | None) -> str | None:
    return next((name for name in _ticked(line or "") if MODEL.match(name)), None)


def _four_hundreds(line: str | None) -> set[str]:
    return {code for code in _ticked(line or "") if re.fullmatch(r"4\d\d", code)}


def _query(section: Section) -> set[str] | None:
    rows = section.table("parameter")
    return None if rows is None else {name for row in rows for name in _ticked(row[0])}


def _body(section: Section) -> dict[str, bool] | None:
    rows = section.table("field")
    if rows is None:
        return None
    return {name: row[2].lower() == "yes" for row in rows for name in _ticked(row[0])}


def documented_operations(text: str) -> dict[Key, Documented]:
    operations: dict[Key, Documented] = {}
    for section in _sections(text):
        match = ENDPOINT_HEADING.match(section.heading)
        if not match:
            continue
        method, path = match.groups()
        status_line = section.fact("Success")
        status = next((code for code in _ticked(status_line or "") if re.fullmatch(r"\d{3}", code)), None)
        auth_line = section.fact("Auth")
        auth = _ticked(auth_line)[0] if auth_line and _ticked(auth_line) else None
        common = {
            "heading": section.heading,
            "auth": auth,
            "status": status,
            "errors": _four_hundreds(section.fact("Errors")),
            "body": _body(section),
            "group": section.heading,
        }
        if TEMPLATE not in path:
            key = (method, path)
            assert key not in operations, f"{section.heading} appears twice in docs/API.md"
            operations[key] = Documented(model=_model(status_line), query=_query(section), **common)
            continue
        # One heading for a family of paths: each row of its `report` table is one of them,
        # with its own parameters (second column) and row model (third column).
        rows = section.table("report")
        assert rows, f"{section.heading}: no `report` table to expand {TEMPLATE} from"
        for row in rows:
            (name,) = _ticked(row[0])
            parameters = {p for p in _ticked(row[1]) if re.fullmatch(r"[a-z_]+", p)}
            row_model = _model(row[2])
            key = (method, path.replace(TEMPLATE, name))
            assert key not in operations, f"{key} appears twice in docs/API.md"
            operations[key] = Documented(
                model=f"Report[{row_model}]" if row_model else None, query=parameters, **common
            )
    return operations


def documented_objects(text: str) -> dict[str, set[str]]:
    """Each `### Name` under `## Objects`, with the fields of its table."""
    objects: dict[str, set[str]] = {}
    inside = False
    for section in _sections(text):
        if section.heading.startswith("## "):
            inside = section.heading == "## Objects"
            continue
        if inside:
            rows = section.table("field")
            assert rows is not None, f"{section.heading}: an object needs a `| field |` table"
            objects[section.heading[4:].strip()] = {name for row in rows for name in _ticked(row[0])}
    return objects


@cache
def spec() -> dict[str, Any]:
    from api.openapi import document

    return json.loads(document())


@cache
def route_auth() -> dict[Key, str]:
    """The auth mode of every route row, keyed like the OpenAPI document."""
    from api.openapi import all_endpoints
    from lib.web.openapi import openapi_path

    return {(e.method, openapi_path(e.path)): e.auth for e in all_endpoints()}


def served() -> dict[Key, dict[str, Any]]:
    return {(m.upper(), path): op for path, ops in spec()["paths"].items() for m, op in ops.items()}


@pytest.fixture(scope="module")
def docs() -> dict[Key, Documented]:
    assert API_MD.is_file(), "docs/API.md is missing"
    return documented_operations(API_MD.read_text(encoding="utf-8"))


def _schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def _as_component(model: str) -> str:
    """`Page[ProjectOut]` -> `Page_ProjectOut_`, the name pydantic gives the generic's schema."""
    return re.sub(r"\[(\w+)\]", r"_\1_", model)


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    status = min(code for code in operation["responses"] if code.startswith("2"))
    content = operation["responses"][status].get("content") or {}
    schema = next(iter(content.values()), {}).get("schema", {}) if content else {}
    return status, schema


def _describe(keys: set[Key]) -> str:
    return ", ".join(f"{m} {p}" for m, p in sorted(keys, key=lambda k: (k[1], k[0]))) or "none"


# -- every endpoint, both ways ------------------------------------------------------------------


def test_docs_and_openapi_list_the_same_endpoints(docs: dict[Key, Documented]) -> None:
    documented, actual = set(docs), set(served())
    assert len(actual) >= 40, "the OpenAPI document was not really built"
    missing, invented = actual - documented, documented - actual
    assert not (missing or invented), (
        f"served but not in docs/API.md: {_describe(missing)}; "
        f"in docs/API.md but not served: {_describe(invented)}"
    )


def test_the_route_rows_and_the_openapi_document_agree() -> None:
    # The auth check below reads the rows; they must be the operations the document describes.
    assert set(route_auth()) == set(served())


# -- what each endpoint says --------------------------------------------------------------------


def test_auth_matches_each_route_row_and_its_security(docs: dict[Key, Documented]) -> None:
    wrong = []
    for key, doc in docs.items():
        if key not in served():
            continue  # reported by the endpoint test
        if doc.auth not in SECURITY:
            wrong.append(f"{doc.heading}: no `- **Auth:** `mode`` line naming one of {sorted(SECURITY)}")
            continue
        security = served()[key]["security"]
        if SECURITY[doc.auth] != security:
            wrong.append(f"{key}: docs say {doc.auth!r}, the operation's security is {security}")
        if route_auth()[key] != doc.auth:
            wrong.append(f"{key}: docs say {doc.auth!r}, the route row says {route_auth()[key]!r}")
    assert not wrong, "\n".join(wrong)


def test_success_status_and_model(docs: dict[Key, Documented]) -> None:
    wrong = []
    for key, doc in docs.items():
        if key not in served():
            continue
        status, schema = _success(served()[key])
        if doc.status != status:
            wrong.append(f"{key}: docs say success {doc.status}, served {status}")
        expected = _schema_name(schema)
        got = _as_component(doc.model) if doc.model else None
        if got != expected:
            wrong.append(f"{key}: docs name the model {doc.model}, served {expected}")
    assert not wrong, "\n".join(wrong)


def test_client_error_statuses(docs: dict[Key, Documented]) -> None:
    # A template heading (one for six reports) lists the union of its paths' statuses.
    by_group: dict[str, tuple[set[str], set[str]]] = {}
    for key, doc in docs.items():
        if key not in served():
            continue
        actual = {code for code in served()[key]["responses"] if code.startswith("4")}
        by_group.setdefault(doc.group, (doc.errors, set()))[1].update(actual)
    wrong = [
        f"{group}: docs list {sorted(documented)}, served {sorted(union)}"
        for group, (documented, union) in by_group.items()
        if documented != union
    ]
    assert not wrong, "\n".join(wrong)


def test_query_parameters(docs: dict[Key, Documented]) -> None:
    wrong = []
    for key, doc in docs.items():
        if key not in served():
            continue
        actual = {p["name"] for p in served()[key]["parameters"] if p["in"] == "query"}
        if (doc.query or set()) != actual:
            wrong.append(f"{key}: docs list {sorted(doc.query or ())}, served {sorted(actual)}")
    assert not wrong, "\n".join(wrong)


def test_body_fields_and_which_are_required(docs: dict[Key, Documented]) -> None:
    schemas = spec()["components"]["schemas"]
    wrong = []
    for key, doc in docs.items():
        if key not in served():
            continue
        request = served()[key].get("requestBody")
        if request is None:
            if doc.body is not None:
                wrong.append(f"{key}: docs give a body, the endpoint takes none")
            continue
        schema = schemas[_schema_name(request["content"]["application/json"]["schema"]) or ""]
        required = set(schema.get("required", []))
        actual = {name: name in required for name in schema["properties"]}
        if doc.body != actual:
            wrong.append(f"{key}: docs give {doc.body}, served {actual} (field -> required)")
    assert not wrong, "\n".join(wrong)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node))
    return set()


def test_objects_match_the_response_schemas() -> None:
    schemas = spec()["components"]["schemas"]
    objects = documented_objects(API_MD.read_text(encoding="utf-8"))
    # Every model a success response reaches, through pages, reports and nested objects.
    reached: set[str] = set()
    todo = {_schema_name(_success(op)[1]) for op in served().values()} - {None}
    while todo:
        name = todo.pop()
        reached.add(name)  # type: ignore[arg-type]
        todo |= _refs(schemas[name]) - reached
    wrappers = {name for name in reached if re.fullmatch(r"(Page|Report)_\w+_", name)}
    missing = reached - wrappers - set(objects)
    assert not missing, f"response models not under ## Objects in docs/API.md: {sorted(missing)}"
    wrong = []
    for name, fields in objects.items():
        actual = set(schemas.get(name, {}).get("properties", {}))
        if name not in schemas or fields != actual:
            wrong.append(f"{name}: docs list {sorted(fields)}, the schema has {sorted(actual)}")
    assert not wrong, "\n".join(wrong)


# -- the parser itself ----------------------------------------------------------------------


SAMPLE = """
## Things

### GET /api/things/{id}

- **Auth:** `user` — the owner or an admin.
- **Query:**

  | parameter | type | default | notes |
  |---|---|---|---|
  | `limit`, `cursor` | | | |

- **Success:** `200` [`Page[ThingOut]`](#thingout)
- **Errors:** `401`; `404` not yours; `422`.

### GET /api/admin/stats/{report}

- **Auth:** `admin`

  | report | parameters | rows |
  |---|---|---|
  | `one` | `days` (1-365, default 7) | [`OneRow`](#onerow) |
  | `two` | none | [`TwoRow`](#tworow) |

- **Success:** `200` `Report[Row]`
- **Errors:** `401`, `403`.
"""


def test_the_parser_reads_headings_facts_tables_and_templates() -> None:
    parsed = documented_operations(SAMPLE)
    thing = parsed[("GET", "/api/things/{id}")]
    assert (thing.auth, thing.status, thing.model) == ("user", "200", "Page[ThingOut]")
    assert thing.errors == {"401", "404", "422"} and thing.query == {"limit", "cursor"} and thing.body is None
    assert set(parsed) == {
        ("GET", "/api/things/{id}"),
        ("GET", "/api/admin/stats/one"),
        ("GET", "/api/admin/stats/two"),
    }
    one, two = parsed[("GET", "/api/admin/stats/one")], parsed[("GET", "/api/admin/stats/two")]
    assert (one.query, one.model, one.auth) == ({"days"}, "Report[OneRow]", "admin")
    assert (two.query, two.model) == (set(), "Report[TwoRow]")


# -- nothing outside the repository -------------------------------------------------------------

# Built from pieces so that this file, which is scanned too, does not contain them itself.
OUTSIDE = ("../" + "shared", "/" + "work" + "/")


def _tracked_files() -> list[Path]:
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"not a git checkout ({error})")
    return [ROOT / name for name in listing.decode().split("\0") if name]


def test_no_tracked_file_refers_to_a_path_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        relative = path.relative_to(ROOT)
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            if not target.is_relative_to(ROOT):
                offenders.append(f"{relative}: a symlink to {target}")
            continue
        if not path.is_file():
            continue  # deleted in the work tree, not yet committed
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            offenders += [f"{relative}:{number}: {needle}" for needle in OUTSIDE if needle in line]
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)
