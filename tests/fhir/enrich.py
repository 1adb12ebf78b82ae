#!/usr/bin/env python3
"""Adds seeded, made-up members (AGB and KvK numbers, a discipline, membership dates, some
ended) and contacts (public and not) to `onconet-bench synth` request bodies, so that the FHIR
check has memberships and contacts to map. Usage: enrich.py IN.jsonl OUT.jsonl [--seed N]"""
import json
import random
import sys

DISCIPLINES = ["physiotherapy", "dietetics", "psychology", "occupational_therapy", "skin_therapy", None]
KINDS = ["practice", "practice", "organisation", "hospital", "umc"]
PRIVATE = "PRIVATE-SENTINEL"


def main(argv):
    src, dst = argv[0], argv[1]
    rng = random.Random(int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 7)
    with open(src) as f, open(dst, "w") as out:
        for n, line in enumerate(f):
            body = json.loads(line)
            members = []
            for i in range(rng.randint(0, 6)):
                ended = rng.random() < 0.15
                year = rng.randint(18, 24) if ended else rng.randint(18, 25)
                start = f"20{year}-{rng.randint(1, 12):02d}-01"
                members.append({
                    "name": f"[SYNTH] Praktijk {n}-{i}",
                    "kind": rng.choice(KINDS),
                    "discipline": rng.choice(DISCIPLINES),
                    "agb": f"{rng.randint(0, 99999999):08d}" if rng.random() < 0.6 else None,
                    "kvk": f"{rng.randint(0, 99999999):08d}" if rng.random() < 0.5 else None,
                    "location": {"lat": round(rng.uniform(51.0, 53.4), 5), "lon": round(rng.uniform(3.6, 7.1), 5)},
                    "valid_from": start if rng.random() < 0.7 else None,
                    "valid_to": "2025-06-30" if ended else None,
                    "in_verwijsgids": rng.random() < 0.5,
                })
            body["members"] = members
            body["contacts"] = [
                {"role": "coordinator", "name": f"Coordinator {n}", "email": f"info{n}@example.nl",
                 "phone": "+31 50 123 4567", "public": True},
                {"role": "chair", "name": f"Voorzitter {PRIVATE} {n}", "email": f"private-sentinel.{n}@example.nl",
                 "phone": None, "public": False},
            ]
            out.write(json.dumps(body) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
