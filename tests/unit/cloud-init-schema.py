#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The vpmem key's cloud-init schema and merge-cloud-init-schema, no cloud-init
needed (tests/guest/cloud-init-schema.sh runs them against the real one):

- the schema names exactly the keys of the agent's policy parser, from its
  own tables (tests/unit/policy-keys prints them), and requires the ones it
  requires; it gives no types, on purpose (below), so vpmem.json(5) is held
  to the types: its KEYS section lists exactly those keys, each with its
  JSON types;
- the merge adds vpmem to both shapes of cloud-init's schema (22.4: no
  top-level "properties"; 24.1 and later: every key listed) and changes
  nothing else; it refuses a schema that has vpmem already or is not one, and
  then leaves the output file as it was;
- the examples validate; unknown keys and a missing name do not;
- validating a YAML alias bomb under the vpmem key stays small and fast:
  cloud-init's validator puts a failing value into its message in full, which
  for a type check on a 9^9-value alias bomb took cloud-init 25.1 down
  (OOM-killed in the Debian 13 guest), so the schema checks keys only.
"""

import copy
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema
import yaml

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BUILD = os.environ.get("top_builddir") or TOP
SCHEMA = os.path.join(TOP, "cloud-init", "cloud-init-schema.json")
MERGE = os.path.join(TOP, "cloud-init", "merge-cloud-init-schema")
MAN_PAGE = os.path.join(TOP, "man", "vpmem.json.5.in")
POLICY_KEYS = os.path.join(BUILD, "tests", "unit", "policy-keys")
EXAMPLES = os.path.join(TOP, "cloud-init", "examples")

# cloud-init's schema file, in its two shapes, cut down
BASE_24 = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "$defs": {"cc_runcmd": {"type": "object", "properties": {"runcmd": {"type": "array"}}}},
    "allOf": [{"$ref": "#/$defs/cc_runcmd"}],
    "properties": {"runcmd": {}},
    "additionalProperties": False,
}
BASE_22 = {k: v for k, v in BASE_24.items() if k not in ("properties", "additionalProperties")}


def table_keys():
    """The parser's keys, from its tables: {"top"|"entry": {name: (set of JSON types, required)}}."""
    out = subprocess.run([POLICY_KEYS], capture_output=True, text=True, check=True).stdout
    keys = {"top": {}, "entry": {}}
    for line in out.splitlines():
        scope, name, types, *flags = line.split()
        keys[scope][name] = (set(types.split(",")), flags == ["required"])
    if not keys["top"] or not keys["entry"]:
        raise AssertionError("%s printed no keys" % POLICY_KEYS)
    return keys


def man_keys():
    """The keys of vpmem.json(5)'s KEYS section, as the table_keys(): ".TP", then
    ".BR name " (type or type)"", top-level keys before "Namespace entries"."""
    with open(MAN_PAGE, encoding="utf-8") as f:
        lines = f.read().splitlines()
    keys = {"top": {}, "entry": {}}
    scope = None
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            scope = "top" if line == ".SH KEYS" else None
        elif line == ".SS Namespace entries" and scope:
            scope = "entry"
        elif scope and i and lines[i - 1] == ".TP":
            words = shlex.split(line)[1:]
            m = re.fullmatch(r"\s*\((.*)\)", words[-1])
            if not m:
                raise AssertionError("no (type) after the key in %s: %s" % (MAN_PAGE, line))
            required = lines[i + 1].startswith("Required")
            for name in words[:-1]:
                if re.fullmatch(r"[a-z_]+", name):
                    keys[scope][name] = (set(re.split(r" or |, ", m.group(1))), required)
    return keys


def run_merge(base, out_text=None):
    """(exit status, stderr, merged schema or None, output file's text)"""
    with tempfile.TemporaryDirectory() as d:
        base_path = os.path.join(d, "base.json")
        out_path = os.path.join(d, "out.json")
        with open(base_path, "w", encoding="utf-8") as f:
            f.write(base if isinstance(base, str) else json.dumps(base))
        if out_text is not None:
            with open(out_path, "w", encoding="utf-8") as f:
                f.write(out_text)
        proc = subprocess.run([MERGE, base_path, SCHEMA, out_path], capture_output=True, text=True, check=False)
        text = None
        if os.path.exists(out_path):
            with open(out_path, encoding="utf-8") as f:
                text = f.read()
        merged = json.loads(text) if proc.returncode == 0 else None
        leftovers = [n for n in os.listdir(d) if n not in ("base.json", "out.json")]
        if leftovers:
            raise AssertionError("the merge left %s behind" % leftovers)
        return proc.returncode, proc.stderr, merged, text


def errors(schema, document):
    return sorted(
        ("/".join(str(p) for p in e.path), e.message)
        for e in jsonschema.Draft4Validator(schema).iter_errors(document)
    )


class Keys(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.table = table_keys()

    def test_schema_keys_are_the_agents(self):
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        vpmem = schema["$defs"]["cc_vpmem"]["properties"]["vpmem"]
        entry = schema["$defs"]["vpmem_namespace"]
        for scope, found in (("top", vpmem), ("entry", entry)):
            with self.subTest(scope):
                table = self.table[scope]
                self.assertEqual(sorted(found["properties"]), sorted(table))
                self.assertEqual(sorted(found.get("required", [])), sorted(k for k, v in table.items() if v[1]))

    def test_man_page_keys_are_the_agents(self):
        man = man_keys()
        for scope, table in self.table.items():
            with self.subTest(scope):
                self.assertEqual(man[scope], table)


class Merge(unittest.TestCase):
    def test_merge_24(self):
        rc, err, merged, _ = run_merge(BASE_24)
        self.assertEqual(rc, 0, err)
        self.assertEqual(merged["properties"]["vpmem"], {})
        self.assertEqual(merged["allOf"][-1], {"$ref": "#/$defs/cc_vpmem"})
        rest = copy.deepcopy(merged)
        del rest["$defs"]["cc_vpmem"], rest["$defs"]["vpmem_namespace"], rest["properties"]["vpmem"]
        rest["allOf"].pop()
        self.assertEqual(rest, BASE_24)

    def test_merge_22(self):
        rc, err, merged, _ = run_merge(BASE_22)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("properties", merged)
        self.assertEqual(merged["allOf"][-1], {"$ref": "#/$defs/cc_vpmem"})

    def test_refusals_leave_the_output_alone(self):
        has_vpmem = copy.deepcopy(BASE_24)
        has_vpmem["properties"]["vpmem"] = {}
        has_def = copy.deepcopy(BASE_24)
        has_def["$defs"]["cc_vpmem"] = {}
        for what, base, reason in (
            ("a vpmem key of its own", has_vpmem, 'already has a top-level key "vpmem"'),
            ("a cc_vpmem of its own", has_def, 'already defines "cc_vpmem"'),
            ("no $defs", {"allOf": []}, 'no "$defs"'),
            ("no allOf", {"$defs": {}}, 'no "allOf"'),
            ("not JSON", "{", "cannot read cloud-init's schema"),
            ("an invalid schema", dict(BASE_24, type=5), "not valid JSON Schema"),
        ):
            with self.subTest(what):
                rc, err, _, text = run_merge(base, out_text="before\n")
                self.assertEqual(rc, 1)
                self.assertIn(reason, err)
                self.assertIn("is unchanged", err)
                self.assertEqual(text, "before\n")


class Validate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rc, err, cls.merged, _ = run_merge(BASE_24)
        assert rc == 0, err

    def test_examples_validate(self):
        names = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".yaml"))
        self.assertTrue(names)
        for name in names:
            with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
                self.assertEqual(errors(self.merged, yaml.safe_load(f)), [], name)

    def test_faults_are_named(self):
        doc = {"vpmem": {"overwirte": True, "namespaces": [{"name": "a", "colour": "blue"}, {"mode": "devdax"}]}}
        found = errors(self.merged, doc)
        self.assertEqual(len(found), 3, found)
        self.assertIn(("vpmem", "Additional properties are not allowed ('overwirte' was unexpected)"), found)
        self.assertIn(("vpmem/namespaces/0", "Additional properties are not allowed ('colour' was unexpected)"), found)
        self.assertIn(("vpmem/namespaces/1", "'name' is a required property"), found)

    def test_without_vpmem_the_key_is_unknown(self):
        found = errors(BASE_24, {"vpmem": {}})
        self.assertEqual(found, [("", "Additional properties are not allowed ('vpmem' was unexpected)")])

    def test_alias_bomb_stays_small(self):
        bomb = ["lol"] * 9
        for _ in range(8):  # 9^9 values written out; nine shared lists here
            bomb = [bomb] * 9
        entry = {k: bomb for k in self.merged["$defs"]["vpmem_namespace"]["properties"] if k != "name"}
        entry["name"] = bomb
        for what, vpmem in (
            ("the vpmem key", bomb),
            ("namespaces", {"namespaces": bomb, "overwrite": bomb, "replace": bomb}),
            ("every entry key", {"namespaces": [entry, dict(entry, colour=bomb)]}),
        ):
            with self.subTest(what):
                start = time.monotonic()
                found = jsonschema.Draft4Validator(self.merged).iter_errors({"vpmem": vpmem})
                size = sum(len(e.message) for e in found)
                self.assertLess(time.monotonic() - start, 5.0)
                self.assertLess(size, 10000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
