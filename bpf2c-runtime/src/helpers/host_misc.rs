//! Helpers whose answer in user space follows from what a process does not have: cgroup
//! classes, route realms and sockets, plus the boot-time clocks.
//!
//! * `bpf_get_cgroup_classid` and `bpf_get_route_realm` return 0, which is what Linux
//!   returns for a packet whose socket is in no net_cls cgroup and whose route has no realm.
//! * The socket lookups (`bpf_sk_lookup_tcp`, `bpf_sk_lookup_udp`, `bpf_skc_lookup_tcp`)
//!   find no socket (NULL), since no socket of the host's world is visible to a run;
//!   `bpf_sk_release` of the NULL a program may still hand over returns 0, and
//!   `bpf_sk_assign` fails with -EINVAL as Linux does for a NULL socket or non-zero flags.
//! * `bpf_ktime_get_boot_ns` reads CLOCK_BOOTTIME; `bpf_jiffies64` counts ticks of
//!   [`JIFFIES_HZ`] since boot from Linux's INITIAL_JIFFIES.

use super::skb_meta::errno;
use crate::ffi::bpf2c_invocation_t;

extern "C" {
    fn bpf2c_rt_boottime_ns() -> u64;
}

/// The tick rate `bpf_jiffies64` counts in (CONFIG_HZ of Debian's and Ubuntu's kernels).
pub const JIFFIES_HZ: u64 = 250;

/// Linux's INITIAL_JIFFIES: the counter starts five minutes before it wraps 32 bits.
pub const INITIAL_JIFFIES: u64 = (1 << 32) - 300 * JIFFIES_HZ;

/// The jiffies count `boot_ns` nanoseconds after boot.
pub fn jiffies_at(boot_ns: u64) -> u64 {
    INITIAL_JIFFIES + boot_ns / (1_000_000_000 / JIFFIES_HZ)
}

macro_rules! returns_zero {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub(super) unsafe extern "C" fn $name(
            _: u64,
            _: u64,
            _: u64,
            _: u64,
            _: u64,
            _: *mut bpf2c_invocation_t,
        ) -> u64 {
            0
        }
    )*};
}

returns_zero!(
    /// No net_cls cgroup: classid 0.
    bpf_get_cgroup_classid,
    /// No route realms: 0.
    bpf_get_route_realm,
    /// No socket is visible: NULL.
    bpf_sk_lookup_tcp,
    /// No socket is visible: NULL.
    bpf_sk_lookup_udp,
    /// No socket is visible: NULL.
    bpf_skc_lookup_tcp,
    /// Releasing nothing succeeds.
    bpf_sk_release,
);

pub(super) unsafe extern "C" fn bpf_sk_assign(
    _ctx: u64,
    sk: u64,
    flags: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    if sk == 0 || flags != 0 {
        return errno::neg(errno::EINVAL);
    }
    // No lookup ever returns a socket, so a verified program cannot get here; a socket the
    // runtime does not know is not one it can assign.
    errno::neg(errno::ENOENT)
}

pub(super) unsafe extern "C" fn bpf_ktime_get_boot_ns(
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: csrc/sys.c's clock read takes no arguments and touches no Rust memory.
    unsafe { bpf2c_rt_boottime_ns() }
}

pub(super) unsafe extern "C" fn bpf_jiffies64(
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: u64,
    _: *mut bpf2c_invocation_t,
) -> u64 {
    // SAFETY: as above.
    jiffies_at(unsafe { bpf2c_rt_boottime_ns() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiffies_start_five_minutes_before_the_32_bit_wrap() {
        assert_eq!(INITIAL_JIFFIES, 4_294_892_296);
        assert_eq!(jiffies_at(0), 4_294_892_296);
        // One tick is 4 ms at 250 Hz.
        assert_eq!(jiffies_at(3_999_999), INITIAL_JIFFIES);
        assert_eq!(jiffies_at(4_000_000), INITIAL_JIFFIES + 1);
        assert_eq!(jiffies_at(300_000_000_000), 1 << 32);
    }

    #[test]
    fn boot_clock_is_at_least_the_monotonic_one_and_moves() {
        // SAFETY: no arguments, no Rust memory.
        let (a, b) = unsafe { (bpf2c_rt_boottime_ns(), bpf2c_rt_boottime_ns()) };
        assert!(a > 0 && b >= a);
        // SAFETY: as above.
        let j = unsafe { bpf_jiffies64(0, 0, 0, 0, 0, std::ptr::null_mut()) };
        assert!(j >= jiffies_at(a));
        // SAFETY: these helpers read no argument.
        unsafe {
            assert_eq!(bpf_sk_lookup_tcp(1, 2, 3, 4, 5, std::ptr::null_mut()), 0);
            assert_eq!(
                bpf_get_cgroup_classid(1, 0, 0, 0, 0, std::ptr::null_mut()),
                0
            );
            assert_eq!(
                bpf_sk_assign(1, 0, 0, 0, 0, std::ptr::null_mut()) as i64,
                -22
            );
            assert_eq!(
                bpf_sk_assign(1, 8, 1, 0, 0, std::ptr::null_mut()) as i64,
                -22
            );
        }
    }
}
