# SPDX-License-Identifier: GPL-2.0-or-later
"""vpmem: persistent memory policy from cloud-config and instance metadata.

The ``vpmem`` key of ``#cloud-config`` user-data holds a vpmem-agent policy
(the JSON document of /etc/vpmem/vpmem.json, written as YAML). For clouds where
users set server properties rather than user-data, a ``vpmem`` entry in
OpenStack's instance metadata (``meta``) holding the policy as a JSON string is
read too. Precedence, lowest first: the image's /etc/vpmem, instance metadata
(/run/vpmem/vpmem.d/50-instance-metadata.json), user-data (/run/vpmem/vpmem.json).

The module validates the result with ``vpmem-agent check-config`` and then runs
``vpmem-agent apply``.

``overwrite`` in user-data or metadata is cloud-init's per-instance kind of
thing: it applies once, on the first boot of the instance, to the devices present
then (``true``: every region; a list: the regions and DIMMs it names), through
``vpmem-agent apply --overwrite TARGET...``. It is never written into the policy
files the agent reads at later boots and hotplugs: a DIMM holding data that is
added a month later, or a label-less region that moved to another number, is
never destroyed by it. The once is cloud-init's semaphore ``vpmem_overwrite`` in
the instance's directory (a new instance id, or ``cloud-init clean``, is a new
first boot). A value of another type is left in the policy, where the agent
refuses it with the reason. It runs at every boot: /run is empty after a reboot, and
the policy must be in place before vpmem-agent.service (ordered after
cloud-init.service, or cloud-init-network.service from 24.3) provisions anything. An invalid policy is still written
where the agent reads it, so that the agent refuses it too and no device is
touched; the error is raised here so it shows in cloud-init's log and status.

cloud-init (22.4 on Debian 12, 25.1 on Debian 13) validates cloud-config
against one JSON schema file of its own and merges in no module schemas (a
module-level ``schema`` attribute is rejected). The vpmem key's schema is
vpmem's cloud-init-schema.json, which the Debian package merges into
cloud-init's file (merge-cloud-init-schema); the agent's check-config remains
the full check of the policy.

cloud-init 23.2 and later call ``handle(name, cfg, cloud, args)`` by keyword and
report a module that still takes a ``log`` parameter as deprecated; earlier
releases pass ``(name, cfg, cloud, log, args)``. ``handle`` takes the form of
the cloud-init it runs under.
"""

import json
import logging
import os
import re
import subprocess
import tempfile

from cloudinit.distros import ALL_DISTROS
from cloudinit.settings import PER_ALWAYS, PER_INSTANCE

LOG = logging.getLogger(__name__)

AGENT = "vpmem-agent"
RUN_DIR = "/run/vpmem"
USER_DATA_FILE = os.path.join(RUN_DIR, "vpmem.json")
SYSFS_ND = "/sys/bus/nd/devices"
TARGET = re.compile(r"^(region|nmem)[0-9]+$")
METADATA_FILE = os.path.join(RUN_DIR, "vpmem.d", "50-instance-metadata.json")

meta = {
    "id": "cc_vpmem",
    "name": "vpmem",
    "title": "Provision persistent memory (vNVDIMMs) with vpmem-agent",
    "description": __doc__,
    "distros": [ALL_DISTROS],
    "frequency": PER_ALWAYS,
    "examples": [
        "vpmem:\n  namespaces:\n    - {name: data, region: 0, size: 4G, filesystem: xfs, mountpoint: /mnt/data}\n"
        "    - {name: fast, region: 1, mode: devdax, group: kvm, permissions: '0660'}\n"
    ],
}


class PolicyError(Exception):
    pass


# A policy has at most 256 entries of a dozen keys: these bounds are far above
# any policy, and far below what YAML aliases can make of a few lines (each
# alias is written out again in JSON: "billion laughs").
MAX_VALUES = 20000
MAX_DEPTH = 32
MAX_STRING = 4096


def _too_large(document):
    """Why the document cannot be a policy by its size, or None. Counted as JSON
    would write it, without writing it."""
    stack = [(document, 0)]
    values = 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            return "it has more than %d values (YAML aliases expand to a copy each)" % MAX_VALUES
        if depth > MAX_DEPTH:
            return "it is nested deeper than %d levels" % MAX_DEPTH
        if isinstance(node, dict):
            stack.extend((k, depth + 1) for k in node.keys())
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, (str, bytes)) and len(node) > MAX_STRING:
            return "it has a value of %d characters" % len(node)
    return None


def _invalid(problem):
    return json.dumps({"invalid": problem}, indent=2) + "\n", problem


def _to_json(document, source):
    """The policy as JSON text, and None; or, for what cannot be a policy (YAML turns
    2024-01-01 into a date; !!binary, !!set; a document aliases blow up), a document
    the agent refuses with the reason, and the reason."""
    size = _too_large(document)
    if size:
        return _invalid("vpmem: the policy in %s is not one: %s" % (source, size))
    try:
        return json.dumps(document, indent=2, sort_keys=False) + "\n", None
    except (TypeError, ValueError, RecursionError) as e:
        return _invalid(
            "vpmem: the policy in %s cannot be written as JSON (%s): quote dates and times, "
            "and use no binary values or sets" % (source, e)
        )


def _unread_user_data_policy(cloud):
    """True when the raw user-data has a top-level vpmem key that cloud-init did not
    read (user-data that is not valid YAML, or not UTF-8): the user asked for a
    policy, and the image's default must not apply instead."""
    raw = getattr(getattr(cloud, "datasource", None), "userdata_raw", None)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    return isinstance(raw, bytes) and re.search(rb"(?m)^vpmem[ \t]*:", raw) is not None


def _write_atomic(path, text):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".vpmem-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _metadata_policy(cloud, log):
    metadata = getattr(getattr(cloud, "datasource", None), "metadata", None) or {}
    value = (metadata.get("meta") or {}).get("vpmem")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            # written anyway as a string: the agent refuses it with a clear error
            log.error("vpmem: instance metadata 'vpmem' is not valid JSON: %s", e)
            return value
    return value


def _take_overwrite(policy):
    """Remove a well-formed "overwrite" (true, false, or a list of regionN/nmemN)
    from a policy document and return it; None when there is none, or when its
    value is of another kind (left for the agent to refuse with the reason)."""
    if not isinstance(policy, dict) or "overwrite" not in policy:
        return None
    value = policy["overwrite"]
    well_formed = isinstance(value, bool) or (
        isinstance(value, list) and value and all(isinstance(t, str) and TARGET.match(t) for t in value)
    )
    if not well_formed:
        return None
    del policy["overwrite"]
    return value


def _present_regions():
    try:
        names = os.listdir(SYSFS_ND)
    except OSError:
        return []
    return sorted((n for n in names if re.match(r"^region[0-9]+$", n)), key=lambda n: int(n[6:]))


def _overwrite_once(log, overwrite):
    """The instance's first boot: apply with overwrite on the devices present now."""
    targets = _present_regions() if overwrite is True else list(overwrite)
    if not targets:
        log.info("vpmem: overwrite: no persistent memory region is present on this first boot: nothing to do")
        return
    # INFO: a WARNING would make cloud-init >= 23.4 call the run "degraded" for what was asked
    log.info("vpmem: overwrite (from the instance's policy, on its first boot only): %s", " ".join(targets))
    rc = _run(log, "apply", "--overwrite", *targets)
    if rc != 0:
        raise PolicyError(
            "vpmem: vpmem-agent apply --overwrite %s failed with exit status %d (see above)"
            % (" ".join(targets), rc)
        )


def _run(log, *args):
    """Run the agent; its lines go to cloud-init's log, as errors if it failed."""
    try:
        proc = subprocess.run(
            [AGENT, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
        )
    except OSError as e:
        raise PolicyError("vpmem: cannot run %s: %s" % (AGENT, e)) from e
    report = log.error if proc.returncode else log.info
    for line in proc.stdout.splitlines():
        report("%s", line)
    return proc.returncode


def _handle(cfg, cloud, log):
    user_policy = cfg.get("vpmem")
    metadata_policy = _metadata_policy(cloud, log)
    unread = None
    if user_policy is None and _unread_user_data_policy(cloud):
        # written as a document the agent refuses: the image's policy must not apply instead
        unread = _invalid(
            "vpmem: user-data has a vpmem key that cloud-init could not read as cloud-config "
            "(is it valid YAML, in UTF-8?)"
        )

    # overwrite is once per instance, never in the files later runs read; user-data's wins
    overwrite = None
    for policy in (metadata_policy, user_policy):
        taken = _take_overwrite(policy)
        if taken is not None:
            overwrite = taken

    # what an earlier boot or run left would be stale: /run is ours to write
    problems = []
    for policy, path, source in (
        (metadata_policy, METADATA_FILE, "instance metadata"),
        (user_policy, USER_DATA_FILE, "user-data"),
    ):
        if source == "user-data" and unread:
            text, problem = unread
        elif policy is None:
            _remove(path)
            continue
        else:
            text, problem = _to_json(policy, source)
        _write_atomic(path, text)
        if problem:
            problems.append(problem)

    if user_policy is None and metadata_policy is None and not unread:
        log.debug("vpmem: no policy in user-data or instance metadata; the image's applies")
        return
    if problems:
        # written anyway, as a document the agent refuses: no stale policy applies
        raise PolicyError("%s; no device was touched" % "; ".join(problems))

    if _run(log, "check-config") != 0:
        raise PolicyError(
            "vpmem: the persistent memory policy from %s is invalid (see the errors above); "
            "no device was touched" % ("user-data" if user_policy is not None else "instance metadata")
        )
    if overwrite:
        # cloud-init's semaphore: run on the instance's first boot, never again (also when it failed)
        cloud.run("vpmem_overwrite", _overwrite_once, [log, overwrite], freq=PER_INSTANCE)
    rc = _run(log, "apply")
    if rc != 0:
        raise PolicyError("vpmem: vpmem-agent apply failed with exit status %d (see above)" % rc)


def _cloud_init_version():
    """(major, minor) of the cloud-init this runs under; (0, 0) when it does not say."""
    try:
        from cloudinit import version  # pylint: disable=import-outside-toplevel

        return tuple(int(n) for n in re.findall(r"\d+", version.version_string())[:2])
    except (ImportError, AttributeError, ValueError):
        return (0, 0)


if _cloud_init_version() >= (23, 2):

    def handle(name, cfg, cloud, args):  # pylint: disable=unused-argument
        _handle(cfg, cloud, LOG)

else:

    def handle(name, cfg, cloud, log, args):  # pylint: disable=unused-argument
        _handle(cfg, cloud, log)
