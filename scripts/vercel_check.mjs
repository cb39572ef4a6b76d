// Checks vercel.json with Vercel's own code and shows where Vercel's compiled routes send URL paths.
//
//   node scripts/vercel_check.mjs                      validate vercel.json, print JSON, exit 1 if invalid
//   node scripts/vercel_check.mjs --routes /a /b ...   also resolve each path with the compiled routes
//   node scripts/vercel_check.mjs --build-output DIR --routes ...
//       resolve against a `vercel build` output instead: DIR/config.json's full route table (with the
//       zero-config `miss` and 404 routes) and DIR/functions/**/*.func + DIR/static as the filesystem.
//
// The validators are Vercel's, pinned in package.json to what vercel@58.10.0 itself uses:
//   - @vercel/build-utils getFunctionsSchema() and @vercel/routing-utils rewritesSchema/headersSchema,
//     compiled with ajv 6 (the CLI's own ajv; build-utils' getPrettyError reads ajv 6's `dataPath`);
//   - @vercel/routing-utils getTransformedRoutes(), which compiles rewrites/headers into routes;
//   - the CLI's whole-vercel.json validator (vercel/dist/chunks/config-validator.mjs, what
//     `vercel build`/`vercel dev` run), which also covers `crons`;
//   - every `functions` pattern must match a file, with build-utils' glob (else `vercel build` fails).
//
// Routing emulation (Vercel's proxy is not in any package; this follows `vercel dev`'s router, whose
// source is in node_modules/vercel/dist/commands/dev): phase `null` (headers, `continue`), then the
// filesystem, then the `miss` routes, then the routes after `handle: filesystem` (the rewrites; a
// `check: true` destination must exist in the filesystem, else the `miss` routes are tried on it).
// With vercel.json alone the filesystem is: each api/**.py (no `_`/`.` segment) at its path minus
// `.py`, and each public/ file. Matching is case-sensitive, as Vercel does once a config uses
// rewrites/headers (`hasNewRoutingProperties` in the CLI).

import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const args = { config: path.join(ROOT, 'vercel.json'), root: ROOT, buildOutput: null, routes: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--config') args.config = path.resolve(argv[++i]);
    else if (arg === '--root') args.root = path.resolve(argv[++i]);
    else if (arg === '--build-output') args.buildOutput = path.resolve(argv[++i]);
    else if (arg === '--routes') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args.routes.push(argv[++i]);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

function packageVersion(name) {
  return require(`${name}/package.json`).version;
}

function check(name, run) {
  try {
    const error = run();
    return error ? { name, ok: false, error: String(error) } : { name, ok: true };
  } catch (err) {
    return { name, ok: false, error: `${err.message}` };
  }
}

async function validate(config, root) {
  const Ajv = require('ajv');
  const buildUtils = require('@vercel/build-utils');
  const routingUtils = require('@vercel/routing-utils');
  const ajvError = (schema, data, label) => {
    const validator = new Ajv().compile(schema);
    if (validator(data)) return null;
    const [first] = validator.errors;
    return `${label}${first.dataPath}: ${buildUtils.getPrettyError(first).message}`;
  };
  const checks = [
    check('build-utils getFunctionsSchema (ajv)', () =>
      config.functions === undefined
        ? 'vercel.json has no `functions`'
        : ajvError(buildUtils.getFunctionsSchema(), config.functions, 'functions'),
    ),
    check('routing-utils rewritesSchema (ajv)', () =>
      ajvError(routingUtils.rewritesSchema, config.rewrites ?? [], 'rewrites'),
    ),
    check('routing-utils headersSchema (ajv)', () =>
      ajvError(routingUtils.headersSchema, config.headers ?? [], 'headers'),
    ),
    check('routing-utils getTransformedRoutes', () => {
      const { error } = routingUtils.getTransformedRoutes(config);
      return error ? `${error.code}: ${error.message}` : null;
    }),
  ];
  const cliValidator = path.join(path.dirname(require.resolve('vercel/package.json')), 'dist/chunks/config-validator.mjs');
  if (existsSync(cliValidator)) {
    const { getConfigValidator } = await import(cliValidator);
    checks.push(
      check('vercel CLI config validator (whole vercel.json)', () => {
        const validator = getConfigValidator();
        if (validator(config)) return null;
        return buildUtils.getPrettyError(validator.errors[0]).message;
      }),
    );
  } else {
    checks.push({ name: 'vercel CLI config validator (whole vercel.json)', ok: false, error: `${cliValidator} is missing: this vercel version moved it` });
  }
  for (const pattern of Object.keys(config.functions ?? {})) {
    const matched = Object.keys(await buildUtils.glob(pattern, root));
    checks.push({
      name: `functions pattern ${pattern} matches a file (build-utils glob)`,
      ok: matched.length > 0,
      ...(matched.length ? { matched: matched.sort() } : { error: `"${pattern}" matches no file: vercel build would fail` }),
    });
  }
  return checks;
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.endsWith('.func')) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

// The deployment's filesystem: URL path -> { function: 'api/x.py' } or { static: 'file' }.
function sourceFilesystem(root) {
  const fs = new Map();
  for (const file of walk(path.join(root, 'api'))) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    if (!rel.endsWith('.py') || rel.split('/').some((part) => part.startsWith('_') || part.startsWith('.'))) continue;
    fs.set(`/${rel.slice(0, -3)}`, { function: rel });
  }
  addStatic(fs, path.join(root, 'public'));
  return fs;
}

function buildFilesystem(outputDir) {
  const fs = new Map();
  const functionsDir = path.join(outputDir, 'functions');
  for (const dir of walk(functionsDir)) {
    if (!dir.endsWith('.func') || !statSync(dir).isDirectory()) continue;
    const urlPath = `/${path.relative(functionsDir, dir).split(path.sep).join('/').slice(0, -'.func'.length)}`;
    const trampoline = path.join(dir, 'vc__handler__python.py');
    const named = existsSync(trampoline) && /"__VC_HANDLER_ENTRYPOINT": "([^"]+)"/.exec(readFileSync(trampoline, 'utf8'));
    fs.set(urlPath, { function: named ? named[1] : `${urlPath.slice(1)}.py` });
  }
  addStatic(fs, path.join(outputDir, 'static'));
  return fs;
}

function addStatic(fs, dir) {
  for (const file of walk(dir)) {
    const rel = path.relative(dir, file).split(path.sep).join('/');
    fs.set(`/${rel}`, { static: rel });
    if (rel === 'index.html' || rel.endsWith('/index.html')) fs.set(`/${rel.slice(0, -'index.html'.length)}`.replace(/(.)\/$/, '$1'), { static: rel });
  }
}

function substitute(template, match) {
  return template
    .replace(/\$([1-9][0-9]*)/g, (_, n) => match[Number(n)] ?? '')
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, name) => match.groups?.[name] ?? '');
}

const pathname = (url) => url.split('?')[0] || '/';

function makeRouter(routes, fs) {
  const phases = new Map([[null, []]]);
  let phase = null;
  for (const route of routes) {
    if (route.handle) {
      phase = route.handle;
      phases.set(phase, phases.get(phase) ?? []);
    } else phases.get(phase).push(route);
  }
  const miss = phases.get('miss') ?? [];

  // One phase, as vercel dev's devRouter: returns { found, url, status, routeIndex }.
  function runPhase(list, url, name, headers) {
    let status;
    for (const route of list) {
      const match = new RegExp(route.src).exec(url);
      if (!match) continue;
      for (const [key, value] of Object.entries(route.headers ?? {})) headers[key.toLowerCase()] = substitute(value, match);
      const dest = route.dest ? substitute(route.dest, match) : url;
      if (route.continue) {
        status = route.status ?? status;
        url = pathname(dest);
        continue;
      }
      if (route.check && name !== 'hit' && !fs.has(pathname(dest))) {
        if (route.status && name !== 'miss') {
          // a status route whose destination is missing still answers with its status
        } else if (miss.length && name !== 'miss') {
          const missed = runPhase(miss, pathname(dest), 'miss', headers);
          if (missed.found && fs.has(missed.url)) return missed;
          url = pathname(dest);
          continue;
        } else {
          url = pathname(dest);
          continue;
        }
      }
      return { found: true, url: pathname(dest), status: route.status ?? status, src: route.src, dest: route.dest };
    }
    return { found: false, url, status };
  }

  return function resolve(requestPath) {
    const headers = {};
    let url = requestPath;
    let result = null;
    for (const name of [null, 'filesystem']) {
      result = runPhase(phases.get(name) ?? [], url, name, headers);
      if (!result.found) url = result.url;
      let target = fs.get(result.url);
      if (!target && result.status) break;
      if (!target && miss.length) {
        const missed = runPhase(miss, result.url, 'miss', headers);
        if (missed.found && fs.has(missed.url)) {
          result = missed;
          target = fs.get(missed.url);
        }
      }
      if (target) return { ...target, url: result.url, matched: result.src ?? 'filesystem', headers };
      if (name === null && !phases.has('filesystem')) break;
    }
    return { function: null, status: result?.status ?? 404, matched: result?.src ?? null, headers };
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const config = JSON.parse(readFileSync(args.config, 'utf8'));
  const routingUtils = require('@vercel/routing-utils');
  const report = {
    versions: Object.fromEntries(Object.keys(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).devDependencies).map((name) => [name, packageVersion(name)])),
    config: path.relative(process.cwd(), args.config) || args.config,
    checks: await validate(config, args.root),
  };
  report.valid = report.checks.every((c) => c.ok);
  let routes;
  let fs;
  if (args.buildOutput) {
    routes = JSON.parse(readFileSync(path.join(args.buildOutput, 'config.json'), 'utf8')).routes;
    fs = buildFilesystem(args.buildOutput);
    report.routeSource = path.join(args.buildOutput, 'config.json');
  } else {
    routes = routingUtils.getTransformedRoutes(config).routes ?? [];
    fs = sourceFilesystem(args.root);
    report.routeSource = 'routing-utils getTransformedRoutes(vercel.json)';
  }
  report.routes = routes;
  report.filesystem = Object.fromEntries([...fs.entries()].sort());
  if (args.routes.length) {
    const resolve = makeRouter(routes, fs);
    report.resolved = Object.fromEntries(args.routes.map((p) => [p, resolve(p)]));
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.valid ? 0 : 1;
}

await main();
