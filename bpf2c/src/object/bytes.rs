//! Bounds-checked reads of fixed-width integers in an object's byte order.
//!
//! Every parser of untrusted object bytes reads through these, so a truncated or corrupt
//! file turns into `None` (and then a named error) instead of a panic.

/// A byte order, fixed per object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteOrder {
    pub little: bool,
}

impl ByteOrder {
    fn array<const N: usize>(data: &[u8], off: usize) -> Option<[u8; N]> {
        let end = off.checked_add(N)?;
        data.get(off..end)?.try_into().ok()
    }

    pub fn u16(self, data: &[u8], off: usize) -> Option<u16> {
        let b = Self::array::<2>(data, off)?;
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    pub fn u32(self, data: &[u8], off: usize) -> Option<u32> {
        let b = Self::array::<4>(data, off)?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
}

/// A slice of `len` bytes at `off`, or None when it does not fit.
pub(crate) fn slice(data: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    data.get(off..off.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_orders_and_refuses_overruns() {
        let data = [1, 2, 3, 4, 5];
        let le = ByteOrder { little: true };
        let be = ByteOrder { little: false };
        assert_eq!(le.u32(&data, 0), Some(0x0403_0201));
        assert_eq!(be.u32(&data, 1), Some(0x0203_0405));
        assert_eq!(le.u16(&data, 3), Some(0x0504));
        assert_eq!(le.u32(&data, 2), None);
        assert_eq!(le.u32(&data, usize::MAX), None);
        assert_eq!(slice(&data, 4, 2), None);
        assert_eq!(slice(&data, 4, 1), Some(&[5u8][..]));
    }
}
