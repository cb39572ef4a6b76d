"""Reading docs/API.md: endpoint headings, their fact lines and tables, and the response objects.

Each endpoint is a heading `### METHOD /api/path` followed by fact lines (`- **Auth:** `mode``,
`- **Success:** `status` `Model``, `- **Errors:** `4xx`…`) and, where it has them, a query table
(first column `parameter`) and a body table (first column `field`). `### GET /api/admin/stats/{report}`
stands for one path per row of its `report` table. Each `### Name` under `## Objects` is a response
model with a `field` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

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
