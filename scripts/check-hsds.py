#!/usr/bin/env python3
"""Validates every document of onconet's HSDS views against the official HSDS schemas.

Usage: check-hsds.py BASE_URL LABEL [--expect-organizations N] [--forbid TEXT]...

Fetches every page of /hsds/organizations, /hsds/services (both also with full=true),
/hsds/service_areas and /hsds/locations, and each document by its id, and validates each page
envelope against tests/hsds/schema/page.json and each document against the schema of its kind
(tests/hsds/schema/, every $ref resolved to those files; formats checked). Checks that ids are
unique, that the references between documents resolve, and that no body contains a --forbid
text. Prints "KIND: N valid / M" per kind and exits 1 on any failure.
"""

import argparse
import json
import pathlib
import sys
import urllib.request

import jsonschema
import referencing
import referencing.jsonschema

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tests" / "hsds" / "schema"
BASE_ID = "https://raw.githubusercontent.com/openreferral/specification/refs/heads/3.2/schema/"
KINDS = {
    "organizations": "organization",
    "services": "service",
    "service_areas": "service_area",
    "locations": "location",
}
PER_PAGE = 100


def validators():
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        if path.name == "page.json":
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        if schema.get("$id") != BASE_ID + path.name:
            sys.exit(f"{path}: unexpected $id {schema.get('$id')!r}")
        resources.append(
            (BASE_ID + path.name, referencing.Resource.from_contents(
                schema, default_specification=referencing.jsonschema.DRAFT202012))
        )
    registry = referencing.Registry().with_resources(resources)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    out = {
        kind: jsonschema.Draft202012Validator(
            {"$ref": BASE_ID + name + ".json"}, registry=registry, format_checker=checker)
        for kind, name in KINDS.items()
    }
    page = json.loads((SCHEMAS / "page.json").read_text(encoding="utf-8"))
    out["page"] = jsonschema.Draft202012Validator(page, format_checker=checker)
    # The validators must refuse what HSDS refuses, or a pass means nothing.
    for kind, bad in [
        ("organizations", {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610", "name": "no description"}),
        ("organizations", {"id": "not-a-uuid", "name": "x", "description": "y"}),
        ("services", {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "x", "status": "open"}),
        ("service_areas", {"id": "381c64f1-a724-4884-9c21-ac96c21cca3e", "extent": {}}),
        ("locations", {"id": "3a19ff88-4620-4d17-9830-ac1d859eb5d5", "location_type": "office"}),
        ("page", {"total_items": 1}),
    ]:
        if out[kind].is_valid(bad):
            sys.exit(f"the {kind} validator accepts {bad}")
    return out


class Check:
    def __init__(self, base, forbid):
        self.base = base.rstrip("/")
        self.forbid = forbid
        self.failures = []
        self.requests = 0

    def get(self, path):
        self.requests += 1
        req = urllib.request.Request(self.base + path, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, text = r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode("utf-8", "replace")
        for word in self.forbid:
            if word in text:
                self.fail(f"{path}: the body contains {word!r}")
        if status != 200:
            self.fail(f"{path}: HTTP {status}: {text[:300]}")
            return None
        return json.loads(text)

    def fail(self, message):
        if len(self.failures) < 50:
            print("FAIL", message, file=sys.stderr)
        self.failures.append(message)

    def validate(self, validator, doc, what):
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:5]:
            self.fail(f"{what}: {e.message} at {'/'.join(map(str, e.path)) or '(root)'}")
        return not errors

    def walk(self, vals, kind, query=""):
        """Every page of /hsds/KIND; returns (documents, valid count)."""
        docs, valid, page = [], 0, 1
        while True:
            path = f"/hsds/{kind}?per_page={PER_PAGE}&page={page}{query}"
            body = self.get(path)
            if body is None:
                return docs, valid
            self.validate(vals["page"], body, path)
            contents = body.get("contents", [])
            if body.get("size") != len(contents) or body.get("page_number") != page:
                self.fail(f"{path}: size/page_number do not match the contents")
            for i, doc in enumerate(contents):
                valid += self.validate(vals[kind], doc, f"{path} contents[{i}]")
            docs.extend(contents)
            if body.get("last_page", True) or not contents:
                if len(docs) != body.get("total_items"):
                    self.fail(f"/hsds/{kind}{query}: {len(docs)} documents, total_items {body.get('total_items')}")
                return docs, valid
            page += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("label")
    parser.add_argument("--expect-organizations", type=int)
    parser.add_argument("--forbid", action="append", default=[])
    args = parser.parse_args()
    vals = validators()
    check = Check(args.base, args.forbid)
    ids = {}
    lines = []
    for kind in KINDS:
        variants = ["", "&full=true"] if kind in ("organizations", "services") else [""]
        total = valid = 0
        for query in variants:
            docs, ok = check.walk(vals, kind, query)
            total += len(docs)
            valid += ok
            these = [d.get("id") for d in docs]
            if len(set(these)) != len(these):
                check.fail(f"/hsds/{kind}{query}: ids are not unique")
            if kind not in ids:
                ids[kind] = these
            elif ids[kind] != these:
                check.fail(f"/hsds/{kind}{query}: other ids than without it")
        # Each document by its id.
        for doc_id in ids[kind]:
            path = f"/hsds/{kind}/{doc_id}"
            doc = check.get(path)
            total += 1
            if doc is not None:
                valid += check.validate(vals[kind], doc, path)
                if doc.get("id") != doc_id:
                    check.fail(f"{path}: another id in the body")
        n = len(ids[kind])
        lines.append(f"{kind}: {valid} valid / {total} ({n} documents; pages{' plain and full' if kind in ('organizations', 'services') else ''}, then each by id)")
    organizations = set(ids["organizations"])
    services = set(ids["services"])
    if args.expect_organizations is not None and len(organizations) != args.expect_organizations:
        check.fail(f"{len(organizations)} organizations, expected {args.expect_organizations}")
    if len(services) != len(organizations):
        check.fail(f"{len(services)} services for {len(organizations)} organizations")
    # References between documents (from the plain pages, fetched again cheaply).
    for kind, field, targets in [
        ("services", "organization_id", organizations),
        ("service_areas", "service_id", services),
        ("locations", "organization_id", organizations),
    ]:
        docs, _ = check.walk(vals, kind)
        dangling = [d.get("id") for d in docs if d.get(field) not in targets]
        if dangling:
            check.fail(f"{kind}: {len(dangling)} with a {field} that names no document, e.g. {dangling[0]}")
    print(f"== HSDS validation, {args.label} ({check.requests} requests)")
    for line in lines:
        print(line)
    if check.failures:
        print(f"{args.label}: {len(check.failures)} failures")
        return 1
    print(f"{args.label}: every document valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
