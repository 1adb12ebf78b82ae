#!/usr/bin/env bash
# Benchmark and cross-check of GET /v1/coverage against PostGIS, in one command (issue 4 point 5;
# see docs/BENCHMARKS.md, section "Coverage"):
#
#   scripts/bench-coverage.sh
#
# 1. installs PostGIS from Debian's packages when missing, builds the release binaries;
# 2. starts `onconet serve` on a free port of 127.0.0.1 with a fresh data dir (its own
#    PostgreSQL) and the rate limit off, imports the detailed CBS municipality (with population)
#    and province layers;
# 3. generates the seeded SYNTHETIC registry of the search benchmark (~500 networks) and creates
#    + publishes it through the API (onconet-bench synth / load);
# 4. copies regions (GET /v1/regions/municipality?format=geojson) and networks (onconet-bench
#    export + type, lifecycle, disciplines of GET /v1/networks/{id}) into PostGIS (database
#    bench_postgis in the same cluster);
# 5. times onconet's national municipality report for every discipline of GET /v1/vocabularies
#    plus "all" (each the first request for its filter: a cache miss), then the same report by
#    PostGIS (scripts/bench/coverage-postgis.sql, one ST_Union per filter, as many sessions as
#    cores); prints both times and their ratio;
# 6. compares covered km² and covered population for every municipality × filter (fails on a
#    difference above 0.01 km² and 0.1 %, or above 1 person);
# 7. times the refreshed report after one edit (PATCH of a network's service_area), 5 times,
#    and prints the median.
#
# Everything it starts it stops; it talks only to 127.0.0.1 and to the cluster's Unix socket.
# Knobs (environment): BENCH_SEED (42), BENCH_NETWORKS (500), BENCH_PG_SESSIONS (nproc),
# BENCH_PG_TIMEOUT (s, 1500), BENCH_REFRESH_EDITS (5), BENCH_KEEP (1: keep the data dir),
# ONCONET_REFERENCE_DATA (the CBS data folder).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REF="${ONCONET_REFERENCE_DATA:-$ROOT/../shared/data/nl}"
SEED="${BENCH_SEED:-42}"
NETWORKS="${BENCH_NETWORKS:-500}"
PG_SESSIONS="${BENCH_PG_SESSIONS:-$(nproc)}"
PG_TIMEOUT="${BENCH_PG_TIMEOUT:-1500}"
REFRESH_EDITS="${BENCH_REFRESH_EDITS:-5}"

die() { echo "bench-coverage: $*" >&2; exit 1; }
# shellcheck source=bench/server.sh
. "$ROOT/scripts/bench/server.sh"

for f in gemeenten-2024.geojson provincies-2024.geojson bevolking-gemeenten-2024.csv; do
  [ -r "$REF/$f" ] || die "missing $REF/$f (set ONCONET_REFERENCE_DATA to the CBS data folder)"
done

# --- 1. packages and binaries -------------------------------------------------------------
step "packages"
scripts/setup.sh
PGMAJ="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if [ ! -e "/usr/share/postgresql/$PGMAJ/extension/postgis.control" ]; then
  echo "installing postgresql-$PGMAJ-postgis-3 from Debian packages"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "postgresql-$PGMAJ-postgis-3"
fi
PSQL="/usr/lib/postgresql/$PGMAJ/bin/psql"
[ -x "$PSQL" ] || PSQL="$(command -v psql)"
command -v python3 >/dev/null || die "python3 is needed"

step "release build"
cargo build --release --locked --bin onconet --bin onconet-bench
ONCONET="$ROOT/target/release/onconet"
BENCH="$ROOT/target/release/onconet-bench"

# --- 2. a fresh server ----------------------------------------------------------------------
WORK="$(mktemp -d /tmp/onconet-bench-coverage.XXXXXX)"
chmod 755 "$WORK"
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  # psql sessions of step 5 (their own process groups are ours: started by this shell)
  jobs -p | while read -r p; do [ "$p" != "$SERVER_PID" ] && kill -TERM "$p" 2>/dev/null; done || true
  stop_server
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench-coverage: kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "server (data dir $DATA)"
start_server

step "region layers (detailed municipalities with population, provinces)"
"$ONCONET" regions import --layer municipality "$REF/gemeenten-2024.geojson" \
  --population "$REF/bevolking-gemeenten-2024.csv" --data-dir "$DATA" </dev/null
"$ONCONET" regions import --layer province "$REF/provincies-2024.geojson" --data-dir "$DATA" </dev/null
for _ in $(seq 1 300); do
  if curl -fsS "$BASE/v1/regions/municipality/GM0014" >/dev/null 2>&1 &&
     curl -fsS "$BASE/v1/regions/province/PV20" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
curl -fsS "$BASE/v1/regions/province/PV20" >/dev/null || die "the server did not pick up the region layers"

# --- 3. the synthetic registry ------------------------------------------------------------
step "synthetic registry (seed $SEED, $NETWORKS networks)"
"$BENCH" synth --seed "$SEED" --count "$NETWORKS" --reference-data "$REF" --out "$WORK/synth.jsonl"
TOKEN="$("$ONCONET" token --role iknl_staff --data-dir "$DATA")"
ONCONET_TOKEN="$TOKEN" "$BENCH" load --url "$BASE" --concurrency 8 "$WORK/synth.jsonl"
published="$(curl -fsS "$BASE/v1/networks?per_page=1" | sed -n 's/.*"total_items":\([0-9]*\).*/\1/p')"
echo "published networks: $published"

# --- 4. PostGIS copy ----------------------------------------------------------------------------
step "PostGIS copy (regions and networks)"
POSTGIS_URL="${DB_URL%/*}/bench_postgis"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DB_URL" -c 'CREATE DATABASE bench_postgis'
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$POSTGIS_URL" -c 'CREATE EXTENSION postgis'
"$BENCH" export --url "$BASE" --postgis "$POSTGIS_URL"

export BASE TOKEN WORK PSQL POSTGIS_URL PG_SESSIONS PG_TIMEOUT REFRESH_EDITS
python3 - <<'PY'
# Writes regions.tsv, networks.tsv and filters.tsv for PostGIS.
import json, os, urllib.request, concurrent.futures as cf
BASE, TOKEN, WORK = os.environ["BASE"], os.environ["TOKEN"], os.environ["WORK"]
def get(path, accept="application/json"):
    req = urllib.request.Request(BASE + path, headers={"Authorization": "Bearer " + TOKEN, "Accept": accept})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())
def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
fc = get("/v1/regions/municipality?format=geojson&per_page=5000", "application/geo+json")
with open(f"{WORK}/regions.tsv", "w") as out:
    for f in fc["features"]:
        p = f["properties"]
        pop = "\\N" if p.get("population") is None else str(p["population"])
        out.write(f"{p['code']}\t{pop}\t{esc(json.dumps(f['geometry']))}\n")
print(f"regions: {len(fc['features'])} municipalities")
ids, page = [], 1
while True:
    v = get(f"/v1/networks?per_page=100&page={page}")
    ids += [i["id"] for i in v["items"]]
    if page >= v["page"]["total_pages"] or not v["items"]:
        break
    page += 1
with cf.ThreadPoolExecutor(8) as ex:
    profiles = list(ex.map(lambda i: get(f"/v1/networks/{i}"), ids))
with open(f"{WORK}/networks.tsv", "w") as out:
    for p in profiles:
        d = "{" + ",".join('"%s"' % c for c in p.get("disciplines", [])) + "}"
        out.write(f"{p['id']}\t{p['type']}\t{p['lifecycle']}\t{d}\n")
voc = get("/v1/vocabularies")
codes = [e["code"] for e in voc["disciplines"]] if isinstance(voc["disciplines"], list) else [e["code"] for e in voc["disciplines"]["entries"]]
with open(f"{WORK}/filters.tsv", "w") as out:
    for c in codes + ["all"]:
        out.write(c + "\n")
print(f"networks: {len(profiles)} profiles; filters: {len(codes)} disciplines + all")
PY
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$POSTGIS_URL" <<SQL
CREATE TABLE coverage_regions_raw (code text, population bigint, geojson text);
\copy coverage_regions_raw FROM '$WORK/regions.tsv'
CREATE TABLE coverage_regions AS
  SELECT code, population, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326))::geometry(MultiPolygon, 4326) AS geom
  FROM coverage_regions_raw;
CREATE INDEX ON coverage_regions USING gist (geom);
CREATE TABLE coverage_profiles (id text PRIMARY KEY, type text, lifecycle text, disciplines text[]);
\copy coverage_profiles FROM '$WORK/networks.tsv'
CREATE TABLE coverage_networks AS
  SELECT p.id, p.type, p.lifecycle, p.disciplines, a.geom
  FROM coverage_profiles p JOIN bench_areas a USING (id);
CREATE TABLE coverage_filters (code text PRIMARY KEY);
\copy coverage_filters FROM '$WORK/filters.tsv'
ANALYZE;
SELECT (SELECT count(*) FROM coverage_regions) AS regions,
       (SELECT count(*) FROM coverage_regions WHERE NOT ST_IsValid(geom)) AS invalid_regions,
       (SELECT count(*) FROM coverage_networks) AS networks_with_area,
       (SELECT count(*) FROM coverage_networks WHERE type = 'oncology_care_network' AND lifecycle = 'active') AS counting,
       (SELECT count(*) FROM coverage_filters) AS filters;
SQL

# --- 5-7. measurements, comparison, refresh -----------------------------------------------------
step "measurements"
busy_before "onconet reports"
set +e
python3 - <<'PY'
import json, os, subprocess, sys, time, statistics, urllib.request, urllib.error
BASE, TOKEN, WORK = os.environ["BASE"], os.environ["TOKEN"], os.environ["WORK"]
PSQL, PG = os.environ["PSQL"], os.environ["POSTGIS_URL"]
SESSIONS, PG_TIMEOUT = int(os.environ["PG_SESSIONS"]), int(os.environ["PG_TIMEOUT"])
EDITS = int(os.environ["REFRESH_EDITS"])
AUTH = {"Authorization": "Bearer " + TOKEN}

def request(path, method="GET", body=None, headers=None):
    h = dict(AUTH, **(headers or {}))
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=h)
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as r:
        data = r.read()
        dt = time.perf_counter() - t0
        return dt, {k.lower(): v for k, v in r.headers.items()}, data

filters = [l.strip() for l in open(f"{WORK}/filters.tsv") if l.strip()]
def path_for(f):
    q = "/v1/coverage?layer=municipality"
    return q if f == "all" else q + "&discipline=" + f

# -- onconet: every filter once (first request per filter: a miss)
api, api_total, caches = {}, 0.0, []
for f in filters:
    dt, h, data = request(path_for(f))
    api_total += dt
    cache = h.get("x-coverage-cache", "?")
    caches.append(cache)
    if not cache.startswith("miss"):
        print(f"WARNING: {f}: X-Coverage-Cache {cache} (expected miss)")
    v = json.loads(data)
    api[f] = {r["code"]: r for r in v["regions"]}
    print(f"onconet {f:>24}: {dt*1000:8.1f} ms  networks={v['networks']:>4} coverage={v['summary']['coverage']:.4f}  [{cache}]")
print(f"RESULT onconet: {len(filters)} reports in {api_total:.3f} s (sum of wall times)")

# -- PostGIS: the same set, split over SESSIONS concurrent sessions
subprocess.run(["bash", "-c", "read -r _ a1 a2 a3 a4 a5 a6 a7 _ < /proc/stat; sleep 1; read -r _ b1 b2 b3 b4 b5 b6 b7 _ < /proc/stat;"
                " a=$(( (b1+b2+b3+b5+b6+b7)-(a1+a2+a3+a5+a6+a7) )); b=$(( a+b4-a4 )); echo \"machine busy before PostGIS: $(( b>0 ? 100*a/b : 0 )) % of CPU\" | tee " + WORK + "/busy-pg.txt"])
t0 = time.perf_counter()
procs = [subprocess.Popen(["timeout", str(PG_TIMEOUT), PSQL, "-X", "-q", "-v", f"part={i}", "-v", f"parts={SESSIONS}",
                           "-v", f"out=pg_coverage_{i}", PG, "-f", "scripts/bench/coverage-postgis.sql"])
         for i in range(SESSIONS)]
rcs = [p.wait() for p in procs]
pg_total = time.perf_counter() - t0
if any(rcs):
    print(f"PostGIS sessions failed or timed out: {rcs}"); sys.exit(2)
print(f"RESULT PostGIS: {len(filters)} reports in {pg_total:.3f} s (wall time, {SESSIONS} sessions)")
sql = " UNION ALL ".join(f"SELECT filter, code, coalesce(population, -1), area_km2, covered_km2 FROM pg_coverage_{i}" for i in range(SESSIONS))
out = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", PG, "-c", sql], capture_output=True, text=True, check=True, timeout=300).stdout

# -- comparison
pairs = km_bad = pop_bad = missing = 0
worst_area = (0.0, None); worst_abs = (0.0, None); worst_rel = (0.0, None); worst_pop = (0.0, None)
for line in out.splitlines():
    f, code, pop, area, cov = line.split("\t")
    pop, area, cov = int(pop), float(area), float(cov)
    r = api.get(f, {}).get(code)
    if r is None:
        missing += 1; continue
    pairs += 1
    d = abs(r["covered_km2"] - cov)
    rel = d / cov if cov > 0 else (0.0 if d == 0 else float("inf"))
    da = abs(r["area_km2"] - area)
    if da > worst_area[0]: worst_area = (da, (f, code, r["area_km2"], area))
    if d > worst_abs[0]: worst_abs = (d, (f, code, r["covered_km2"], cov))
    if d > 0.01 and rel > worst_rel[0]: worst_rel = (rel, (f, code, r["covered_km2"], cov))
    if d > 0.01 and rel > 0.001: km_bad += 1
    if pop >= 0:
        pg_pop = pop * cov / area if area > 0 else 0.0
        dp = abs((r["covered_population"] or 0) - pg_pop)
        if dp > worst_pop[0]: worst_pop = (dp, (f, code, r["covered_population"], round(pg_pop, 2)))
        if dp > 1: pop_bad += 1
print(f"compared {pairs} municipality × filter pairs ({missing} missing from onconet's answer)")
print(f"largest |area_km2 difference| (whole region): {worst_area[0]:.6f} km²  (filter, code, onconet, PostGIS) = {worst_area[1]}")
print(f"largest |covered_km2 difference|: {worst_abs[0]:.6f} km²  (filter, code, onconet, PostGIS) = {worst_abs[1]}")
print(f"largest relative difference among those > 0.01 km²: {worst_rel[0]*100:.4f} %  {worst_rel[1]}")
print(f"largest |covered_population difference|: {worst_pop[0]:.2f}  (filter, code, onconet, PostGIS) = {worst_pop[1]}")
print(f"RESULT pairs over 0.01 km² and 0.1 %: {km_bad}; over 1 person: {pop_bad}")

# -- refresh after one edit
ok = True
import random
rng = random.Random(3)
target = None
for f in filters:
    if f == "all": continue
    # a counting network with a municipality list offering this discipline
    pass
ids, page = [], 1
while True:
    _, _, d = request(f"/v1/networks?per_page=100&page={page}")
    v = json.loads(d); ids += [i["id"] for i in v["items"]]
    if page >= v["page"]["total_pages"] or not v["items"]: break
    page += 1
for i in ids:
    _, h, d = request(f"/v1/networks/{i}")
    p = json.loads(d)
    if p["type"] == "oncology_care_network" and p["lifecycle"] == "active" and p["disciplines"] \
       and p.get("service_area", {}).get("municipalities"):
        target = p; break
codes = sorted(api["all"].keys())
nid = target["id"]; disc = target["disciplines"][0]
base_muni = list(target["service_area"]["municipalities"])
extra = next(c for c in codes if c not in base_muni)
print(f"refresh: network {nid} ({len(base_muni)} municipalities), filter discipline={disc}, toggling {extra}")
request(path_for(disc))  # make sure it is cached
times = []
for k in range(EDITS):
    _, h, d = request(f"/v1/networks/{nid}")
    etag = h.get("etag")
    sa = json.loads(d)["service_area"]
    munis = base_muni + [extra] if k % 2 == 0 else base_muni
    sa = dict(sa, municipalities=munis)
    request(f"/v1/networks/{nid}", "PATCH", json.dumps({"service_area": sa}).encode(),
            {"If-Match": etag, "Content-Type": "application/merge-patch+json"})
    # the cache learns of the write asynchronously; a `hit` means it had not yet: not counted, ask again
    for attempt in range(200):
        dt, h, d = request(path_for(disc))
        cache = h.get("x-coverage-cache", "?")
        if not cache.startswith("hit"): break
        time.sleep(0.01)
    times.append(dt)
    print(f"refresh {k+1}: {dt*1000:.1f} ms [{cache}]" + ("" if cache.startswith("partial") else "  (not partial!)"))
print(f"RESULT refresh median: {statistics.median(times)*1000:.1f} ms over {EDITS} edits")
ratio = pg_total / api_total if api_total > 0 else float("nan")
with open(f"{WORK}/summary.txt", "w") as s:
    s.write(f"onconet: {len(filters)} national municipality reports (every discipline + all, each a cache miss): {api_total:.3f} s\n")
    s.write(f"PostGIS best plan ({SESSIONS} sessions): {pg_total:.3f} s\n")
    s.write(f"ratio PostGIS / onconet: {ratio:.1f}x   (target >= 15)\n")
    s.write(f"largest covered_km2 difference: {worst_abs[0]:.6f} km²; pairs over 0.01 km² and 0.1 %: {km_bad}   (target 0)\n")
    s.write(f"largest covered_population difference: {worst_pop[0]:.2f}; pairs over 1 person: {pop_bad}   (target 0)\n")
    s.write(f"refresh after one edit (median of {EDITS}): {statistics.median(times)*1000:.1f} ms   (target <= 50)\n")
sys.exit(1 if km_bad or pop_bad else 0)
PY
status=$?
set -e
step "summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
echo "registry: $published published networks ($NETWORKS SYNTHETIC, seed $SEED)"
[ -r "$WORK/summary.txt" ] && cat "$WORK/summary.txt"
pgb="$(grep -o '[0-9]* %' "$WORK/busy-pg.txt" 2>/dev/null | tr -d ' %' || true)"
if [ -n "$pgb" ] && [ "$pgb" -ge 10 ]; then BUSY_NOTES+=("PostGIS: machine $pgb % busy with other work just before"); fi
for l in "${BUSY_NOTES[@]}"; do echo "NOISE: $l"; done
exit "$status"
