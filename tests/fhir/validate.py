#!/usr/bin/env python3
"""Validates FHIR R4 JSON documents with the `fhir.resources` models (R4, 4.0.1): each
document as a whole (a Bundle with every resource in it), and every resource in a Bundle on
its own, counted per resource type. What the model holds must have the keys and JSON types
sent (pydantic 1 would turn "yes" into true silently). A Location's boundary extension must also decode (base64)
to a GeoJSON Polygon or MultiPolygon.

Input: files named on the command line, or standard input; each holds one JSON document, or
one a line (NDJSON). Prints "Type: N valid / M" per resource type; with --json, one JSON
object {"Type": [valid, total], ...} instead. Exits 1 when anything is invalid.
"""
import base64
import json
import sys
from collections import defaultdict

import fhir.resources
from fhir.resources import construct_fhir_element

BOUNDARY = "http://hl7.org/fhir/StructureDefinition/location-boundary-geojson"

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__


def documents(texts):
    for name, text in texts:
        text = text.strip()
        if not text:
            continue
        try:
            yield name, json.loads(text)
        except json.JSONDecodeError:
            for n, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    yield f"{name}:{n}", json.loads(line)


def json_kind(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


def shape_problem(sent, parsed, path="$"):
    """pydantic 1 coerces ("yes" to true, 1 to "1"): the document must come back from the
    model with the same keys and the same JSON type at every leaf (strings may be reformatted,
    e.g. instants)."""
    if json_kind(sent) != json_kind(parsed):
        return f"{path}: sent a {json_kind(sent)}, the R4 model holds a {json_kind(parsed)}"
    if isinstance(sent, dict):
        if set(sent) != set(parsed):
            return f"{path}: keys {sorted(set(sent) ^ set(parsed))} differ after parsing"
        for k in sent:
            p = shape_problem(sent[k], parsed[k], f"{path}.{k}")
            if p:
                return p
    if isinstance(sent, list):
        if len(sent) != len(parsed):
            return f"{path}: {len(sent)} items sent, {len(parsed)} parsed"
        for i, (a, b) in enumerate(zip(sent, parsed)):
            p = shape_problem(a, b, f"{path}[{i}]")
            if p:
                return p
    return None


def boundary_problem(location):
    for ext in location.get("extension", []):
        if ext.get("url") != BOUNDARY:
            continue
        att = ext.get("valueAttachment") or {}
        if att.get("contentType") != "application/geo+json":
            return "boundary contentType is not application/geo+json"
        try:
            geometry = json.loads(base64.b64decode(att["data"], validate=True))
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            return f"boundary data does not decode: {e}"
        if geometry.get("type") not in ("Polygon", "MultiPolygon") or not geometry.get("coordinates"):
            return f"boundary is not a Polygon or MultiPolygon: {str(geometry)[:80]}"
    return None


def main(argv):
    as_json = "--json" in argv
    files = [a for a in argv if a != "--json"]
    texts = [(f, open(f, encoding="utf-8").read()) for f in files] or [("stdin", sys.stdin.read())]
    counts = defaultdict(lambda: [0, 0])
    errors = []

    def check(where, resource):
        kind = resource.get("resourceType", "?")
        counts[kind][1] += 1
        try:
            model = construct_fhir_element(kind, resource)
        except Exception as e:  # noqa: BLE001
            errors.append(f"{where}: {kind}/{resource.get('id')}: {e}")
            return
        problem = shape_problem(resource, json.loads(model.json()))
        if not problem and kind == "Location":
            problem = boundary_problem(resource)
        if problem:
            errors.append(f"{where}: {kind}/{resource.get('id')}: {problem}")
            return
        counts[kind][0] += 1

    for where, doc in documents(texts):
        check(where, doc)
        if doc.get("resourceType") == "Bundle":
            for i, entry in enumerate(doc.get("entry", [])):
                if "resource" in entry:
                    check(f"{where} entry {i}", entry["resource"])

    if as_json:
        print(json.dumps({k: v for k, v in sorted(counts.items())}))
    else:
        for kind, (valid, total) in sorted(counts.items()):
            print(f"{kind}: {valid} valid / {total}")
    for e in errors[:20]:
        print(e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} invalid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
