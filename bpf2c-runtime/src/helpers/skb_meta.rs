//! What the helpers of packet programs reach besides the packet bytes: the parts of a Linux
//! `struct sk_buff` that `struct __sk_buff` does not show (checksum status, tunnel
//! metadata, whether the flow hash is valid), and the packet of a native skb context.
//!
//! A run starts from the instance's [`SkbMeta`] (`Options::skb_meta`) or the one the host
//! passes to [`Instance::run_with_skb_meta`](crate::Instance::run_with_skb_meta), and the
//! host reads the final state back from the latter: a tunnel key the program set, the
//! checksum state after `bpf_csum_level`, and so on.

#[cfg(test)]
use std::ffi::c_void;
use std::net::IpAddr;

use crate::ffi::{bpf2c_invocation_t, bpf2c_skb_context_t};
use crate::instance::RunState;

pub(crate) use super::errno;

/// `skb->ip_summed` (and `csum`, `csum_level`): what the stack knows about the packet's
/// checksums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpSummed {
    /// CHECKSUM_NONE: nothing is known; checksums are checked in software. The default, as
    /// for a packet built by `BPF_PROG_TEST_RUN`.
    #[default]
    None,
    /// CHECKSUM_UNNECESSARY: the device verified `level + 1` checksums (level 0..=3).
    Unnecessary { level: u8 },
    /// CHECKSUM_COMPLETE: the device summed the whole packet; `csum` is that 32-bit
    /// one's-complement sum (a `__wsum`), kept up to date by the checksum helpers.
    Complete { csum: u32 },
    /// CHECKSUM_PARTIAL: the L4 checksum is left for the device to fill in; its field holds
    /// the pseudo-header sum, so only pseudo-header changes touch it.
    Partial,
}

/// Highest `csum_level` (SKB_MAX_CSUM_LEVEL).
pub const SKB_MAX_CSUM_LEVEL: u8 = 3;

/// The tunnel metadata of an skb (`struct ip_tunnel_info`): what a tunnel device attached
/// to a received packet, or what `bpf_skb_set_tunnel_key` attached for transmission.
///
/// Addresses are the outer header's: on a received packet `src` is the remote end and
/// `dst` this host; on one to transmit (`tx`) `dst` is the remote end. `bpf_tunnel_key`
/// shows `src` as `remote_ipv4` and `dst` as `local_ipv4` either way, as Linux does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelInfo {
    /// Set by the program for transmission (IP_TUNNEL_INFO_TX); false for received metadata.
    pub tx: bool,
    /// The tunnel id (VNI, GRE key): `tun_id` in host order.
    pub id: u64,
    /// Outer source and destination; both IPv4 or both IPv6.
    pub src: IpAddr,
    pub dst: IpAddr,
    pub tos: u8,
    pub ttl: u8,
    /// IPv6 flow label, host order (20 bits); 0 for IPv4.
    pub label: u32,
    /// `tun_flags` bits 0..=15 (IP_TUNNEL_*_BIT): `tunnel_flags`.
    pub flags: u16,
}

/// Bits of [`TunnelInfo::flags`] (Linux's IP_TUNNEL_*_BIT, as `1 << bit`).
pub mod tunnel_flags {
    pub const CSUM: u16 = 1 << 0;
    pub const KEY: u16 = 1 << 2;
    pub const SEQ: u16 = 1 << 3;
    pub const DONT_FRAGMENT: u16 = 1 << 8;
    pub const NOCACHE: u16 = 1 << 13;
}

impl TunnelInfo {
    /// Metadata of a packet received through a tunnel with key `id` from `remote` to
    /// `local` (both of one family), with the KEY flag as a keyed tunnel sets it.
    pub fn received(id: u64, remote: IpAddr, local: IpAddr) -> TunnelInfo {
        TunnelInfo {
            tx: false,
            id,
            src: remote,
            dst: local,
            tos: 0,
            ttl: 0,
            label: 0,
            flags: tunnel_flags::KEY,
        }
    }

    pub fn is_ipv6(&self) -> bool {
        self.src.is_ipv6()
    }
}

/// The per-packet state behind `struct __sk_buff` that only helpers reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkbMeta {
    /// `skb->ip_summed`, with `csum` or `csum_level`.
    pub checksum: IpSummed,
    /// Tunnel metadata: received (host-supplied) or set by `bpf_skb_set_tunnel_key`.
    pub tunnel: Option<TunnelInfo>,
    /// Whether the context's `hash` is a valid flow hash (`l4_hash`/`sw_hash` in Linux).
    /// None: valid exactly when it is non-zero, which is how a host-filled context is read.
    pub hash_valid: Option<bool>,
}

/// The packet bytes of a native skb context: `data .. data_end`.
///
/// # Safety
/// `ctx` is a live `bpf2c_skb_context_t` whose packet range is readable and writable and
/// not otherwise borrowed while the slice lives (the helper contract: the verifier proved
/// r1 is the program's skb context, which the runtime built over the packet).
pub(crate) unsafe fn packet<'a>(ctx: *mut bpf2c_skb_context_t) -> &'a mut [u8] {
    // SAFETY: a live context (this function's contract).
    let c = unsafe { &*ctx };
    let len = c.data_end.saturating_sub(c.data) as usize;
    if len == 0 {
        return &mut [];
    }
    // SAFETY: data .. data_end is the run's packet, readable and writable.
    unsafe { std::slice::from_raw_parts_mut(c.data as *mut u8, len) }
}

/// Runs `f` on the run's skb state (starting from the instance's defaults on first use).
/// Without a run state (a hand-made invocation) `f` gets a fresh default state.
///
/// # Safety
/// `inv` is the run's invocation (the helper contract).
pub(crate) unsafe fn with_meta<R>(
    inv: *mut bpf2c_invocation_t,
    f: impl FnOnce(&mut SkbMeta) -> R,
) -> R {
    // SAFETY: the run's invocation, whose host is NULL or its RunState (the contract).
    match unsafe { RunState::from_invocation(inv) } {
        Some(state) => state.with_skb_meta(f),
        None => f(&mut SkbMeta::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::*;
    use crate::helpers::{checksum, tunnel};
    use crate::{Instance, ModuleImage, Options};

    /// The helper table slots of the module below.
    const HELPERS: [u32; 4] = [
        crate::helpers::id::CSUM_LEVEL,
        crate::helpers::id::SKB_SET_TUNNEL_KEY,
        crate::helpers::id::L4_CSUM_REPLACE,
        crate::helpers::id::GET_HASH_RECALC,
    ];

    /// A "program" in Rust that calls helpers through its runtime's table as generated
    /// code does: raises the checksum level, sets a tunnel key (id 9, remote 10.0.0.2),
    /// rewrites a checksum at offset 0 for a pseudo-header change 1 -> 2, and returns the
    /// flow hash.
    unsafe extern "C" fn program(
        ctx: u64,
        _: u64,
        _: u64,
        _: u64,
        _: u64,
        inv: *mut bpf2c_invocation_t,
    ) -> u64 {
        // SAFETY: the runtime calls programs with the run's invocation, whose runtime
        // context holds one bound helper per entry of HELPERS.
        let helper = |slot: usize| unsafe { (*(*(*inv).runtime).helpers.add(slot)).unwrap() };
        let mut key = [0u8; tunnel::TUNNEL_KEY_SIZE];
        key[0] = 9;
        key[4..8].copy_from_slice(&0x0a00_0002u32.to_ne_bytes());
        let from = u32::from_ne_bytes([0, 0, 0, 1]) as u64;
        let to = u32::from_ne_bytes([0, 0, 0, 2]) as u64;
        // SAFETY: ctx is the skb context the test built; the key lives across the call.
        unsafe {
            helper(0)(ctx, checksum::level::INC, 0, 0, 0, inv);
            helper(1)(ctx, key.as_ptr() as u64, key.len() as u64, 0, 0, inv);
            helper(2)(ctx, 0, from, to, checksum::flags::PSEUDO_HDR | 4, inv);
            helper(3)(ctx, 0, 0, 0, 0, inv)
        }
    }

    fn instance(options: Options) -> Instance {
        let helpers: Vec<bpf2c_helper_entry_t> = HELPERS
            .iter()
            .map(|&id| bpf2c_helper_entry_t {
                id,
                name: c"h".as_ptr(),
            })
            .collect();
        let programs = [bpf2c_program_entry_t {
            name: c"tc_prog".as_ptr(),
            section: c"raw".as_ptr(),
            program_type: BPF2C_PROG_TYPE_RAW,
            instruction_count: 1,
            function: Some(program),
        }];
        let module = bpf2c_module_t {
            magic: BPF2C_ABI_MAGIC,
            abi_version: BPF2C_ABI_VERSION,
            module_size: std::mem::size_of::<bpf2c_module_t>() as u32,
            map_data_version: BPF2C_MAP_DATA_VERSION,
            map_data_size: std::mem::size_of::<bpf2c_map_data_t>() as u32,
            runtime_context_size: std::mem::size_of::<bpf2c_runtime_context_t>() as u32,
            invocation_size: std::mem::size_of::<bpf2c_invocation_t>() as u32,
            flags: 0,
            name: c"skb_unit".as_ptr(),
            maps: std::ptr::null(),
            map_count: 0,
            helper_count: helpers.len() as u32,
            helpers: helpers.as_ptr(),
            programs: programs.as_ptr(),
            program_count: 1,
            function_count: 0,
            functions: std::ptr::null(),
            map_assumption_count: 0,
            reserved: 0,
            map_assumptions: std::ptr::null(),
        };
        // SAFETY: complete local tables, copied by the image; `program` stays loaded.
        let image = unsafe { ModuleImage::from_ptr(&module) }.unwrap();
        // SAFETY: `program` only calls the bound helpers with an skb context and a key of
        // the sizes it passes.
        unsafe { Instance::new_unverified(image, options) }.unwrap()
    }

    #[test]
    fn a_run_starts_from_the_hosts_state_and_hands_back_the_final_one() {
        // Ethernet + IPv4 + TCP 10.0.0.1:1234 -> 10.0.0.2:80; the checksum at offset 0
        // (the destination MAC, as far as the helper knows) is 12 34.
        let mut frame = vec![0u8; 54];
        frame[..2].copy_from_slice(&[0x12, 0x34]);
        frame[12..14].copy_from_slice(&[0x08, 0x00]);
        frame[14] = 0x45;
        frame[23] = 6;
        frame[26..30].copy_from_slice(&[10, 0, 0, 1]);
        frame[30..34].copy_from_slice(&[10, 0, 0, 2]);
        frame[34..38].copy_from_slice(&[0x04, 0xd2, 0x00, 0x50]);
        let data = frame.as_mut_ptr() as u64;
        let mut ctx = bpf2c_skb_context_t {
            data,
            data_end: data + frame.len() as u64,
            data_meta: data,
            len: frame.len() as u32,
            ..Default::default()
        };
        let inst = instance(Options::default().flow_hash_seed(5));
        let prog = inst.program("tc_prog").unwrap();
        let mut meta = SkbMeta {
            // The packet's sum, 40 00 in memory order.
            checksum: IpSummed::Complete {
                csum: u16::from_ne_bytes([0x40, 0x00]) as u32,
            },
            ..SkbMeta::default()
        };
        // SAFETY: ctx describes `frame`, both alive for the run.
        let hash =
            unsafe { inst.run_with_skb_meta(&prog, &mut ctx as *mut _ as *mut c_void, &mut meta) }
                .unwrap();
        assert_eq!(hash as u32, crate::helpers::flow_hash::flow_hash(&frame, 5));
        assert_eq!(ctx.hash, hash as u32);
        assert_eq!(meta.hash_valid, Some(true));
        // The field fell by one (12 34 -> 12 33), skb->csum with it (40 00 -> 3f ff).
        assert_eq!(frame[..2], [0x12, 0x33]);
        let IpSummed::Complete { csum } = meta.checksum else {
            panic!("{:?}", meta.checksum)
        };
        assert_eq!(checksum::csum_from32to16(csum).to_ne_bytes(), [0x3f, 0xff]);
        let tunnel = meta.tunnel.unwrap();
        assert!(tunnel.tx);
        assert_eq!((tunnel.id, tunnel.dst), (9, "10.0.0.2".parse().unwrap()));

        // From CHECKSUM_NONE, the program's INC makes the packet CHECKSUM_UNNECESSARY.
        let mut meta = SkbMeta::default();
        // SAFETY: as above.
        unsafe { inst.run_with_skb_meta(&prog, &mut ctx as *mut _ as *mut c_void, &mut meta) }
            .unwrap();
        assert_eq!(meta.checksum, IpSummed::Unnecessary { level: 0 });
    }

    /// tests/bpf/skb_host_helpers.c's calls, made with this module's functions on the
    /// packet Linux 6.18 ran it on (BPF_PROG_TEST_RUN, CHECKSUM_NONE, no tunnel): the
    /// packet and every result must be the kernel's, recorded below.
    #[test]
    fn replays_a_linux_run_of_tests_bpf_skb_host_helpers() {
        use crate::helpers::checksum::{
            csum_diff, csum_level, csum_update, flags, l3_csum_replace, l4_csum_replace, level,
        };
        use crate::helpers::tunnel::{get_tunnel_key, key_flags, set_tunnel_key};
        // Ethernet, IPv4 10.0.0.1 -> 10.0.0.2 (checksum 26c2), TCP 1234 -> 80 seq 11111111
        // (checksum e08a), "hello world!".
        let input = "00112233445566778899aabb08004500003400004000400626c20a0000010a000002\
                     04d20050111111110000000050180200e08a000068656c6c6f20776f726c6421";
        let linux = "00112233445566778899aabb08004500003400004000400626600a0000630a000002\
                     04d21f90010203040000000050180200df04000068656c6c6f20776f726c6421";
        let unhex = |s: &str| -> Vec<u8> {
            let s: String = s.split_whitespace().collect();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut p = unhex(input);
        let mut meta = SkbMeta::default();
        let word = |b: &[u8]| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as u64;
        let half = |b: &[u8]| u16::from_ne_bytes([b[0], b[1]]) as u64;

        let (old_ip, new_ip) = (word(&p[26..30]), word(&[10, 0, 0, 0x63]));
        p[26..30].copy_from_slice(&[10, 0, 0, 0x63]);
        assert_eq!(l3_csum_replace(&mut p, 24, old_ip, new_ip, 4), Ok(()));
        let f = flags::PSEUDO_HDR | 4;
        assert_eq!(
            l4_csum_replace(&mut p, &mut meta, 50, old_ip, new_ip, f),
            Ok(())
        );
        let (old_port, new_port) = (half(&p[36..38]), half(&8080u16.to_be_bytes()));
        p[36..38].copy_from_slice(&8080u16.to_be_bytes());
        assert_eq!(
            l4_csum_replace(&mut p, &mut meta, 50, old_port, new_port, 2),
            Ok(())
        );
        let old_seq = p[38..42].to_vec();
        p[38..42].copy_from_slice(&[1, 2, 3, 4]);
        let diff = csum_diff(&old_seq, &[1, 2, 3, 4], 0).unwrap();
        assert_eq!(diff, 58337, "r_diff");
        l4_csum_replace(&mut p, &mut meta, 50, 0, diff as u64, 0).unwrap();
        assert_eq!(p, unhex(linux));
        assert_eq!(csum_level(&mut meta, level::QUERY), Err(13), "r_level");
        assert_eq!(csum_update(&mut meta, 5), Err(524), "r_update");
        let mut key = [0u8; 44];
        assert_eq!(get_tunnel_key(&meta, &mut key, 0), Err(22), "r_get");
        key[0] = 9;
        key[4..8].copy_from_slice(&0x0a00_0002u32.to_ne_bytes());
        key[28..32].copy_from_slice(&0x0a00_0001u32.to_ne_bytes());
        key[21] = 7;
        assert_eq!(
            set_tunnel_key(&mut meta, &key, key_flags::ZERO_CSUM_TX),
            Ok(())
        );
        let mut back = [0u8; 44];
        assert_eq!(get_tunnel_key(&meta, &mut back, 0), Ok(()), "r_get2");
        // remote_after: Linux reads the set key's local address back as remote_ipv4.
        assert_eq!(
            u32::from_ne_bytes(back[4..8].try_into().unwrap()),
            167_772_161
        );
    }
}
