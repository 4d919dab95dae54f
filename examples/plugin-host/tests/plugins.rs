//! The plugin host end to end: plugins calling the host's own helpers.

use bpf2c_runtime::{LoadError, RunError};
use example_plugin_host::*;

fn order() -> Vec<OrderLine> {
    vec![
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
    ]
}

fn host() -> Host {
    Host::new(&[(1, 250), (2, 1000), (3, 40)])
}

#[test]
fn plugins_price_and_audit_an_order_through_host_helpers() {
    let host = host();
    let audit = host.audit().unwrap();
    let pricing = host.pricing(None).unwrap();
    let (changed, audited, total) = process(&audit, &pricing, &order()).unwrap();
    assert_eq!(changed, 1);
    assert_eq!(
        audited[3],
        OrderLine {
            item: 3,
            quantity: 100
        }
    );
    assert_eq!(&audited[..3], &order()[..3]);
    // 2 x 250 + (12 x 1000 - 15%) + unknown item + (100 x 40 - 15%) = 500 + 10200 + 3400.
    assert_eq!(total, 14100);
    assert_eq!(
        host.log_lines(),
        [
            "audit_order: clamped a quantity",
            "order_total: unknown item"
        ]
    );
    // The audit plugin counts outcomes in its HASH map: key 1 = clamped, 0 = clean.
    let outcomes = audit.outcomes();
    assert_eq!(outcomes.get(&1).unwrap(), Some(1));
    assert_eq!(outcomes.get(&0).unwrap(), None);
    process(&audit, &pricing, &order()[..2]).unwrap();
    assert_eq!(outcomes.get(&0).unwrap(), Some(1));
}

#[test]
fn rodata_configures_a_plugin_before_it_loads() {
    let host = host();
    // 20% off from 5 items: line 2 (12 x 1000) and line 4 (150 x 40, unaudited) qualify.
    let pricing = host.pricing(Some((5, 20))).unwrap();
    assert_eq!(pricing.globals().rodata().bulk_percent(), 20);
    let mut bytes = encode(&order());
    let total = pricing.order_total().run(&mut bytes).unwrap();
    assert_eq!(total, 500 + 9600 + 4800);
    // An empty order costs nothing and logs nothing.
    assert_eq!(pricing.order_total().run(&mut []).unwrap(), 0);
    assert_eq!(host.log_lines(), ["order_total: unknown item"]);
}

#[test]
fn a_plugin_without_its_helpers_does_not_load() {
    let e = Pricing::load().unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::MissingHelper {
                id: 1000 | 1001,
                ..
            }
        ),
        "{e}"
    );
    let text = e.to_string();
    assert!(text.contains("is not provided by the runtime"), "{text}");
}

#[test]
fn a_panicking_helper_stops_only_that_run() {
    let host = host();
    let pricing = Pricing::loader()
        .helper_host_log(|_| 0)
        .helper_host_price(|call| {
            if call.args()[0] == 2 {
                panic!("no price for item 2");
            }
            7
        })
        .load()
        .unwrap();
    let e = pricing
        .order_total()
        .run(&mut encode(&order()))
        .unwrap_err();
    assert!(
        matches!(e, RunError::HelperPanicked { ref helper, .. } if helper == "host_price"),
        "{e}"
    );
    let mut one = encode(&order()[..1]);
    assert_eq!(pricing.order_total().run(&mut one).unwrap(), 14);
    drop(host);
}

#[test]
fn helper_ids_are_exported() {
    assert_eq!(pricing::helper_ids::HOST_LOG, 1000);
    assert_eq!(pricing::helper_ids::HOST_PRICE, 1001);
    assert_eq!(audit::helper_ids::HOST_LOG, 1000);
}

#[test]
fn the_binary_runs_an_order() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_example-plugin-host"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("total: 141.00\n"), "{text}");
    assert!(text.contains("item   3 x 100\n"), "{text}");
}
