#!/usr/bin/env bash
# CI deploy hook: build on Vercel's toolchain, migrate Neon over the direct URL, then deploy the build.
#
#   scripts/deploy.sh [--prod] [--branch NAME] [--dry-run]
#
# Production when --prod is given or the branch (--branch, else GITHUB_REF_NAME) is `main`;
# a preview deployment otherwise. Needs DATABASE_URL_UNPOOLED (Neon's direct URL; DATABASE_URL
# is the fallback), VERCEL_TOKEN, and VERCEL_ORG_ID + VERCEL_PROJECT_ID unless the checkout is
# linked (.vercel/project.json). Uses node_modules/.bin/vercel (package.json) when installed,
# else `vercel` on PATH (VERCEL_CLI overrides). --dry-run prints the plan and runs nothing.
# No value of any variable is ever printed. See docs/DEPLOYMENT.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PRODUCTION_BRANCH="main"
force_prod=0
dry_run=0
branch="${GITHUB_REF_NAME:-}"

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

fail() {
  echo "deploy.sh: $*" >&2
  exit 1
}

while (($#)); do
  case "$1" in
    --prod) force_prod=1 ;;
    --dry-run) dry_run=1 ;;
    --branch)
      (($# >= 2)) || { echo "deploy.sh: --branch needs a value" >&2; exit 2; }
      branch="$2"
      shift
      ;;
    --branch=*) branch="${1#--branch=}" ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "deploy.sh: unknown argument: $1" >&2
      usage >&2
      exit 2
      ;;
  esac
  shift
done

# --- settings: fail before anything runs, naming every missing variable (never its value) ---
missing=()
if [[ -n "${DATABASE_URL_UNPOOLED:-}" ]]; then
  migration_var="DATABASE_URL_UNPOOLED"
elif [[ -n "${DATABASE_URL:-}" ]]; then
  migration_var="DATABASE_URL"
else
  missing+=("DATABASE_URL_UNPOOLED (Neon's direct URL; DATABASE_URL is accepted as a fallback)")
  migration_var=""
fi
[[ -n "${VERCEL_TOKEN:-}" ]] || missing+=("VERCEL_TOKEN (create one at https://vercel.com/account/tokens)")
if [[ ! -f .vercel/project.json ]]; then
  [[ -n "${VERCEL_ORG_ID:-}" ]] || missing+=("VERCEL_ORG_ID (from .vercel/project.json after \`vercel link\`)")
  [[ -n "${VERCEL_PROJECT_ID:-}" ]] || missing+=("VERCEL_PROJECT_ID (from .vercel/project.json after \`vercel link\`)")
fi
if ((${#missing[@]})); then
  echo "deploy.sh: missing required environment variables:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

migration_url="${!migration_var}"
# Host of the URL: after the scheme and any user:password@, before the path, query or port.
url_host="${migration_url#*://}"
url_host="${url_host##*@}"
url_host="${url_host%%[/?:]*}"
if [[ "$url_host" == *-pooler* ]]; then
  fail "$migration_var points at a Neon pooler host (-pooler). Migrations need the direct URL:" \
    "set DATABASE_URL_UNPOOLED to the connection string without -pooler (advisory locks and DDL" \
    "need one server session; see docs/MIGRATIONS.md)."
fi

if ((force_prod)) || [[ "$branch" == "$PRODUCTION_BRANCH" ]]; then
  environment="production"
  prod=(--prod)
else
  environment="preview"
  prod=()
fi

if [[ -n "${PYTHON:-}" ]]; then
  python="$PYTHON"
elif [[ -x .venv/bin/python ]]; then
  python=".venv/bin/python"
else
  python="python3"
fi
# The CLI pinned in package.json when installed (npm ci), else the one on PATH.
if [[ -n "${VERCEL_CLI:-}" ]]; then
  vercel="$VERCEL_CLI"
elif [[ -x node_modules/.bin/vercel ]]; then
  vercel="node_modules/.bin/vercel"
else
  vercel="vercel"
fi

# --- running (or, with --dry-run, printing) each step; the token shows as *** ---
show() {
  local out=() arg
  for arg in "$@"; do
    case "$arg" in
      --token=*) out+=("--token=***") ;;
      *) out+=("$arg") ;;
    esac
  done
  echo "+ ${out[*]}"
}

step() {
  show "$@"
  ((dry_run)) || "$@"
}

echo "deploy: ${environment} (branch: ${branch:-unknown}); migrations over ${migration_var}"
if ((!dry_run)); then
  command -v "$vercel" >/dev/null 2>&1 || fail "the Vercel CLI ($vercel) is not installed: npm ci (pinned in package.json) or npm install --global vercel"
  command -v "$python" >/dev/null 2>&1 || fail "python ($python) not found: run \`make test\` or set PYTHON"
fi

# 1-2. Pull settings and build first: a build that fails leaves the database untouched.
step "$vercel" pull --yes "--environment=${environment}" "--token=${VERCEL_TOKEN}"
step "$vercel" build "${prod[@]}" "--token=${VERCEL_TOKEN}"

# 3. Migrate over the direct URL (advisory lock, retries while a suspended compute wakes).
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"  # scripts/migrate.py imports lib/ from the repo root
echo "+ DATABASE_URL_UNPOOLED=*** $python scripts/migrate.py"
if ((!dry_run)); then
  DATABASE_URL_UNPOOLED="$migration_url" "$python" scripts/migrate.py
fi

# 4. Deploy exactly what was built; the CLI prints the deployment URL on stdout.
show "$vercel" deploy --prebuilt "${prod[@]}" "--token=${VERCEL_TOKEN}"
if ((!dry_run)); then
  url="$("$vercel" deploy --prebuilt "${prod[@]}" "--token=${VERCEL_TOKEN}")"
  echo "deployed: $url"
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    echo "url=$url" >>"$GITHUB_OUTPUT"
  fi
fi
