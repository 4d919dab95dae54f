#!/usr/bin/env python3
"""Which helpers the packet programs of an eBPF corpus call, by object count.

Usage: scripts/helper-scan.py CORPUS_DIR [IMPLEMENTED_IDS_COMMA_SEPARATED]

An object counts as a packet-program object when one of its sections is an XDP, tc or
socket-filter program (libbpf's SEC() prefixes). Every `call` of a helper (src_reg 0) in
that object's packet sections and in .text is counted once per object. Needs llvm-objdump
(LLVM_OBJDUMP, default llvm-objdump-19).
"""
import os, re, subprocess, sys
from collections import defaultdict

PACKET = ("xdp", "tc", "tcx", "classifier", "action", "sched_cls", "sched_act", "socket")

def is_packet(section):
    head = section.split("/")[0]
    return head in PACKET or head.startswith(("xdp", "tc_", "tcx/", "socket"))

def main():
    corpus = sys.argv[1]
    done = set(int(x) for x in sys.argv[2].split(",")) if len(sys.argv) > 2 else set()
    objdump = os.environ.get("LLVM_OBJDUMP", "llvm-objdump-19")
    per_helper = defaultdict(set)
    objects = 0
    for root, _, files in sorted(os.walk(corpus)):
        for f in sorted(files):
            if not f.endswith(".o"):
                continue
            path = os.path.join(root, f)
            out = subprocess.run([objdump, "-d", path], capture_output=True, text=True).stdout
            sections = {}
            current = None
            for line in out.splitlines():
                m = re.match(r"Disassembly of section (.*):", line)
                if m:
                    current = m.group(1)
                    sections.setdefault(current, set())
                    continue
                # call imm: opcode 0x85, src_reg nibble 0 (helper, not bpf-to-bpf or kfunc).
                m = re.search(r"\t85 (\w)(\w) \w\w \w\w (\w\w) (\w\w) (\w\w) (\w\w)\t", line)
                if m and current is not None and m.group(1) == "0":
                    imm = int(m.group(6) + m.group(5) + m.group(4) + m.group(3), 16)
                    sections[current].add(imm)
            packet = [s for s in sections if is_packet(s)]
            if not packet:
                continue
            objects += 1
            ids = set()
            for s in packet + [".text"]:
                ids |= sections.get(s, set())
            for i in ids:
                per_helper[i].add(os.path.relpath(path, corpus))
    print(f"{objects} packet-program objects")
    for i, objs in sorted(per_helper.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        mark = "implemented" if i in done else "missing"
        print(f"{i:4} {len(objs):3} {mark}")

main()
