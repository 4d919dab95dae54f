//! Simulates three flows over three seconds through the rate limiter and prints what each
//! flow got through.

use std::net::Ipv4Addr;

use example_rate_limiter::{load, send, Clock, Flow, IPPROTO_TCP, IPPROTO_UDP};

const SECOND: u64 = 1_000_000_000;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let clock = Clock::default();
    let limiter = load(&clock, 100, SECOND)?;
    let flows = [
        (
            "bulk",
            Flow {
                src: Ipv4Addr::new(10, 0, 0, 1),
                dst: Ipv4Addr::new(10, 0, 0, 9),
                proto: IPPROTO_TCP,
                sport: 40000,
                dport: 443,
            },
            250,
        ),
        (
            "dns",
            Flow {
                src: Ipv4Addr::new(10, 0, 0, 2),
                dst: Ipv4Addr::new(10, 0, 0, 53),
                proto: IPPROTO_UDP,
                sport: 5353,
                dport: 53,
            },
            20,
        ),
        (
            "video",
            Flow {
                src: Ipv4Addr::new(10, 0, 0, 3),
                dst: Ipv4Addr::new(10, 0, 0, 9),
                proto: IPPROTO_UDP,
                sport: 6000,
                dport: 7000,
            },
            120,
        ),
    ];
    println!("max_pps = {}", limiter.globals().rodata().max_pps());
    println!(
        "{:<6} {:>6} {:>8} {:>8}",
        "second", "flow", "passed", "dropped"
    );
    for second in 0..3 {
        for (name, flow, pps) in &flows {
            let t = send(&limiter, flow, *pps, 64)?;
            println!("{second:<6} {name:>6} {:>8} {:>8}", t.passed, t.dropped);
        }
        clock.advance_ns(SECOND);
    }
    let bss = limiter.globals().bss();
    println!(
        "total: {} passed, {} dropped, {} flows",
        bss.total_passed(),
        bss.total_dropped(),
        limiter.flows().len()
    );
    Ok(())
}
