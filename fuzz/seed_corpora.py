#!/usr/bin/env python3
"""Writes the starting corpora of the fuzz targets into fuzz/corpus/<target>/.

Seeds come from the repository's own inputs: the committed eBPF objects of tests/bpf and
the programs and memories of the conformance suite (tests/conformance/tests.jsonl). The
module-tables target starts from its valid baseline module (the empty input) and one edit
of each field. Run from anywhere; existing corpus files are kept.
"""

import hashlib
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main():
    objects = sorted((ROOT / "tests" / "bpf").rglob("*.o"))
    for o in objects:
        put("object_elf", o.read_bytes())
        put("translate", o.read_bytes())

    tests = [json.loads(line) for line in (ROOT / "tests/conformance/tests.jsonl").open()]
    for t in tests:
        program = bytes.fromhex(t["program"])
        put("object_raw", program)
        put("translate", program)
        put("cli_plugin_stdin", t["program"] + "\n")
        # The hex forms the CLI accepts: contiguous, grouped, 0x-prefixed.
        put("cli_hex", t["program"])
        if t["memory"]:
            put("cli_hex", t["memory"])
            put("cli_maps_json", json.dumps({t["name"]: {"00000000": t["memory"].replace(" ", "")}}))
    grouped = " ".join(tests[0]["program"][i:i + 2] for i in range(0, 16, 2))
    put("cli_hex", grouped)
    put("cli_hex", "0x" + grouped.replace(" ", " 0x"))
    put("cli_hex", "a b\tc\n0xff")
    put("cli_plugin_stdin", grouped + "\n")

    put("cli_maps_json", "{}")
    put("cli_maps_json", '{"counters": {"00000000": "0100000000000000", "01000000": ""}}')
    put("cli_maps_json", '{"hash": {"0x01 0x02": "ff ee", "0a0b": "0c"}, ".data": {}}')

    put("module_tables", b"")
    for field in range(44):
        for index in (0, 1, 5):
            put("module_tables", struct.pack("<BBI", field, index, 1))
            put("module_tables", struct.pack("<BBI", field, index, 0xFFFFFFFF))


if __name__ == "__main__":
    main()
