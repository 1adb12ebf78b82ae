#!/usr/bin/env python3
"""Pulls every page of every FHIR view of an onconet server and writes what it got, one JSON
document a line: OUT/search.ndjson (every searchset page of Organization,
OrganizationAffiliation and Location), OUT/history.ndjson (every page of each type's
_history), OUT/other.ndjson (the CapabilityStatement, reads of up to --reads resources per
type, their instance histories, and a few refused requests' OperationOutcomes).

Usage: crawl.py BASE_URL OUT_DIR [--reads N] [--count N]
"""
import json
import os
import sys
import urllib.error
import urllib.request

TYPES = ["Organization", "OrganizationAffiliation", "Location"]


def get(url, expect=200):
    req = urllib.request.Request(url, headers={"Accept": "application/fhir+json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, ctype, body = r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, body = e.code, e.headers.get("Content-Type"), e.read()
    if status != expect:
        sys.exit(f"{url}: {status}, expected {expect}: {body[:300]!r}")
    if ctype != "application/fhir+json":
        sys.exit(f"{url}: Content-Type {ctype}")
    return json.loads(body)


def pages(url):
    while url:
        bundle = get(url)
        yield bundle
        url = next((l["url"] for l in bundle.get("link", []) if l["relation"] == "next"), None)


def main(argv):
    base, out = argv[0].rstrip("/"), argv[1]
    reads = int(argv[argv.index("--reads") + 1]) if "--reads" in argv else 1_000_000
    count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 200
    os.makedirs(out, exist_ok=True)
    ids = {}
    with open(f"{out}/search.ndjson", "w") as f:
        for t in TYPES:
            seen = []
            total = None
            for bundle in pages(f"{base}/fhir/{t}?_count={count}"):
                f.write(json.dumps(bundle) + "\n")
                total = bundle["total"]
                seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
            if len(seen) != total or len(set(seen)) != total:
                sys.exit(f"{t}: total {total}, {len(seen)} entries, {len(set(seen))} distinct")
            ids[t] = seen
            print(f"{t}: {total} resources in {-(-total // count) if count else 0} pages")
    with open(f"{out}/history.ndjson", "w") as f:
        for t in TYPES:
            n = 0
            for bundle in pages(f"{base}/fhir/{t}/_history?_count={count}"):
                f.write(json.dumps(bundle) + "\n")
                n = bundle["total"]
            print(f"{t} history: {n} entries")
    with open(f"{out}/other.ndjson", "w") as f:
        f.write(json.dumps(get(f"{base}/fhir/metadata")) + "\n")
        for t in TYPES:
            for i in ids[t][:reads]:
                f.write(json.dumps(get(f"{base}/fhir/{t}/{i}")) + "\n")
                f.write(json.dumps(get(f"{base}/fhir/{t}/{i}/_history")) + "\n")
        for path, status in [("/fhir/Patient", 404), ("/fhir/Organization?bogus=1", 400),
                             ("/fhir/Organization/unknown-id", 404),
                             ("/fhir/Organization?_lastUpdated=xx2026", 400),
                             ("/fhir/Organization?_format=xml", 406)]:
            f.write(json.dumps(get(base + path, expect=status)) + "\n")
    print(f"reads: up to {reads} per type, each with its _history")


if __name__ == "__main__":
    main(sys.argv[1:])
