//! The rate limiter end to end, on a clock the test moves.

use std::net::Ipv4Addr;

use bpf2c_runtime::Errno;
use example_rate_limiter::*;

const SECOND: u64 = 1_000_000_000;

fn flow(last: u8, proto: u8, sport: u16) -> Flow {
    Flow {
        src: Ipv4Addr::new(192, 168, 1, last),
        dst: Ipv4Addr::new(192, 168, 1, 254),
        proto,
        sport,
        dport: 8080,
    }
}

#[test]
fn limits_each_flow_per_window_with_the_configured_rodata() {
    let clock = Clock::default();
    clock.advance_ns(5 * SECOND);
    let limiter = load(&clock, 50, SECOND).unwrap();
    let rodata = limiter.globals().rodata();
    assert_eq!((rodata.max_pps(), rodata.window_ns()), (50, SECOND));

    let a = flow(1, IPPROTO_UDP, 1000);
    let b = flow(2, IPPROTO_TCP, 2000);
    assert_eq!(
        send(&limiter, &a, 80, 100).unwrap(),
        Tally {
            passed: 50,
            dropped: 30
        }
    );
    assert_eq!(
        send(&limiter, &b, 20, 0).unwrap(),
        Tally {
            passed: 20,
            dropped: 0
        }
    );
    // Within the same window nothing more gets through...
    clock.advance_ns(SECOND - 1);
    assert_eq!(
        send(&limiter, &a, 5, 100).unwrap(),
        Tally {
            passed: 0,
            dropped: 5
        }
    );
    // ...and a new window starts afresh.
    clock.advance_ns(1);
    assert_eq!(
        send(&limiter, &a, 60, 100).unwrap(),
        Tally {
            passed: 50,
            dropped: 10
        }
    );

    // The flow table, read through the typed HashMap<FlowKey, FlowState>.
    let flows = limiter.flows();
    assert_eq!(flows.len(), 2);
    let sa = flows.get(&a.key()).unwrap().expect("flow a is tracked");
    let udp_frame = 14 + 20 + 8 + 100;
    assert_eq!(
        sa,
        FlowState {
            window_start_ns: 6 * SECOND,
            in_window: 50,
            dropped: 45,
            packets: 145,
            bytes: 145 * udp_frame,
        }
    );
    let sb = flows.get(&b.key()).unwrap().unwrap();
    assert_eq!(
        (sb.packets, sb.bytes, sb.dropped),
        (20, 20 * (14 + 20 + 20), 0)
    );
    assert_eq!(flows.get(&flow(3, IPPROTO_UDP, 1).key()).unwrap(), None);

    let bss = limiter.globals().bss();
    assert_eq!((bss.total_passed(), bss.total_dropped()), (120, 45));
}

#[test]
fn globals_switch_the_limiter_off_and_rodata_stays_read_only() {
    let clock = Clock::default();
    let limiter = load(&clock, 1, SECOND).unwrap();
    let a = flow(1, IPPROTO_UDP, 1);
    assert_eq!(
        send(&limiter, &a, 3, 0).unwrap(),
        Tally {
            passed: 1,
            dropped: 2
        }
    );
    let data = limiter.globals().data();
    assert_eq!(data.enabled(), 1);
    data.set_enabled(0);
    assert_eq!(
        send(&limiter, &a, 3, 0).unwrap(),
        Tally {
            passed: 3,
            dropped: 0
        }
    );
    data.set_enabled(1);
    assert_eq!(
        send(&limiter, &a, 1, 0).unwrap(),
        Tally {
            passed: 0,
            dropped: 1
        }
    );
    // .rodata has no setters once loaded; the untyped view refuses too, as Linux does.
    let e = limiter
        .globals()
        .rodata()
        .map()
        .write(0, &7u32)
        .unwrap_err();
    assert_eq!(e.errno(), Errno::EPERM);
}

#[test]
fn defaults_come_from_the_object() {
    let limiter = Ratelimit::load_with(Clock::default().options()).unwrap();
    let rodata = limiter.globals().rodata();
    assert_eq!((rodata.max_pps(), rodata.window_ns()), (100, SECOND));
    assert_eq!(limiter.globals().data().enabled(), 1);
    // The loader's init sees the object's values before changing them.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let s = seen.clone();
    Ratelimit::loader()
        .init(move |g| {
            *s.lock().unwrap() = Some(g.rodata().max_pps());
        })
        .load()
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(100));
}

#[test]
fn the_lru_table_evicts_instead_of_filling_up() {
    let clock = Clock::default();
    let limiter = load(&clock, 10, SECOND).unwrap();
    // 1024 entries fit; 1100 distinct flows all get through, the oldest evicted.
    for port in 0..1100u16 {
        let t = send(&limiter, &flow(1, IPPROTO_UDP, port), 1, 0).unwrap();
        assert_eq!(t.passed, 1);
    }
    let flows = limiter.flows();
    assert!(flows.len() <= 1024);
    assert!(flows
        .get(&flow(1, IPPROTO_UDP, 1099).key())
        .unwrap()
        .is_some());
}

#[test]
fn non_ip_and_other_protocols_pass_untracked() {
    let limiter = load(&Clock::default(), 0, SECOND).unwrap();
    let mut arp = vec![0u8; 42];
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(limiter.limit_flows().run(&mut arp).unwrap(), XDP_PASS);
    let icmp = flow(1, 1, 0);
    assert_eq!(
        limiter.limit_flows().run(&mut icmp.frame(8)).unwrap(),
        XDP_PASS
    );
    // max_pps = 0 drops every tracked packet.
    assert_eq!(
        send(&limiter, &flow(1, IPPROTO_TCP, 1), 2, 0)
            .unwrap()
            .dropped,
        2
    );
    assert_eq!(limiter.flows().len(), 1);
}

#[test]
fn the_binary_simulates_three_seconds() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_example-rate-limiter"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // Per second: bulk 100 of 250, dns 20 of 20, video 100 of 120.
    assert!(text.contains("1        bulk      100      150\n"), "{text}");
    assert!(
        text.ends_with("total: 660 passed, 510 dropped, 3 flows\n"),
        "{text}"
    );
}
