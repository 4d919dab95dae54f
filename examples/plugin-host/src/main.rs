//! Loads two eBPF plugins that call this program's own helpers, and runs an order through
//! them.

use example_plugin_host::{process, Host, OrderLine};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let host = Host::new(&[(1, 250), (2, 1000), (3, 40)]);
    let audit = host.audit()?;
    let pricing = host.pricing(None)?;
    let order = [
        OrderLine {
            item: 1,
            quantity: 2,
        },
        OrderLine {
            item: 2,
            quantity: 12,
        },
        OrderLine {
            item: 99,
            quantity: 1,
        },
        OrderLine {
            item: 3,
            quantity: 150,
        },
    ];
    let (changed, audited, total) = process(&audit, &pricing, &order)?;
    println!("audit changed {changed} line(s)");
    for line in &audited {
        println!("  item {:>3} x {:>3}", line.item, line.quantity);
    }
    println!("total: {}.{:02}", total / 100, total % 100);
    for line in host.log_lines() {
        println!("log: {line}");
    }
    Ok(())
}
