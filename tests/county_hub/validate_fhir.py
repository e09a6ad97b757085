#!/usr/bin/env python3
"""Validates FHIR documents against the official FHIR R4 JSON schema (draft-06).

  validate_fhir.py --schema fhir.schema.json [--fixture EXPORT_FIXTURE] [FILE...]

--fixture runs `EXPORT_FIXTURE fhir OUT` (tests/county_hub/export_fixture_main.cc) and
validates OUT too. Exit 0 when every document is valid, 1 when one is not (every error is
printed), 77 (ctest's skip) when the schema file is absent, 2 on bad usage.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

SKIP = 77


def load_validator(schema_path):
    import jsonschema  # python3-jsonschema (4.10 on Debian 12): draft-06 is what FHIR uses
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.Draft6Validator(schema)


def validate(validator, path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path)
        print(f"{path}: {where}: {e.message[:300]}")
    if doc.get("resourceType") != "Bundle" or doc.get("type") != "collection":
        print(f"{path}: not a Bundle of type collection")
        return False
    entries = doc.get("entry", [])
    print(f"{path}: Bundle of {len(entries)} entries, {len(errors)} schema errors")
    return not errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--schema", required=True)
    parser.add_argument("--fixture")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    if not os.path.isfile(args.schema):
        print(f"SKIPPED: no FHIR schema at {args.schema}: run scripts/fetch-fhir-schema.sh "
              "(needs npm and the npm registry)")
        return SKIP
    validator = load_validator(args.schema)
    files = list(args.files)
    with tempfile.TemporaryDirectory() as tmp:
        if args.fixture:
            out = os.path.join(tmp, "fixture.fhir.json")
            subprocess.run([args.fixture, "fhir", out], check=True)
            files.append(out)
        if not files:
            print("nothing to validate")
            return 2
        ok = all([validate(validator, f) for f in files])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
