"""docs/API.md against what the code serves, both ways (the reading of the doc: tests/deploy/api_doc.py).

The truth is the OpenAPI document (`api.openapi.document`, built from every function's route table
without a database) and, for the auth mode, the route rows themselves.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.deploy.api_doc import API_MD, SECURITY, Documented, Key, documented_objects, documented_operations


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
