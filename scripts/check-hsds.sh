#!/usr/bin/env bash
# The HSDS views against the official HSDS schemas, on real servers: first `onconet serve
# --demo` (the demo networks), then a fresh server with a synthetic registry of HSDS_NETWORKS
# (500) networks (`onconet-bench synth`, given public and non-public contacts, members with
# coordinates, a website and financing here, then `onconet-bench load`: created and published
# through the API). For each, scripts/check-hsds.py fetches every page of every /hsds route
# and every document by id and validates them (Python `jsonschema` with format checks, in a
# venv under target/), and prints "KIND: N valid / M". Exits non-zero on any invalid document.
#
# Knobs: HSDS_NETWORKS (500), HSDS_SEED (7), ONCONET_REFERENCE_DATA (../shared/data/nl).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
REF="${ONCONET_REFERENCE_DATA:-../shared/data/nl}"
NETWORKS="${HSDS_NETWORKS:-500}"
SEED="${HSDS_SEED:-7}"
SENTINEL="HSDS-PRIVATE-SENTINEL"

die() { echo "check-hsds: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
[ -f "$REF/gemeenten-2024.geojson" ] || die "no reference data in $REF (set ONCONET_REFERENCE_DATA)"

VENV=target/venv-hsds
if ! "$VENV/bin/python" -c 'import jsonschema, referencing, rfc3339_validator, rfc3986_validator' 2>/dev/null; then
  step "Python jsonschema in $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "jsonschema[format-nongpl]==4.26.0"
fi

step "build"
cargo build --quiet --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/debug/onconet"
BENCH="$ROOT/target/debug/onconet-bench"

WORK="$(mktemp -d /tmp/onconet-hsds.XXXXXX)"
chmod 755 "$WORK"
SERVER_PID=""
DATA=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  # The server stops the cluster it started; make sure of it after a failure too.
  if [ -n "$DATA" ] && [ -d "$DATA" ]; then "$ONCONET" db stop --data-dir "$DATA" >/dev/null 2>&1 || true; fi
}
cleanup() {
  status=$?
  trap - EXIT INT TERM
  stop_server
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts `onconet serve` with data dir $1 and further arguments; sets SERVER_PID and BASE.
start_server() { # data dir, args...
  DATA="$1"
  shift
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  ONCONET_RATE_LIMIT_PER_SECOND=0 ONCONET_DAILY_SNAPSHOT=false \
    "$ONCONET" serve --bind "127.0.0.1:$port" --data-dir "$DATA" --reference-data "$REF" "$@" \
    >"$DATA.log" 2>&1 &
  SERVER_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 30 "$DATA.log" >&2; die "the server did not start"; }
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "the server did not become ready within 2 minutes"
}

RESULT=0
step "demo registry (onconet serve --demo)"
start_server "$WORK/demo" --demo
demo="$(curl -fsS "$BASE/v1/networks?per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["page"]["total_items"])')"
echo "published demo networks: $demo"
"$VENV/bin/python" scripts/check-hsds.py "$BASE" "demo registry" --expect-organizations "$demo" \
  | tee "$WORK/demo.out" || RESULT=1
stop_server

step "synthetic registry ($NETWORKS networks, seed $SEED)"
start_server "$WORK/synth"
"$ONCONET" regions import --layer municipality "$REF/gemeenten-2024.geojson" \
  --population "$REF/bevolking-gemeenten-2024.csv" --data-dir "$DATA" </dev/null >/dev/null
# The server picks the layer up through LISTEN/NOTIFY.
for _ in $(seq 1 300); do
  curl -fsS "$BASE/v1/regions/municipality/GM0014" >/dev/null 2>&1 && break
  sleep 0.1
done
"$BENCH" synth --seed "$SEED" --count "$NETWORKS" --reference-data "$REF" --out "$WORK/synth.jsonl"
# Give each network what the HSDS documents are made of beyond the synthetic profile: a
# website, a description, financing, a public and a non-public contact, members with and
# without coordinates (seeded, so every run is the same).
python3 - "$WORK/synth.jsonl" "$WORK/enriched.jsonl" "$SEED" "$SENTINEL" <<'EOF'
import json, random, sys
src, dst, seed, sentinel = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
kinds = ["practice", "practice", "organisation", "hospital", "umc"]
with open(src) as f, open(dst, "w") as out:
    for i, line in enumerate(f):
        body = json.loads(line)
        body["website"] = f"https://example.org/synth/{i:03d}"
        body["description"] = {"nl": f"Synthetisch netwerk {i}.", "en": f"Synthetic network {i}."} if i % 3 else {"en": f"Synthetic network {i}."}
        body["financing"] = [{"form": "membership_fee"}] + ([{"form": "project_grant", "funder": "Fonds", "since": "2025-01-01"}] if i % 2 else [])
        body["contacts"] = [
            {"role": "coordinator", "name": f"Coördinator {i}", "email": f"synth{i}@example.org", "phone": f"+31 50 {i:03d} 0000", "public": True},
            {"role": "chair", "name": f"Voorzitter {sentinel} {i}", "email": f"{sentinel.lower()}.{i}@example.org", "public": False},
        ]
        members = []
        for j in range(rng.randint(0, 4)):
            m = {"name": f"Lid {i}-{j}", "kind": rng.choice(kinds)}
            if body.get("disciplines") and rng.random() < 0.7:
                m["discipline"] = rng.choice(body["disciplines"])
            if rng.random() < 0.8:
                m["location"] = {"lat": round(rng.uniform(51.3, 53.2), 5), "lon": round(rng.uniform(4.2, 6.8), 5)}
            if rng.random() < 0.5:
                m["agb"] = f"{rng.randrange(10**8):08d}"
            elif rng.random() < 0.5:
                m["kvk"] = f"{rng.randrange(10**8):08d}"
            members.append(m)
        body["members"] = members
        out.write(json.dumps(body, ensure_ascii=False) + "\n")
EOF
TOKEN="$("$ONCONET" token --role iknl_staff --data-dir "$DATA")"
ONCONET_TOKEN="$TOKEN" "$BENCH" load --url "$BASE" --concurrency 4 "$WORK/enriched.jsonl"
"$VENV/bin/python" scripts/check-hsds.py "$BASE" "$NETWORKS-network registry" \
  --expect-organizations "$NETWORKS" --forbid "$SENTINEL" --forbid "$(tr 'A-Z' 'a-z' <<<"$SENTINEL")" \
  | tee "$WORK/synth.out" || RESULT=1
stop_server

step "summary"
cat "$WORK/demo.out" "$WORK/synth.out" | grep -E '^(==|[a-z_]+: [0-9]+ valid|.*(every document valid|failures)$)'
exit "$RESULT"
