#!/usr/bin/env python3
"""tests/schema/check_schema.py: docs/scenario.schema.json against the scenarios.

Every scenario in tests/scenarios/valid and every shipped drill in scenarios/ must
validate; every case of tests/scenarios/invalid must be rejected, except those
tests/schema/beyond-schema.txt names (with why the schema cannot see them), and each of
those must still be accepted, so that the list stays exact. Files are read as
yaml-language-server reads them (YAML 1.2: `yes` and `2026-12-02T03:00:00Z` stay strings).
"""
import json
import os
import re
import sys

import jsonschema
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2's core schema: booleans are true and false only, no timestamps."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for first in list(Yaml12Loader.yaml_implicit_resolvers):
    Yaml12Loader.yaml_implicit_resolvers[first] = [
        (tag, rx) for tag, rx in Yaml12Loader.yaml_implicit_resolvers[first]
        if tag != "tag:yaml.org,2002:bool"
    ]
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Yaml12Loader)


def main():
    with open(os.path.join(ROOT, "docs", "scenario.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []
    count = {"valid": 0, "rejected": 0, "beyond": 0}

    valid = [os.path.join(ROOT, "tests", "scenarios", "valid", n)
             for n in sorted(os.listdir(os.path.join(ROOT, "tests", "scenarios", "valid")))]
    valid += [os.path.join(ROOT, "scenarios", n)
              for n in sorted(os.listdir(os.path.join(ROOT, "scenarios")))]
    for path in valid:
        if not path.endswith(".yaml"):
            continue
        doc = load(path)
        if isinstance(doc, dict) and "timeline" not in doc and "hosts" in doc:
            continue  # an inventory beside the scenarios
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            failures.append("%s: valid, but the schema rejects it at %s: %s"
                            % (os.path.relpath(path, ROOT), "/".join(map(str, e.absolute_path)),
                               e.message[:300]))
        count["valid"] += 1

    beyond = {}
    with open(os.path.join(ROOT, "tests", "schema", "beyond-schema.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, why = line.partition(" ")
                beyond[name] = why.strip()
    invalid_dir = os.path.join(ROOT, "tests", "scenarios", "invalid")
    for name in sorted(os.listdir(invalid_dir)):
        path = os.path.join(invalid_dir, name, "scenario.yaml")
        try:
            doc = load(path)
            rejected = not validator.is_valid(doc)
        except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError):
            rejected = True  # not YAML an editor can read: nothing to validate
        if name in beyond:
            count["beyond"] += 1
            if rejected:
                failures.append("%s: listed in beyond-schema.txt, but the schema rejects it" % name)
        elif not rejected:
            failures.append("%s: invalid, but the schema accepts it (reject it, or list it in "
                            "tests/schema/beyond-schema.txt with why)" % name)
        else:
            count["rejected"] += 1
    for name in beyond:
        if not os.path.isdir(os.path.join(invalid_dir, name)):
            failures.append("%s: listed in beyond-schema.txt, but there is no such case" % name)
    for f in failures:
        print("FAIL " + f)
    print("schema: %d valid scenarios validate; %d invalid cases rejected, %d beyond the schema"
          % (count["valid"], count["rejected"], count["beyond"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
