//! Runs the XDP packet counter over a synthesised capture and prints a table per protocol.

use example_packet_counter::{count, packets, table, Counter};

fn main() {
    let result = Counter::load()
        .map_err(|e| e.to_string())
        .and_then(|counter| count(&counter, &packets::capture()).map_err(|e| e.to_string()));
    match result {
        Ok(report) => print!("{}", table(&report)),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
