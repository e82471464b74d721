#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fuzz the cloud-init module's translation of user-data and instance metadata.

tests/fuzz/fuzz-cloud-init.py AGENT SECONDS [SEED]

Runs the real cloud-init/cc_vpmem.py (cloud-init's two constants it imports are
stubbed: the module is not run inside cloud-init) on random user-data and
instance metadata of every shape YAML and OpenStack give (objects, lists,
strings, numbers, NaN, booleans, null, dates, binary, sets, deep nesting, huge
documents, text that is not JSON), in a directory of its own instead of
/run/vpmem. The agent's check-config (the real AGENT, best an ASan build) reads
every file the module writes; apply is never run.

It fails when the module raises anything but its PolicyError (cloud-init would
print a traceback instead of the reason), when it accepts a policy the agent
refuses, or when the agent does not answer 0 or 2 (a crash). Prints the case
and the seed that reproduces it.
"""

import datetime
import json
import logging
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import types

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# the names cc_vpmem imports from cloud-init
for name, attrs in (
    ("cloudinit", {}),
    ("cloudinit.distros", {"ALL_DISTROS": "all"}),
    ("cloudinit.settings", {"PER_ALWAYS": "always", "PER_INSTANCE": "once-per-instance"}),
):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
sys.path.insert(0, os.path.join(TOP, "cloud-init"))
import cc_vpmem  # noqa: E402

KEYS = ["name", "region", "mode", "size", "align", "map", "filesystem", "mountpoint", "mount_options",
        "hide_existing_files", "sector_size", "owner", "group", "permissions", "system_ram", "overwrite", "replace", "namespaces"]
WORDS = ["data", "fast", "fsdax", "devdax", "sector", "raw", "xfs", "ext4", "none", "2M", "1G", "4G", "16M",
         "0", "-1", "1e3", "0x10", "/mnt/data", "/mnt/../etc", "", "kvm", "root", "0660", "dev", "mem",
         "noatime", "dax", "\u00e9t\u00e9", "\udcff", "\x00", "a" * 300, "18446744073709551616"]


def scalar(rng):
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, 1, -1, 2, 2**31, 2**64, -(2**63), 10**30])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, math.inf, -math.inf, math.nan])
    if kind == 4:
        # YAML 1.1 turns 2024-01-01 into a date, and a timestamp into a datetime
        return rng.choice([datetime.date(2024, 1, 1), datetime.datetime(2024, 1, 1, 12, 30)])
    if kind == 5:
        return b"\xff\x00binary"  # !!binary
    if kind == 6:
        return {"a", "b"}  # !!set
    return rng.choice(WORDS)


def value(rng, depth):
    if depth > 4 or rng.random() < 0.5:
        return scalar(rng)
    if rng.random() < 0.5:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS + WORDS[:6]): value(rng, depth + 1) for _ in range(rng.randrange(5))}


def policy(rng):
    shape = rng.randrange(10)
    if shape == 0:
        return value(rng, 0)
    if shape == 1:
        # deep: what a YAML alias chain unrolls to
        v = "x"
        for _ in range(rng.randrange(50, 400)):
            v = [v]
        return {"namespaces": v}
    if shape == 2:
        return {"namespaces": [{"name": "n%d" % i, "size": "16M", "mode": "devdax"} for i in range(rng.randrange(1, 3000))]}
    if shape == 3:
        # "billion laughs": YAML aliases share one object, which JSON writes out once per alias
        v = ["lol"] * 9
        for _ in range(rng.randrange(3, 10)):
            v = [v] * 9
        return {"namespaces": [{"name": "data", "mountpoint": v}]}
    entries = []
    for _ in range(rng.randrange(4)):
        entries.append({rng.choice(KEYS): scalar(rng) if rng.random() < 0.3 else rng.choice(WORDS)
                        for _ in range(rng.randrange(6))})
    doc = {"namespaces": entries}
    if rng.random() < 0.3:
        doc[rng.choice(KEYS)] = scalar(rng)
    return doc


def metadata(rng):
    shape = rng.randrange(5)
    if shape == 0:
        return None
    if shape == 1:
        return policy(rng)
    if shape == 2:
        try:
            doc = policy(rng)
            # OpenStack's metadata is JSON text already: no aliases in it
            return "{}" if cc_vpmem._too_large(doc) else json.dumps(doc)
        except (TypeError, ValueError):
            return "{"
    return rng.choice(["", "{", "not json", '{"namespaces": 3}', "[]", "null", "\udcff"])


RAW = [None, b"", b"#cloud-config\nhostname: a\n", b"#cloud-config\nvpmem:\n  namespaces: [\xff\xfe]\n",
       b"#cloud-config\nvpmem: {namespaces: [\n", "#cloud-config\nvpmem: [\udcff]\n", b"\x1f\x8b\x08gzip"]


class Cloud:
    """A new instance per case: cloud-init's semaphores (Cloud.run) let a per-instance
    function run once, also when it raised."""

    def __init__(self, meta, raw):
        self.datasource = types.SimpleNamespace(metadata={"meta": {"vpmem": meta}} if meta is not None else {},
                                                userdata_raw=raw)
        self.ran = set()

    def run(self, name, functor, args, freq=None, clear_on_fail=False):
        if (name, freq) in self.ran:
            return False, None
        self.ran.add((name, freq))
        return True, functor(*args)


def main():
    agent, seconds = sys.argv[1], float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    log = logging.getLogger("fuzz")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    work = tempfile.mkdtemp(prefix="vpmem-fuzz-ci.")
    answers = {}

    target = re.compile(r"^(region|nmem)[0-9]+$")

    def run(_log, *args):
        if args == ("apply",):
            return 0
        if args[:2] == ("apply", "--overwrite"):
            # overwrite, once: on the regions or DIMMs named, never anything else
            if len(args) < 3 or not all(isinstance(t, str) and target.match(t) for t in args[2:]):
                raise AssertionError("apply --overwrite with targets %r" % (args[2:],))
            return 0
        rc = 0
        for path in (cc_vpmem.METADATA_FILE, cc_vpmem.USER_DATA_FILE):
            if os.path.exists(path):
                proc = subprocess.run([agent, "-c", path, "check-config"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, check=False)
                if proc.returncode not in (0, 2):
                    raise AssertionError("vpmem-agent check-config of %s: exit %d\n%s" % (
                        path, proc.returncode, proc.stdout.decode(errors="replace")[-3000:]))
                answers[path] = proc.returncode
                rc = max(rc, proc.returncode)
        return rc

    cc_vpmem._run = run
    cases = 0
    end = time.monotonic() + seconds
    # first the shapes that once made the module raise (a YAML date in a name), then random ones
    fixed = [
        ({"namespaces": [{"name": datetime.date(2024, 1, 1)}]}, None),
        ({"namespaces": [{"name": "a", "size": datetime.datetime(2024, 1, 1, 12, 30)}]}, None),
        ({"namespaces": [{"name": b"\xff"}]}, {"namespaces": [{"name": {"a"}}]}),
        ({"namespaces": [{"name": "a", "size": math.nan}]}, None),
        (None, json.dumps({"namespaces": [{"name": "data", "size": "1G"}]})),
    ]
    try:
        while time.monotonic() < end:
            case_seed = rng.randrange(2**32)
            crng = random.Random(case_seed)
            if cases < len(fixed):
                user, meta = fixed[cases]
            else:
                user = policy(crng) if crng.random() < 0.8 else None
                meta = metadata(crng)
            cfg = {} if user is None and crng.random() < 0.5 else {"vpmem": user}
            raw = crng.choice(RAW)
            # user-data with a vpmem key cloud-init could not read: the module must refuse
            unread = "vpmem" not in cfg and raw is not None and ("\nvpmem" in raw if isinstance(raw, str)
                                                                 else b"\nvpmem" in raw)
            cc_vpmem.RUN_DIR = os.path.join(work, str(cases % 4))
            cc_vpmem.USER_DATA_FILE = os.path.join(cc_vpmem.RUN_DIR, "vpmem.json")
            cc_vpmem.METADATA_FILE = os.path.join(cc_vpmem.RUN_DIR, "vpmem.d", "50-instance-metadata.json")
            answers.clear()
            started = time.monotonic()
            try:
                cc_vpmem.handle("vpmem", cfg, Cloud(meta, raw), log, [])
            except cc_vpmem.PolicyError:
                pass
            except Exception:
                print("FAIL: fuzz-cloud-init: the module raised something else than PolicyError "
                      "(cloud-init would show a traceback, not the reason)")
                print("case seed %d (run seed %d); user-data vpmem: %.2000r; metadata: %.2000r" % (
                    case_seed, seed, user, meta))
                traceback.print_exc()
                return 1
            else:
                if unread:
                    print("FAIL: fuzz-cloud-init: user-data has a vpmem key cloud-init could not read, "
                          "and the module let the image's policy apply")
                    print("case seed %d (run seed %d); raw user-data %r" % (case_seed, seed, raw))
                    return 1
                refused = [p for p, rc in answers.items() if rc != 0]
                if refused:
                    print("FAIL: fuzz-cloud-init: the module accepted a policy the agent refuses: %s" % refused)
                    print("case seed %d (run seed %d)" % (case_seed, seed))
                    return 1
            if time.monotonic() - started > 5:
                print("FAIL: fuzz-cloud-init: one case took %.1f s (a document that expands without bound?)"
                      % (time.monotonic() - started))
                print("case seed %d (run seed %d)" % (case_seed, seed))
                return 1
            cases += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS: fuzz-cloud-init: %d cases in %g s (%.0f/s), seed %d" % (cases, seconds, cases / seconds, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
