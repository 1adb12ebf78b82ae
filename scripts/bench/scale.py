"""Coverage timings and memory for scripts/bench-scale.sh (issue 18, item 5), against a running
server with the synthetic registry loaded: for each layer, the national coverage report cold
(the first request: a cache miss) and after one edit (a PATCH of a network's service area, then
the report: a partial refresh), and the server's resident memory. Prints RESULT lines.

Environment: BASE (server URL), TOKEN (staff token), PID (server process), EDITS (edits per
layer), LAYERS (space-separated layer names).
"""

import json
import os
import statistics
import time
import urllib.request

BASE, TOKEN, PID = os.environ["BASE"], os.environ["TOKEN"], os.environ["PID"]
EDITS = int(os.environ.get("EDITS", "5"))
LAYERS = os.environ.get("LAYERS", "municipality pc4").split()
AUTH = {"Authorization": "Bearer " + TOKEN}


def request(path, method="GET", body=None, headers=None):
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=dict(AUTH, **(headers or {})))
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        data = r.read()
        return time.perf_counter() - t0, {k.lower(): v for k, v in r.headers.items()}, data


def rss_mb():
    """VmRSS and VmHWM (peak) of the server, MiB."""
    fields = {}
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                fields[k] = int(v.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def report(layer):
    dt, h, data = request(f"/v1/coverage?layer={layer}")
    v = json.loads(data)
    return dt, h.get("x-coverage-cache", "?"), v


# A counting network (active oncology care network) whose area is a list of municipalities.
target, page = None, 1
while target is None:
    _, _, d = request(f"/v1/networks?per_page=100&page={page}&type=oncology_care_network")
    listing = json.loads(d)
    for item in listing["items"]:
        _, _, d = request(f"/v1/networks/{item['id']}")
        p = json.loads(d)
        if p["lifecycle"] == "active" and p.get("service_area", {}).get("municipalities"):
            target = p
            break
    if page >= listing["page"]["total_pages"]:
        break
    page += 1
if target is None:
    raise SystemExit("no active oncology care network with a municipality list")
_, _, d = request("/v1/regions/municipality?per_page=5000")
codes = sorted(r["code"] for r in json.loads(d)["items"])
base_muni = list(target["service_area"]["municipalities"])
extra = next(c for c in codes if c not in base_muni)
print(f"edits: network {target['id']} ({len(base_muni)} municipalities), toggling {extra}")

edit_no = 0
for layer in LAYERS:
    dt, cache, v = report(layer)
    print(f"{layer}: cold report {dt * 1000:.1f} ms [{cache}] regions={len(v['regions'])} networks={v['networks']} coverage={v['summary']['coverage']:.4f}")
    if not cache.startswith("miss"):
        print(f"WARNING: {layer}: the first report was {cache}, not a miss")
    cold = dt
    times = []
    for k in range(EDITS):
        _, h, d = request(f"/v1/networks/{target['id']}")
        sa = json.loads(d)["service_area"]
        munis = base_muni + [extra] if edit_no % 2 == 0 else base_muni
        edit_no += 1
        request(f"/v1/networks/{target['id']}", "PATCH", json.dumps({"service_area": dict(sa, municipalities=munis)}).encode(),
                {"If-Match": h["etag"], "Content-Type": "application/merge-patch+json"})
        # The cache learns of the write through the database's notification, a moment after the
        # 2xx: a `hit` is the old report, so ask again (the waiting is not counted).
        for _ in range(500):
            dt, cache, _ = report(layer)
            if not cache.startswith("hit"):
                break
            time.sleep(0.01)
        times.append(dt)
        print(f"{layer}: after edit {k + 1}: {dt * 1000:.1f} ms [{cache}]")
    print(f"RESULT {layer} cold_ms={cold * 1000:.1f} after_edit_median_ms={statistics.median(times) * 1000:.1f} after_edit_max_ms={max(times) * 1000:.1f}")

rss, hwm = rss_mb()
print(f"RESULT rss_mb={rss:.0f} peak_mb={hwm:.0f}")
