#!/usr/bin/env python3
"""Compares `cargo bpf2c verify` with a reference verifier over a corpus of objects.

DIR holds eBPF objects (any depth) and reference.jsonl: one JSON line per program with
`object` (relative to DIR), `section`, `function`, `verdict` ("pass"/"fail") and `message`.
Every object DIR holds or the reference names is verified by one CLI run with a time limit;
the verdicts are joined per program with the reference's and summarised: agreement, programs
passing here that the reference refuses (each must be explained), programs failing here that
pass the reference (grouped by our first reason), panics and timeouts.

Then (unless --no-run) every packet program (XDP, tc, socket filter, cgroup skb) that the
reference verifies is run once with `cargo bpf2c run --program NAME` on an IPv4/TCP packet
(the IP packet alone for cgroup skb, as Linux gives it); the count that return a verdict is
printed with every missing piece that stops the others.

Run through scripts/corpus.sh, which builds the CLI first.
"""

import argparse
import concurrent.futures
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict


def children_cpu_seconds():
    """User plus system CPU time of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_object(binary, path, timeout):
    """One CLI run over one object: (verdict records, object-level errors, status, seconds).

    With --jobs 1 the CPU time of the run is recorded too (`CPU_SECONDS[path]`): on a busy
    machine wall time measures the load as much as the verifier.
    """
    cpu_start = children_cpu_seconds()
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [binary, "bpf2c", "verify", "--message-format", "json", path],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return [], [], "timeout", time.monotonic() - start
    elapsed = time.monotonic() - start
    CPU_SECONDS[path] = children_cpu_seconds() - cpu_start
    verdicts, errors = [], []
    current = None
    for line in proc.stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("reason") == "program-verdict":
            current = dict(rec, diagnostics=[])
            verdicts.append(current)
        elif rec.get("reason") == "diagnostic":
            if rec.get("program") is None:
                errors.append(rec.get("message", ""))
            elif current is not None and current["program"] == rec["program"]:
                current["diagnostics"].append(rec)
    status = "ok"
    if proc.returncode == 101 or "panicked at" in proc.stderr:
        status = "panic"
    elif proc.returncode not in (0, 1, 2):
        status = f"exit {proc.returncode}"
    return verdicts, errors, status, elapsed


CPU_SECONDS = {}
# Program types that process packets; each runs on IPv4_TCP below.
PACKET_TYPES = {"xdp", "sched_cls", "sched_act", "socket_filter", "cgroup_skb"}

# An Ethernet frame holding an IPv4/TCP SYN (10.0.0.1:12345 -> 10.0.0.2:80, valid IPv4
# checksum): what the packet programs are run on. cgroup skb programs get the IP packet
# without the Ethernet header, as Linux gives it to them.
IPV4_TCP = bytes.fromhex(
    "ffffffffffff" "020000000001" "0800"
    "45000028" "00010000" "4006" "66cd" "0a000001" "0a000002"
    "30390050" "00000001" "00000000" "5002ffff" "00000000"
)


def run_program(binary, path, program, program_type, data_dir, timeout):
    """`cargo bpf2c run` of one program on IPV4_TCP: (retval or None, reason)."""
    packet = IPV4_TCP[14:] if program_type == "cgroup_skb" else IPV4_TCP
    data = os.path.join(data_dir, "cgroup.bin" if program_type == "cgroup_skb" else "frame.bin")
    if not os.path.exists(data):
        with open(data, "wb") as f:
            f.write(packet)
    try:
        proc = subprocess.run(
            [binary, "bpf2c", "run", path, "--program", program, "--data-file", data],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if proc.returncode == 0:
        for line in reversed(proc.stdout.splitlines()):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "retval" in rec:
                return rec["retval"], None
        return None, "no JSON result line"
    if proc.returncode == 101 or "panicked at" in proc.stderr:
        return None, "panic"
    errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    return None, errors[0] if errors else f"exit {proc.returncode}"


def run_reason_classes(reason):
    """A run failure split into its pieces (one per missing piece), each blanked."""
    reason = re.sub(r"^error: ", "", reason)
    reason = re.sub(r"^\S+\.o: ", "", reason)
    prefix = "the runtime cannot run this object: "
    if reason.startswith(prefix):
        return [reason_class(p) for p in reason[len(prefix):].split("; ")]
    return [reason_class(reason)]


def run_packet_programs(args, root, rows):
    """Runs every packet program the reference verifies; prints the count and the reasons."""
    import tempfile

    packet_rows = [
        r for r in rows if r["reference"] == "pass" and r.get("program_type") in PACKET_TYPES
    ]
    with tempfile.TemporaryDirectory() as data_dir:
        for name, packet in (("frame.bin", IPV4_TCP), ("cgroup.bin", IPV4_TCP[14:])):
            with open(os.path.join(data_dir, name), "wb") as f:
                f.write(packet)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {
                pool.submit(
                    run_program,
                    args.bin,
                    os.path.join(root, r["object"]),
                    r["function"],
                    r["program_type"],
                    data_dir,
                    args.timeout,
                ): r
                for r in packet_rows
            }
            for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                r = futures[fut]
                r["run_retval"], r["run_reason"] = fut.result()
                print(f"[run {done}/{len(packet_rows)}] {r['object']} {r['function']}", file=sys.stderr)
    ran = [r for r in packet_rows if r["run_retval"] is not None]
    total = len(packet_rows)
    by_type = Counter(r["program_type"] for r in packet_rows)
    ran_by_type = Counter(r["program_type"] for r in ran)
    print(f"\npacket programs the reference verifies: {total}")
    for t in sorted(by_type):
        print(f"  {t}: {ran_by_type[t]} of {by_type[t]} run")
    print(
        f"packet programs that run on an IPv4/TCP packet and return a verdict: {len(ran)} "
        f"({100.0 * len(ran) / max(total, 1):.1f}%)"
    )
    pieces = Counter()
    first = Counter()
    examples = defaultdict(list)
    for r in packet_rows:
        if r["run_retval"] is not None:
            continue
        classes = run_reason_classes(r["run_reason"])
        first[classes[0]] += 1
        for c in set(classes):
            pieces[c] += 1
            examples[c].append(f"{r['object']} {r['function']}")
    print(f"\nnot run: {total - len(ran)}; each missing piece, with the programs it stops:")
    for reason, n in pieces.most_common():
        print(f"  {n:4}  {reason}")
        for e in examples[reason][:2]:
            print(f"          e.g. {e}")


def first_reason(verdict):
    """Our first-line reason for a failed verdict."""
    for d in verdict["diagnostics"]:
        msg = d.get("message") or ""
        detail = d.get("verifier_message")
        return f"{msg}: {detail}" if detail and detail not in msg else msg
    return "(no diagnostic)"


def reason_class(reason):
    """A reason with numbers and quoted names blanked, so like failures group together."""
    reason = re.sub(r"^\S+\.o: ", "", reason)
    reason = re.sub(r"'[^']*'", "'…'", reason)
    reason = re.sub(r"\b\d+\b", "N", reason)
    return reason[:160]


def print_times(rows, count):
    """Per-program verification time here against the reference CLI's wall time.

    Here: the program's `verify_time_ms` (analysis in-process, without process start-up
    and ELF loading); `object_s` is the whole CLI run over its object, every program of it.
    The reference's `wall_s` is one CLI process per program, start-up included.
    """
    timed = [r for r in rows if r.get("verify_ms") is not None and r.get("reference_wall_s")]
    if not timed:
        return
    slower = [r for r in timed if r["verify_ms"] / 1e3 > r["reference_wall_s"]]
    total_here = sum(r["verify_ms"] for r in timed) / 1e3
    total_ref = sum(r["reference_wall_s"] for r in timed)
    print(f"\nverification time, all {len(timed)} timed programs: "
          f"{total_here:.1f} s here, {total_ref:.1f} s reference")
    print(f"programs slower here than the reference's wall time: {len(slower)}")
    slowest = sorted(timed, key=lambda r: -r["reference_wall_s"])[:count]
    print(f"\nthe reference's {len(slowest)} slowest programs (seconds):")
    print(f"  {'here':>7} {'ref':>7} {'ratio':>6} {'insns':>6}  program")
    for r in slowest:
        here = r["verify_ms"] / 1e3
        print(f"  {here:7.3f} {r['reference_wall_s']:7.3f} {here / r['reference_wall_s']:6.2f} "
              f"{r.get('instructions') or 0:6}  {r['object']} {r['section']} {r['function']} "
              f"({r['here']}/{r['reference']})")
    for r in sorted(slower, key=lambda r: -r["verify_ms"])[:10]:
        if r not in slowest:
            print(f"  slower: {r['verify_ms'] / 1e3:.3f} s vs {r['reference_wall_s']:.3f} s  "
                  f"{r['object']} {r['section']} {r['function']}")


def print_object_times(rows):
    """Per object: the CPU time of our one CLI run over all of its programs, against the sum
    of the reference's wall times over the same programs (one process each)."""
    objects = defaultdict(list)
    for r in rows:
        objects[r["object"]].append(r)
    table = []
    for obj, rs in objects.items():
        ref = sum(r.get("reference_wall_s") or 0 for r in rs)
        cpu = rs[0].get("object_cpu_s")
        if cpu is not None and ref > 0:
            table.append((ref, cpu, obj, len(rs)))
    table.sort(reverse=True)
    slower = [t for t in table if t[1] > t[0]]
    print(f"\nobjects whose CLI run here took more CPU time than the reference's programs' "
          f"wall time together: {len(slower)} of {len(table)}")
    print(f"  {'here cpu':>8} {'ref sum':>8} {'ratio':>6}  object (programs)")
    for ref, cpu, obj, n in table[:15]:
        print(f"  {cpu:8.2f} {ref:8.2f} {cpu / ref:6.2f}  {obj} ({n})")
    if slower:
        # Below a tenth of a second both sides mostly measure process start-up.
        print(f"  the slower ones take the reference at most {max(t[0] for t in slower):.2f} s; "
              f"here at most {max(t[1] for t in slower):.2f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--bin", required=True, help="the cargo-bpf2c binary")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per object")
    ap.add_argument("--jobs", type=int, default=1, help="objects verified at once")
    ap.add_argument("--json", help="write the joined per-program results here")
    ap.add_argument(
        "--slowest",
        type=int,
        default=25,
        help="programs listed in the timing table (the reference's slowest)",
    )
    ap.add_argument(
        "--no-run",
        action="store_true",
        help="skip running the packet programs the reference verifies",
    )
    args = ap.parse_args()

    root = os.path.abspath(args.dir)
    reference = []
    with open(os.path.join(root, "reference.jsonl")) as f:
        for line in f:
            if line.strip():
                reference.append(json.loads(line))
    objects = {r["object"] for r in reference}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith(".o"):
                objects.add(os.path.relpath(os.path.join(dirpath, name), root))
    objects = sorted(objects)

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(run_object, args.bin, os.path.join(root, o), args.timeout): o
            for o in objects
        }
        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            obj = futures[fut]
            results[obj] = fut.result()
            print(f"[{done}/{len(objects)}] {obj} ({results[obj][3]:.1f} s)", file=sys.stderr)

    rows = []
    seen = set()
    for ref in reference:
        obj = ref["object"]
        verdicts, errors, status, _ = results[obj]
        mine = [v for v in verdicts if v["program"] == ref["function"]]
        with_section = [v for v in mine if v.get("section") == ref["section"]]
        mine = with_section or mine
        row = {
            "object": obj,
            "section": ref["section"],
            "function": ref["function"],
            "reference": ref["verdict"],
            "reference_message": ref.get("message"),
            "status": status,
            "reference_wall_s": ref.get("wall_s"),
            "object_s": round(results[obj][3], 3),
            "object_cpu_s": round(CPU_SECONDS.get(os.path.join(root, obj), 0.0), 3)
            if args.jobs == 1
            else None,
        }
        if mine:
            v = mine[0]
            seen.add((obj, id(v)))
            row["here"] = "pass" if v["verified"] else "fail"
            row["reason"] = None if v["verified"] else first_reason(v)
            row["program_type"] = v.get("program_type")
            row["instructions"] = v.get("instructions")
            row["verify_ms"] = v.get("verify_time_ms")
        elif status != "ok":
            row["here"] = "fail"
            row["reason"] = status
        elif errors:
            row["here"] = "fail"
            row["reason"] = errors[0]
        else:
            row["here"] = "fail"
            row["reason"] = "not found as a program here"
        rows.append(row)
    extra = [
        (obj, v["program"], v.get("section"))
        for obj, (verdicts, _, _, _) in results.items()
        for v in verdicts
        if (obj, id(v)) not in seen
    ]

    total = len(rows)
    agree = sum(r["here"] == r["reference"] for r in rows)
    unsound = [r for r in rows if r["here"] == "pass" and r["reference"] == "fail"]
    missed = [r for r in rows if r["here"] == "fail" and r["reference"] == "pass"]
    panics = sorted(o for o, res in results.items() if res[2] == "panic")
    internal = [r for r in rows if r["reason"] and "failed internally" in r["reason"]]
    timeouts = sorted(o for o, res in results.items() if res[2] == "timeout")
    odd = sorted((o, res[2]) for o, res in results.items() if res[2].startswith("exit"))

    print(f"programs: {total}")
    print(f"agreeing verdicts: {agree} ({100.0 * agree / max(total, 1):.1f}%)")
    print(f"pass here, pass in reference: {sum(r['here'] == r['reference'] == 'pass' for r in rows)}")
    print(f"fail here, fail in reference: {sum(r['here'] == r['reference'] == 'fail' for r in rows)}")
    print(f"\npass here / fail in reference: {len(unsound)}")
    for r in unsound:
        print(f"  {r['object']} {r['section']} {r['function']}: reference: {r['reference_message']}")
    print(f"\nfail here / pass in reference: {len(missed)}")
    groups = defaultdict(list)
    for r in missed:
        groups[reason_class(r["reason"])].append(r)
    for reason, rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {len(rs):4}  {reason}")
        for r in rs[:3]:
            print(f"          e.g. {r['object']} {r['section']} {r['function']}")
    print(f"\npanics (process): {len(panics)} {panics}")
    print(f"verifier internal failures: {len(internal)}")
    for r in internal:
        print(f"  {r['object']} {r['section']} {r['function']}: {r['reason']}")
    print(f"timeouts: {len(timeouts)} {timeouts}")
    if odd:
        print(f"other exits: {odd}")
    print(f"programs here that the reference does not list: {len(extra)}")
    for e in extra[:20]:
        print(f"  {e}")
    both_fail = Counter(
        reason_class(r["reason"]) for r in rows if r["here"] == r["reference"] == "fail"
    )
    print("\nfail in both, by our reason (top 15):")
    for reason, n in both_fail.most_common(15):
        print(f"  {n:4}  {reason}")
    print_times(rows, args.slowest)
    if args.jobs == 1:
        print_object_times(rows)
    if not args.no_run:
        run_packet_programs(args, root, rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "extra": extra}, f, indent=1)


if __name__ == "__main__":
    main()
