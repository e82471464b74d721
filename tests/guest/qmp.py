#!/usr/bin/python3
"""Hot-add an NVDIMM or a virtio-pmem device to a running QEMU through its QMP socket.

usage: qmp.py SOCKET BACKING_FILE INDEX [nvdimm|virtio-pmem]
"""
import json
import os
import socket
import sys


def command(f, name, **arguments):
    f.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
    f.flush()
    while True:
        reply = json.loads(f.readline())
        if "return" in reply:
            return reply["return"]
        if "error" in reply:
            raise RuntimeError("%s: %s" % (name, reply["error"]["desc"]))
        # asynchronous events: skip


def main():
    path, backing, index = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kind = sys.argv[4] if len(sys.argv) > 4 else "nvdimm"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    command(f, "qmp_capabilities")
    command(f, "object-add", **{"qom-type": "memory-backend-file", "id": "mem%d" % index,
                                "mem-path": backing, "size": os.path.getsize(backing),
                                "share": True, "align": 2 * 1024 * 1024})
    if kind == "virtio-pmem":
        command(f, "device_add", driver="virtio-pmem-pci", id="pmem%d" % index, memdev="mem%d" % index)
    else:
        command(f, "device_add", driver="nvdimm", id="pmem%d" % index, memdev="mem%d" % index,
                **{"label-size": 128 * 1024})
    print("qmp: hot-added %s pmem%d backed by %s" % (kind, index, backing))


if __name__ == "__main__":
    main()
