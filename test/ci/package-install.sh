#!/usr/bin/env bash
# The package as a user gets it: `npm pack`, then `npm install -g` of the tarball into a clean
# temporary prefix, then the installed `stockhook` run from an empty directory with no STOCKHOOK_*
# setting inherited: --version, serve (temp SQLite file, a free port, /healthz), listen receiving a
# signed webhook, replay (token from STOCKHOOK_TOKEN), backup, and both published entry points
# (stockhook/receiver, stockhook/client with its types) imported from the installed package.
# Run by .ci/run after the test suite. The install compiles better-sqlite3 from source where no
# prebuilt binary can be downloaded: minutes, expected.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/stockhook-package.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { echo "package: $*"; }
fail() {
  echo "package: FAILED: $*" >&2
  exit 1
}
# Prints a file, indented, to show what a command said.
show() { sed 's/^/    /' "$1"; }
# A JSON field of stdin: json .token
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s)$1;if(v===undefined)process.exit(1);console.log(v)})"; }
# Waits (at most $2 seconds) until file $1 matches the extended regex $3 while process $4 runs.
wait_for() {
  local file="$1" seconds="$2" pattern="$3" pid="$4"
  for _ in $(seq 1 $((seconds * 5))); do
    if grep -Eq "$pattern" "$file" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

say "npm pack"
npm pack --pack-destination "$WORK" >"$WORK/pack.log" 2>&1 || { show "$WORK/pack.log"; fail "npm pack did not succeed"; }
TGZ="$(ls "$WORK"/stockhook-*.tgz)"
tar tzf "$TGZ" >"$WORK/contents"
if grep -E '^package/(test|bench|src|scripts|docs|node_modules)/' "$WORK/contents"; then
  fail "the tarball holds the repository's own files (listed above); package.json 'files' must keep them out"
fi
for f in dist/cli.js dist/receiver/index.js dist/receiver/index.d.ts dist/client/index.js dist/client/index.d.ts dist/client/api-types.d.ts ui/index.html; do
  grep -qx "package/$f" "$WORK/contents" || fail "$f is missing from $(basename "$TGZ")"
done
say "$(basename "$TGZ"): $(wc -l <"$WORK/contents") files, $(du -k "$TGZ" | cut -f1) KiB, no tests, no benchmarks"

PREFIX="$WORK/prefix"
say "npm install -g --prefix <tmp>/prefix $(basename "$TGZ") (better-sqlite3 may compile from source: minutes)"
started=$SECONDS
# better-sqlite3's install script builds its native module; npm 11 asks for it to be allowed.
if ! npm install -g --prefix "$PREFIX" --no-audit --no-fund --allow-scripts=better-sqlite3 "$TGZ" >"$WORK/install.log" 2>&1; then
  show "$WORK/install.log"
  fail "npm install -g of the tarball did not succeed"
fi
show "$WORK/install.log"
say "installed in $((SECONDS - started)) s"
if grep -q EBADENGINE "$WORK/install.log"; then fail "the install warned EBADENGINE: a dependency refuses this Node (package.json pins light-my-request 6.6.0 for this: its cookie 1 supports Node 20)"; fi
BIN="$PREFIX/bin/stockhook"
[ -x "$BIN" ] || fail "$BIN was not installed"

# What the installed package runs with: no STOCKHOOK_* setting of this shell, an empty directory.
RUN="$WORK/run"
mkdir -p "$RUN" "$WORK/home"
cd "$RUN"
clean=(env -i "PATH=$(dirname "$(command -v node)"):/usr/bin:/bin" "HOME=$WORK/home")

version="$("${clean[@]}" "$BIN" --version)"
expected="$(node -p "require('$ROOT/package.json').version")"
say "stockhook --version: $version"
[ "$version" = "$expected" ] || fail "stockhook --version printed '$version', package.json says '$expected'"

ADMIN="$(node -p "require('crypto').randomBytes(24).toString('hex')")"
DB="$WORK/data/stockhook.db"
say "stockhook serve --db <tmp>/data/stockhook.db --port 0"
"${clean[@]}" STOCKHOOK_ADMIN_TOKEN="$ADMIN" STOCKHOOK_ALLOW_PRIVATE_TARGETS=1 STOCKHOOK_LOG_FORMAT=json \
  "$BIN" serve --db "$DB" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE=$!
PIDS+=("$SERVE")
if ! wait_for "$WORK/serve.out" 120 'http://127\.0\.0\.1:[0-9]+' "$SERVE"; then
  show "$WORK/serve.out"
  show "$WORK/serve.err"
  fail "the installed stockhook serve did not start within 120 s"
fi
URL="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$WORK/serve.out" | head -n 1)"
health="$(curl -sS --max-time 10 "$URL/healthz")" || fail "GET $URL/healthz did not answer"
say "serve is listening on $URL; GET /healthz: $health"
[ "$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/")" = "302 $URL/ui/" ] || fail "GET / does not redirect to the dashboard"
dashboard="$(curl -sS --max-time 10 "$URL/ui/")"
[[ "$dashboard" == *'<script type="module" src="/ui/app.js"></script>'* ]] || fail "the dashboard (ui/ in the package) is not served"

post() { curl -sS --fail-with-body --max-time 10 -X POST -H "authorization: Bearer $1" -H 'content-type: application/json' -d "$3" "$URL$2"; }
TOKEN="$(post "$ADMIN" /api/v1/accounts '{"name":"Package check"}' | json .token)" || fail "could not create an account"

SECRET='whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
"${clean[@]}" "$BIN" listen --port 0 --format native --secret "$SECRET" >"$WORK/listen.out" 2>"$WORK/listen.err" &
LISTEN=$!
PIDS+=("$LISTEN")
wait_for "$WORK/listen.err" 60 'http://127\.0\.0\.1:[0-9]+' "$LISTEN" || { show "$WORK/listen.err"; fail "the installed stockhook listen did not start"; }
HOOK_URL="$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' "$WORK/listen.err" | head -n 1)"
say "$(cat "$WORK/listen.err")"

SINCE="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
SUB="$(post "$TOKEN" /api/v1/webhooks "{\"url\":\"$HOOK_URL/hook\",\"secret\":\"$SECRET\",\"events\":[\"stock.changed\"]}" | json .id)" || fail "could not create a webhook"
WH="$(post "$TOKEN" /api/v1/warehouses '{"name":"Main"}' | json .id)" || fail "could not create a warehouse"
PRODUCT="$(post "$TOKEN" /api/v1/products '{"title":"Nozzle","sku":"N-1"}' | json .id)" || fail "could not create a product"
post "$TOKEN" /api/v1/documents "{\"type\":\"receipt\",\"warehouseId\":$WH,\"lines\":[{\"productId\":$PRODUCT,\"quantity\":5}]}" >/dev/null || fail "could not post a receipt"
wait_for "$WORK/listen.out" 60 '→ answered 200' "$LISTEN" || { show "$WORK/listen.out"; fail "listen did not receive the webhook"; }
grep -q 'signature (native): valid' "$WORK/listen.out" || { show "$WORK/listen.out"; fail "listen did not find the signature valid"; }
say "listen received the stock.changed webhook: signature valid, answered 200"

"${clean[@]}" STOCKHOOK_TOKEN="$TOKEN" "$BIN" replay --url "$URL" --webhook "$SUB" --since "$SINCE" >"$WORK/replay.out" 2>&1 || { show "$WORK/replay.out"; fail "stockhook replay failed"; }
show "$WORK/replay.out"
# Every event since then is read (warehouse, product, document, stock change); the subscription
# takes stock.changed only, so one delivery.
grep -Eqx 'done: [0-9]+ events, 1 deliveries queued' "$WORK/replay.out" || fail "replay did not queue the one stock.changed event again"
wait_for "$WORK/listen.out" 60 '── #2 POST /hook' "$LISTEN" || fail "listen did not receive the replayed webhook"
say "replay (token from STOCKHOOK_TOKEN) sent the event again"

"${clean[@]}" "$BIN" backup "$WORK/backup.db" --db "$DB" >"$WORK/backup.out" 2>&1 || { show "$WORK/backup.out"; fail "stockhook backup failed"; }
show "$WORK/backup.out"
[ -s "$WORK/backup.db" ] || fail "backup wrote no file"

# The published entry points, resolved as an application that depends on stockhook resolves them.
PROJECT="$WORK/project"
mkdir -p "$PROJECT/node_modules"
ln -s "$PREFIX/lib/node_modules/stockhook" "$PROJECT/node_modules/stockhook"
echo '{"name":"uses-stockhook","private":true,"type":"module"}' >"$PROJECT/package.json"
cat >"$PROJECT/check.mjs" <<'JS'
const receiver = await import('stockhook/receiver');
const client = await import('stockhook/client');
if (typeof receiver.verify !== 'function' || !receiver.FORMAT_NAMES.includes('native')) throw new Error('stockhook/receiver exports no verify / FORMAT_NAMES');
const api = client.createStockhookClient({ baseUrl: process.env.URL, token: process.env.TOKEN });
const { data, error, response } = await api.GET('/api/v1/warehouses/{id}', { params: { path: { id: Number(process.env.WH) } } });
if (response.status !== 200 || data.name !== 'Main') throw new Error(`stockhook/client: ${response.status} ${JSON.stringify(error ?? data)}`);
console.log(`stockhook/receiver: ${receiver.FORMAT_NAMES.length} formats; stockhook/client: GET /api/v1/warehouses/${data.id} -> ${response.status} ${data.name}`);
JS
(cd "$PROJECT" && "${clean[@]}" URL="$URL" TOKEN="$TOKEN" WH="$WH" node check.mjs) >"$WORK/import.out" 2>&1 || { show "$WORK/import.out"; fail "importing stockhook/receiver or stockhook/client from the installed package failed"; }
say "$(cat "$WORK/import.out")"
# Its types: a wrong path or body must not compile, a right one must.
cat >"$PROJECT/check.ts" <<'TS'
import { createStockhookClient } from 'stockhook/client';
import type { FormatName } from 'stockhook/receiver';
const api = createStockhookClient({ baseUrl: 'http://127.0.0.1:3000', token: 'token' });
export const format: FormatName = 'metakocka';
export async function create(): Promise<number | undefined> {
  const { data } = await api.POST('/api/v1/warehouses', { body: { name: 'Main', code: 'M' } });
  // @ts-expect-error: the API has no such route
  await api.GET('/api/v1/no-such-route');
  // @ts-expect-error: a warehouse has a name, not a title
  await api.POST('/api/v1/warehouses', { body: { title: 'Main' } });
  return data?.id;
}
TS
(cd "$PROJECT" && node "$ROOT/node_modules/typescript/bin/tsc" --noEmit --strict --skipLibCheck --module nodenext --moduleResolution nodenext --target es2022 --lib es2022,dom check.ts) >"$WORK/tsc.out" 2>&1 ||
  { show "$WORK/tsc.out"; fail "stockhook/client's types from the installed package do not type-check an application"; }
say "stockhook/client's types check an application's calls (a wrong route and a wrong body are compile errors)"

kill -TERM "$SERVE"
code=0
wait "$SERVE" || code=$?
[ "$code" = 0 ] || { show "$WORK/serve.err"; fail "serve exited $code after SIGTERM"; }
say "serve stopped on SIGTERM with exit 0"
say "OK: the packed tarball installs and its commands and entry points work"
