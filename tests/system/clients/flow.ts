// A typed client flow over the types openapi-typescript generates (default options) from /api/openapi.json.
// The test copies this file next to the generated `types.d.ts`, type-checks it (tsc --noEmit, strict),
// compiles it and runs it with node against a live server: `node out/flow.js <base url> <email>`.
import type { components, paths } from "./types";

declare const process: { argv: string[]; exitCode?: number };

type Schemas = components["schemas"];
type Body<P extends keyof paths, M extends "post" | "patch"> = paths[P][M] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;
type Ok<P extends keyof paths, M extends "get" | "post" | "patch", S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { "application/json": infer R } } };
}
  ? R
  : never;

// --- what must (and must not) compile: the document's truth per direction --------------------------

// A PATCH of one field: every other field may be omitted.
const rename: Body<"/api/projects/{id}", "patch"> = { title: "Renamed" };
// `null` only where the server takes it: `deadline` can be cleared, `title` cannot.
const clearDeadline: Schemas["ProjectUpdate"] = { deadline: null };
// @ts-expect-error the server answers 422 "must not be null" for title
const nullTitle: Schemas["ProjectUpdate"] = { title: null };
// A create with only its required fields (defaults are the server's, not required of the client).
const create: Body<"/api/projects", "post"> = { title: "Smart farm", category: "iot" };
// @ts-expect-error title and category are required
const incomplete: Schemas["ProjectCreate"] = { description: "no title" };
// Every field of a response is always sent: required, and `null` only where the model allows it.
function tokenType(token: Schemas["TokenOut"]): "bearer" {
  return token.token_type;
}
function title(project: Schemas["ProjectOut"]): string {
  return project.title;
}
void [clearDeadline, nullTitle, incomplete];

// --- the run ----------------------------------------------------------------------------------------

type Result<T> = { status: number; body: T | Schemas["Error"] };

async function call<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Result<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token !== undefined) headers["Authorization"] = `Bearer ${token}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(base + path, init);
  return { status: response.status, body: (await response.json()) as T | Schemas["Error"] };
}

function expect<T>(result: Result<T>, status: number, step: string): T {
  if (result.status !== status) {
    throw new Error(`${step}: expected ${status}, got ${result.status}: ${JSON.stringify(result.body)}`);
  }
  return result.body as T;
}

async function main(): Promise<void> {
  const [base, email] = process.argv.slice(2);
  if (base === undefined || email === undefined) throw new Error("usage: flow.js <base url> <email>");

  const registration: Body<"/api/auth/register", "post"> = {
    email,
    password: "correct horse battery",
    full_name: "Type Script",
  };
  const token = expect(
    await call<Ok<"/api/auth/register", "post", 201>>(base, "POST", "/api/auth/register", registration),
    201,
    "register",
  );
  const bearer = token.access_token;

  const project = expect(
    await call<Ok<"/api/projects", "post", 201>>(base, "POST", "/api/projects", create, bearer),
    201,
    "create project",
  );
  const patched = expect(
    await call<Ok<"/api/projects/{id}", "patch", 200>>(
      base,
      "PATCH",
      `/api/projects/${project.id}`,
      rename,
      bearer,
    ),
    200,
    "patch project",
  );
  if (patched.title !== "Renamed" || patched.category !== project.category || patched.status !== "draft") {
    throw new Error(`patch changed more than the title: ${JSON.stringify(patched)}`);
  }
  const page = expect(
    await call<Ok<"/api/projects", "get", 200>>(base, "GET", "/api/projects?limit=10", undefined, bearer),
    200,
    "list projects",
  );
  const listed = page.items.map((item) => item.id);
  const missing = expect(
    await call<Ok<"/api/projects/{id}", "get", 200>>(base, "GET", "/api/projects/999999", undefined, bearer),
    404,
    "missing project",
  ) as unknown as Schemas["Error"];
  const invalid = expect(
    await call<never>(base, "PATCH", `/api/projects/${project.id}`, { title: null }, bearer),
    422,
    "null title",
  ) as unknown as Schemas["Error"];

  console.log(
    JSON.stringify({
      user: token.user.email,
      token_type: tokenType(token),
      project: project.id,
      title: title(patched),
      deadline: patched.deadline,
      listed,
      next_cursor: page.next_cursor,
      not_found: missing.error.code,
      null_title: invalid.error.details,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
