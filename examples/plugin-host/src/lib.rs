//! A host application with eBPF plugins: the plugins are raw eBPF programs, verified and
//! compiled into this crate by bpf2c-build, that call two helpers the host defines.
//!
//! The helpers are declared once, in `[package.metadata.bpf2c]` of Cargo.toml (id, name,
//! argument kinds): the verifier checks every call a plugin makes against that prototype,
//! so `host_log` can trust that its pointer and length describe readable memory. The host
//! implements them here and hands them to each plugin when it loads it, through the
//! `helper_host_log` / `helper_host_price` methods of the generated loaders.
//!
//! This makes eBPF a plugin system for an ordinary Rust program: plugins cannot read or
//! write outside the memory they are given, cannot loop forever (the runtime's back-edge
//! budget stops them), and can only reach the host through the helpers it chose to offer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bpf2c_runtime::HelperCall;

bpf2c_runtime::include_bindings!("audit");
bpf2c_runtime::include_bindings!("pricing");

pub use audit::Audit;
pub use pricing::Pricing;

/// One line of an order, as `struct order_line` in `bpf/plugin_api.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderLine {
    pub item: u32,
    pub quantity: u32,
}

/// An order as the plugins see it: the lines back to back, in host byte order.
pub fn encode(lines: &[OrderLine]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| [l.item.to_ne_bytes(), l.quantity.to_ne_bytes()].concat())
        .collect()
}

pub fn decode(bytes: &[u8]) -> Vec<OrderLine> {
    bytes
        .chunks_exact(8)
        .map(|c| OrderLine {
            item: u32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
            quantity: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect()
}

/// What the host offers plugins: a price list and a log.
#[derive(Clone, Debug, Default)]
pub struct Host {
    pub prices: BTreeMap<u32, u64>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Host {
    pub fn new(prices: &[(u32, u64)]) -> Host {
        Host {
            prices: prices.iter().copied().collect(),
            log: Arc::default(),
        }
    }

    /// `host_log(msg, len)`: appends the text, prefixed with the calling plugin's name.
    fn log_helper(&self) -> impl Fn(&HelperCall<'_>) -> u64 + Send + Sync + 'static {
        let log = self.log.clone();
        move |call| {
            let [msg, len, ..] = call.args();
            // SAFETY: host_log is declared (readable-mem, const-size), so the verifier
            // proved that msg..msg+len is readable memory of the plugin.
            let bytes = unsafe { call.read_mem(msg, len as usize) };
            let text = String::from_utf8_lossy(&bytes);
            log.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{}: {text}", call.program()));
            0
        }
    }

    /// `host_price(item)`: the price in cents, 0 when unknown.
    fn price_helper(&self) -> impl Fn(&HelperCall<'_>) -> u64 + Send + Sync + 'static {
        let prices = self.prices.clone();
        move |call| {
            let item = call.args()[0] as u32;
            prices.get(&item).copied().unwrap_or(0)
        }
    }

    /// Loads the pricing plugin; `bulk` = (quantity, percent off) overrides its defaults.
    pub fn pricing(&self, bulk: Option<(u32, u32)>) -> Result<Pricing, bpf2c_runtime::LoadError> {
        let mut loader = Pricing::loader()
            .helper_host_log(self.log_helper())
            .helper_host_price(self.price_helper());
        if let Some((quantity, percent)) = bulk {
            loader = loader.init(move |g| {
                g.rodata()
                    .set_bulk_quantity(quantity)
                    .set_bulk_percent(percent);
            });
        }
        loader.load()
    }

    /// Loads the audit plugin.
    pub fn audit(&self) -> Result<Audit, bpf2c_runtime::LoadError> {
        Audit::loader().helper_host_log(self.log_helper()).load()
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Runs an order through the audit plugin (which may rewrite it) and then the pricing
/// plugin: (lines changed, the order as audited, total in cents).
pub fn process(
    audit: &Audit,
    pricing: &Pricing,
    order: &[OrderLine],
) -> Result<(u64, Vec<OrderLine>, u64), bpf2c_runtime::RunError> {
    let mut bytes = encode(order);
    let changed = audit.audit_order().run(&mut bytes)?;
    let total = pricing.order_total().run(&mut bytes)?;
    Ok((changed, decode(&bytes), total))
}
