//! The Linux errno numbers the packet, checksum and host-world helpers return (negated in
//! r0), in one table: those the ABI's [`Errno`] names come from it, the others (which only
//! these helpers return) are Linux's numbers.

use crate::error::Errno;

pub const ENOENT: i64 = Errno::ENOENT.code() as i64;
pub const EINVAL: i64 = Errno::EINVAL.code() as i64;
pub const ENOMEM: i64 = 12;
pub const EACCES: i64 = 13;
pub const EFAULT: i64 = 14;
pub const EPROTO: i64 = 71;
pub const EAFNOSUPPORT: i64 = 97;
pub const EALREADY: i64 = 114;
/// The kernel-internal ENOTSUPP (include/linux/errno.h, not EOPNOTSUPP), which several skb
/// helpers and `bpf_csum_update` return as is.
pub const ENOTSUPP: i64 = 524;

/// `-e` in r0.
pub const fn neg(e: i64) -> u64 {
    (-e) as u64
}
