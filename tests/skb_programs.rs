//! Programs that read `struct __sk_buff` (tc in every section form, socket filters, cgroup
//! skb) and legacy packet loads, end to end: through the runtime's `Instance::run_skb` and
//! through `cargo bpf2c run` with `--ctx-json` and `--data-file`. Every value is worked out
//! from the C sources in tests/bpf.

use bpf2c_runtime::{Options, ProgramType, RunError, SkbFields, TraceSink};
use bpf2c_tests::cli;
use bpf2c_tests::pipeline::instance;

/// An Ethernet frame holding an IPv4/TCP packet: 14 + 20 + 20 bytes, plus 2 bytes of
/// padding (56 bytes). IPv4 protocol byte (offset 23) = 6, EtherType = 0x0800.
fn ipv4_tcp() -> Vec<u8> {
    let mut p = vec![0xff; 6];
    p.extend([0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    p.extend([0x45, 0, 0, 0x2c, 0, 1, 0, 0, 0x40, 0x06, 0, 0]);
    p.extend([10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend([
        0x30, 0x39, 0, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    ]);
    p.extend([0, 0]);
    assert_eq!(p.len(), 56);
    p
}

fn quiet() -> Options {
    Options::default().trace_sink(TraceSink::Discard)
}

#[test]
fn tc_reads_every_host_field_and_writes_what_linux_allows() {
    let (built, inst) = instance("skb_context.o", quiet());
    let types: Vec<(String, ProgramType)> = inst
        .programs()
        .iter()
        .map(|p| (p.name.clone(), p.program_type))
        .collect();
    assert_eq!(
        types,
        [
            ("tc_fields".to_string(), ProgramType::SchedCls),
            ("sock_keep".to_string(), ProgramType::SocketFilter),
            ("cg_mark".to_string(), ProgramType::CgroupSkb),
        ]
    );
    assert!(built.translation.verified);
    let prog = inst.program("tc_fields").unwrap();
    let mut packet = ipv4_tcp();
    let fields = SkbFields {
        mark: 0x201,
        ifindex: 3,
        ingress_ifindex: 1,
        cb: [1, 2, 3, 4, 5],
        hash: 0xff,
        vlan_tci: 0x0f,
        vlan_present: 1,
        vlan_proto: 0x81,
        pkt_type: 4,
        tstamp: 5,
        ..Default::default()
    };
    let run = inst.run_skb(&prog, &mut packet, &fields).unwrap();
    assert_eq!(run.retval, 0, "TC_ACT_OK for IPv4");
    let out = run.fields;
    assert_eq!(out.mark, 0x201 + 56, "mark + len");
    assert_eq!(out.priority, 3 * 2 + 1, "ifindex * 2 + ingress_ifindex");
    assert_eq!(
        out.tc_index, 6,
        "the IPv4 protocol byte, read from the packet"
    );
    assert_eq!(out.queue_mapping, 2, "byte 1 of mark, a narrow read");
    assert_eq!(out.tc_classid, 0xff ^ 0x0f, "hash ^ vlan_tci");
    assert_eq!(out.cb, [10, 4, 56, 1 + 0x81, 6]);
    assert_eq!(out.tstamp, 1005);
    // Fields the program did not write come back as given.
    assert_eq!((out.ifindex, out.hash, out.pkt_type), (3, 0xff, 4));
    assert_eq!(packet, ipv4_tcp(), "the packet is untouched");

    // Not IPv4: TC_ACT_SHOT; a packet too short for the protocol byte leaves tc_index 0.
    let mut arp = ipv4_tcp()[..20].to_vec();
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    let run = inst
        .run_skb(&prog, &mut arp, &SkbFields::default())
        .unwrap();
    assert_eq!(run.retval, 2);
    assert_eq!(run.fields.tc_index, 0);
    assert_eq!(run.fields.mark, 20);
}

#[test]
fn socket_filters_and_cgroup_skb_see_the_packet_as_linux_does() {
    let (_, inst) = instance("skb_context.o", quiet());
    let sock = inst.program("sock_keep").unwrap();
    let fields = SkbFields {
        mark: 9,
        ..Default::default()
    };
    let run = inst.run_skb(&sock, &mut ipv4_tcp(), &fields).unwrap();
    assert_eq!(run.retval, 56, "a short IPv4 packet is kept whole");
    assert_eq!(run.fields.cb, [56, 9, 0, 0, 0]);
    let mut long = ipv4_tcp();
    long.resize(200, 0);
    assert_eq!(inst.run_skb(&sock, &mut long, &fields).unwrap().retval, 64);
    let mut arp = ipv4_tcp();
    arp[12] = 0x86;
    assert_eq!(inst.run_skb(&sock, &mut arp, &fields).unwrap().retval, 0);

    // cgroup skb: the packet starts at the IP header, and protocol comes from it.
    let cg = inst.program("cg_mark").unwrap();
    let mut ip = ipv4_tcp()[14..].to_vec();
    let run = inst.run_skb(&cg, &mut ip, &SkbFields::default()).unwrap();
    assert_eq!(run.retval, 1);
    assert_eq!((run.fields.mark, run.fields.priority), (0xcafe, 1));
    let mut ip6 = vec![0x60; 40];
    let run = inst.run_skb(&cg, &mut ip6, &SkbFields::default()).unwrap();
    assert_eq!((run.retval, run.fields.priority), (0, 0));
    // The generic run gives every host field 0 and returns r0.
    assert_eq!(inst.run(&sock, &mut ipv4_tcp()).unwrap(), 56);
}

#[test]
fn legacy_packet_loads_read_network_order_and_end_the_run_outside_the_packet() {
    let (_, inst) = instance("packet_ld_abs.o", quiet());
    let prog = inst.program("ld_abs_ind").unwrap();
    let run = |packet: &mut [u8]| inst.run_skb(&prog, packet, &SkbFields::default()).unwrap();
    // LD_ABS of byte 23 (6), then LD_IND of the 16 bits at r7 = 12: 0x0800.
    assert_eq!(run(&mut ipv4_tcp()).retval, 0x0800);
    let mut other = ipv4_tcp();
    other[12..14].copy_from_slice(&[0x86, 0xdd]);
    assert_eq!(run(&mut other).retval, 0x86dd);
    // 23 bytes: the byte at 23 is outside, so the run ends with 0 at the first load.
    assert_eq!(run(&mut ipv4_tcp()[..23]).retval, 0);
    // 24 bytes hold both loads.
    assert_eq!(run(&mut ipv4_tcp()[..24]).retval, 0x0800);
    assert_eq!(run(&mut []).retval, 0);
}

#[test]
fn run_skb_refuses_programs_of_other_types() {
    let (_, inst) = instance("xdp_parse.o", quiet());
    let prog = inst.programs()[0].name.clone();
    let prog = inst.program(&prog).unwrap();
    let err = inst
        .run_skb(&prog, &mut ipv4_tcp(), &SkbFields::default())
        .unwrap_err();
    assert!(matches!(err, RunError::WrongProgramType { .. }), "{err}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn cli_runs_every_tc_section_form_beside_a_kprobe() {
    let packet = hex(&ipv4_tcp());
    for (program, base) in [
        ("in_tc", 1000),
        ("in_tcx_ingress", 2000),
        ("in_tcx_egress", 3000),
        ("in_classifier", 4000),
        ("in_action", 5000),
        ("in_sched_cls", 6000),
        ("in_sched_act", 7000),
    ] {
        let v = cli::run_json(&[
            "run",
            "tests/bpf/skb_sections.o",
            "--program",
            program,
            "--data-hex",
            &packet,
        ]);
        assert_eq!(v["program"], program);
        assert_eq!(v["retval"], base + 56, "{program}");
        assert_eq!(v["data_out"], packet.as_str());
        assert_eq!(v["ctx_out"]["mark"], 0);
    }
    // The kprobe itself cannot run: the refusal names its own missing piece only.
    let out = cli::run(&["run", "tests/bpf/skb_sections.o", "--program", "probe_open"]);
    let (_, stderr) = cli::texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the runtime cannot run this object: program 'probe_open': program type kprobe is \
             verified but cannot run here"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("in_tc"), "{stderr}");
    // gen --program: the C of the tc program alone.
    let out = cli::run(&[
        "gen",
        "tests/bpf/skb_sections.o",
        "--program",
        "in_tcx_egress",
    ]);
    let (c, stderr) = cli::texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(c.contains("BPF2C_PROG_TYPE_SCHED_CLS"));
    assert!(c.contains("\"in_tcx_egress\""), "{c}");
    assert!(!c.contains("probe_open"));
    // Without --program the whole object is refused, naming the kprobe.
    let out = cli::run(&["gen", "tests/bpf/skb_sections.o"]);
    let (_, stderr) = cli::texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("program 'probe_open'"), "{stderr}");
}

#[test]
fn cli_takes_skb_fields_as_json_and_the_packet_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packet.bin");
    std::fs::write(&path, ipv4_tcp()).unwrap();
    let v = cli::run_json(&[
        "run",
        "tests/bpf/skb_context.o",
        "--program",
        "tc_fields",
        "--data-file",
        path.to_str().unwrap(),
        "--ctx-json",
        r#"{"mark":513,"priority":2,"ifindex":3,"cb":[1,2,3,4,5]}"#,
    ]);
    assert_eq!(v["retval"], 0);
    assert_eq!(v["data_out"], hex(&ipv4_tcp()).as_str());
    let ctx = &v["ctx_out"];
    assert_eq!(ctx["mark"], 513 + 56);
    assert_eq!(ctx["priority"], 6);
    assert_eq!(ctx["queue_mapping"], 2);
    assert_eq!(ctx["tc_index"], 6);
    assert_eq!(ctx["cb"], serde_json::json!([10, 0, 56, 0, 6]));

    // Legacy loads through the CLI, in and out of the packet.
    let v = cli::run_json(&[
        "run",
        "tests/bpf/packet_ld_abs.o",
        "--data-file",
        path.to_str().unwrap(),
    ]);
    assert_eq!(v["retval"], 0x0800);
    let v = cli::run_json(&["run", "tests/bpf/packet_ld_abs.o", "--data-hex", "0011"]);
    assert_eq!(v["retval"], 0);

    let fails = |args: &[&str], want: &str, code: i32| {
        let out = cli::run(args);
        let (_, stderr) = cli::texts(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    };
    let base = ["run", "tests/bpf/skb_context.o", "--program", "tc_fields"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let args = with(&["--ctx-json", r#"{"colour":1}"#]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(
        &args,
        "error: --ctx-json: unknown field 'colour' (known: mark",
        1,
    );
    let args = with(&["--ctx-json", "{"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(&args, "error: --ctx-json: not valid JSON", 1);
    let args = with(&["--ctx-json", r#"{"cb":[1,2,3,4,5,6]}"#]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(&args, "field 'cb' must be an array of at most 5 numbers", 1);
    let args = with(&["--data-file", "/nonexistent/packet.bin"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(
        &args,
        "error: --data-file /nonexistent/packet.bin: cannot read",
        1,
    );
    let args = with(&["--data-file", "x", "--data-hex", "00"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(&args, "cannot be used with", 2);
    // __sk_buff fields for an XDP program.
    fails(
        &[
            "run",
            "tests/bpf/xdp_parse.o",
            "--program",
            "xdp_reflect",
            "--ctx-json",
            r#"{"mark":1}"#,
        ],
        "only programs that read struct __sk_buff",
        1,
    );
}
