#!/usr/bin/env python3
"""Exactly N find-a-network searches, then /v1/usage must show exactly what was asked.

Used by scripts/bench-usage.sh on a fresh server (nothing counted before). Each search is a
GET /v1/search (first page) for a municipality (or a point in it) with one of a few filters;
the script tallies, from the answers themselves, what the server must count: per municipality
(the answer's place), per filter (as the server writes it) and whether a network covered the
place. Then it waits for the counts to reach the database and compares /v1/usage with the
tally under the suppression rule: a count of 5 or more is shown exactly, one below 5 never.

A few searches carry a bearer token with a known subject and leave from a second loopback
address (PROBE_ADDRESS), so that the caller can grep the dump and the logs for both.

Standard library only. Usage:
  usage_exact.py BASE_URL STAFF_TOKEN PROBE_TOKEN PROBE_ADDRESS [N] [SEED]
"""

import http.client
import json
import random
import sys
import time
import urllib.parse

MIN_SHOWN = 5
# Filters as a client sends them, in the order the server writes them back.
FILTERS = [
    "",
    "discipline=physiotherapy",
    "type=oncology_care_network",
    "type=oncology_care_network&discipline=dietetics,physiotherapy",
]


def connection(base, source=None):
    u = urllib.parse.urlsplit(base)
    kwargs = {"timeout": 30}
    if source:
        kwargs["source_address"] = (source, 0)
    return http.client.HTTPConnection(u.hostname, u.port, **kwargs)


def get(conn, path, token=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"usage-exact: {path} answered {r.status}: {body[:300]!r}")
    return json.loads(body)


def main():
    base, staff, probe, probe_address = sys.argv[1:5]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 10_000
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 17)
    conn = connection(base)
    probe_conn = connection(base, probe_address)

    municipalities = []
    page = 1
    while True:
        listed = get(conn, f"/v1/regions/municipality?per_page=100&page={page}")
        municipalities += [r["code"] for r in listed["items"]]
        if page >= listed["page"]["total_pages"]:
            break
        page += 1
    # 60 places: 55 searched often (weights 1..55), 5 searched 1 to 4 times (never shown).
    rng.shuffle(municipalities)
    common, rare = municipalities[:55], municipalities[55:60]
    plan = [(code, count) for code, count in zip(rare, [1, 2, 3, 4, 4])]
    left = n - sum(c for _, c in plan)
    weights = list(range(1, len(common) + 1))
    picks = rng.choices(common, weights=weights, k=left)
    searches = [code for code, count in plan for _ in range(count)] + picks
    rng.shuffle(searches)

    expect_place, expect_filter = {}, {}
    without = 0
    started = time.monotonic()
    for i, code in enumerate(searches):
        f = rng.choice(FILTERS)
        query = f"municipality={code}" + (f"&{f}" if f else "")
        use_probe = i % 500 == 0
        answer = get(probe_conn if use_probe else conn, f"/v1/search?{query}",
                     probe if use_probe else None)
        place = (answer["place"].get("municipality") or {}).get("code", "")
        covered = bool(answer["items"]) and answer["items"][0]["covers"]
        for tally, key in ((expect_place, place), (expect_filter, f)):
            t = tally.setdefault(key, [0, 0])
            t[0] += 1
            t[1] += 0 if covered else 1
        without += 0 if covered else 1
    elapsed = time.monotonic() - started
    print(f"usage-exact: {n} searches in {elapsed:.1f} s ({n / elapsed:.0f}/s, one connection), "
          f"{without} without a covering network, {len(expect_place)} municipalities, "
          f"{n // 500 + (1 if n % 500 else 0)} with the probe token from {probe_address}")

    # The counts reach the database within the flush interval.
    deadline = time.monotonic() + 60
    while True:
        report = get(conn, "/v1/usage?top=100", staff)
        if report["totals"]["finder_searches"] == n or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    problems = []

    def shown(count):
        return count if count >= MIN_SHOWN else None

    def check(name, value, expected):
        if value != expected:
            problems.append(f"{name}: shown {value}, expected {expected}")

    check("total searches", report["totals"]["finder_searches"], shown(n))
    check("total without result", report["totals"]["finder_searches_without_result"], shown(without))
    today = report["days"][-1]
    check("today's searches", today["finder_searches"], shown(n))
    for section, expected in (("municipalities", expect_place), ("filters", expect_filter)):
        listed = {e["key"]: e for e in report["top"][section]}
        for key, (count, empty) in expected.items():
            e = listed.get(key)
            if count < MIN_SHOWN:
                if e is not None:
                    problems.append(f"{section} {key!r}: {count} searches shown ({e['count']})")
                continue
            if e is None:
                problems.append(f"{section} {key!r}: {count} searches not listed")
                continue
            check(f"{section} {key!r}", e["count"], count)
            check(f"{section} {key!r} without result", e.get("without_result"), shown(empty))
        for key in listed:
            if key not in expected:
                problems.append(f"{section} {key!r}: listed, never searched")
    rare_hidden = sum(1 for c, _ in expect_place.values() if c < MIN_SHOWN)
    shown_places = sum(1 for c, _ in expect_place.values() if c >= MIN_SHOWN)
    print(f"usage-exact: /v1/usage shows {report['totals']['finder_searches']} searches "
          f"({report['totals']['finder_searches_without_result']} without result); "
          f"{shown_places} municipalities listed with exact counts, {rare_hidden} with 1-4 "
          f"searches suppressed; {len(expect_filter)} filters")
    if problems:
        for p in problems[:50]:
            print("usage-exact: MISMATCH " + p)
        raise SystemExit(f"usage-exact: {len(problems)} mismatches")
    print("usage-exact: every shown count exact, every count below 5 suppressed: ok")


if __name__ == "__main__":
    main()
