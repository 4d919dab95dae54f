//! Memory that programs and the host share.
//!
//! Programs read and write map values through raw pointers on any thread at any time, so
//! the Rust side never forms a reference to that memory. It copies values in and out with
//! relaxed atomic loads and stores, 8 bytes at a time where aligned: concurrent program
//! writes then race only at the hardware level, as in Linux (a value copied while a program
//! writes it may be a mix of old and new), never as undefined behaviour on the Rust side.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// Alignment of every map allocation: a cache line, so neighbouring maps never share one
/// and 8-byte value alignment always holds.
pub const MAP_ALIGN: usize = 64;

/// A zeroed, 64-byte-aligned allocation that never moves.
pub struct SharedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: the buffer is plain bytes; every access goes through raw pointers with atomic or
// program-side synchronisation, as described in the module documentation.
unsafe impl Send for SharedBuf {}
unsafe impl Sync for SharedBuf {}

impl SharedBuf {
    /// Allocates `len` zeroed bytes, or returns None when the allocator refuses.
    pub fn zeroed(len: usize) -> Option<SharedBuf> {
        let layout = Layout::from_size_align(len.max(1), MAP_ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size.
        let ptr = NonNull::new(unsafe { alloc::alloc_zeroed(layout) })?;
        Some(SharedBuf { ptr, layout })
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.layout.size()
    }
}

impl Drop for SharedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// Copies `dst.len()` bytes out of shared memory.
///
/// # Safety
/// `src` is 8-byte aligned and valid for `dst.len()` bytes.
pub unsafe fn load(src: *const u8, dst: &mut [u8]) {
    let mut chunks = dst.chunks_exact_mut(8);
    let mut at = src;
    for chunk in &mut chunks {
        let v = AtomicU64::from_ptr(at as *mut u64).load(Ordering::Relaxed);
        chunk.copy_from_slice(&v.to_ne_bytes());
        at = at.add(8);
    }
    for byte in chunks.into_remainder() {
        *byte = AtomicU8::from_ptr(at as *mut u8).load(Ordering::Relaxed);
        at = at.add(1);
    }
}

/// Copies `len` bytes from `src` (any alignment, not shared) into shared memory.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for `len` bytes; `src` is readable for `len` bytes.
pub unsafe fn store_from_ptr(dst: *mut u8, src: *const u8, len: usize) {
    let words = len / 8;
    for i in 0..words {
        let v = (src.add(i * 8) as *const u64).read_unaligned();
        AtomicU64::from_ptr(dst.add(i * 8) as *mut u64).store(v, Ordering::Relaxed);
    }
    for i in words * 8..len {
        AtomicU8::from_ptr(dst.add(i)).store(src.add(i).read(), Ordering::Relaxed);
    }
}

/// Copies a slice into shared memory.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for `src.len()` bytes.
pub unsafe fn store(dst: *mut u8, src: &[u8]) {
    store_from_ptr(dst, src.as_ptr(), src.len())
}

/// Zeroes `len` bytes of shared memory.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for `len` bytes.
pub unsafe fn zero(dst: *mut u8, len: usize) {
    let words = len / 8;
    for i in 0..words {
        AtomicU64::from_ptr(dst.add(i * 8) as *mut u64).store(0, Ordering::Relaxed);
    }
    for i in words * 8..len {
        AtomicU8::from_ptr(dst.add(i)).store(0, Ordering::Relaxed);
    }
}

/// Copies `dst.len()` bytes out of shared memory at any alignment: single bytes up to the
/// first 8-byte boundary, then words, then the remaining bytes.
///
/// # Safety
/// `src` is valid for `dst.len()` bytes.
pub unsafe fn load_unaligned(src: *const u8, dst: &mut [u8]) {
    let head = src.align_offset(8).min(dst.len());
    for (i, byte) in dst[..head].iter_mut().enumerate() {
        *byte = AtomicU8::from_ptr(src.add(i) as *mut u8).load(Ordering::Relaxed);
    }
    load(src.add(head), &mut dst[head..]);
}

/// Copies a slice into shared memory at any alignment (see [`load_unaligned`]).
///
/// # Safety
/// `dst` is valid for `src.len()` bytes.
pub unsafe fn store_unaligned(dst: *mut u8, src: &[u8]) {
    let head = dst.align_offset(8).min(src.len());
    for (i, &byte) in src[..head].iter().enumerate() {
        AtomicU8::from_ptr(dst.add(i)).store(byte, Ordering::Relaxed);
    }
    store(dst.add(head), &src[head..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaligned_copies_round_trip_at_every_offset() {
        let b = SharedBuf::zeroed(64).unwrap();
        for offset in 0..12 {
            for len in 0..20 {
                let data: Vec<u8> = (0..len as u8)
                    .map(|i| i.wrapping_mul(7) ^ offset as u8)
                    .collect();
                unsafe { zero(b.as_ptr(), 64) };
                unsafe { store_unaligned(b.as_ptr().add(offset), &data) };
                let mut whole = [0u8; 64];
                unsafe { load(b.as_ptr(), &mut whole) };
                assert_eq!(&whole[offset..offset + len], &data[..]);
                assert!(whole[..offset].iter().all(|&x| x == 0));
                assert!(whole[offset + len..].iter().all(|&x| x == 0));
                let mut back = vec![0u8; len];
                unsafe { load_unaligned(b.as_ptr().add(offset), &mut back) };
                assert_eq!(back, data);
            }
        }
    }

    #[test]
    fn buffers_are_zeroed_and_cache_line_aligned() {
        let b = SharedBuf::zeroed(200).unwrap();
        assert_eq!(b.as_ptr() as usize % MAP_ALIGN, 0);
        assert_eq!(b.len(), 200);
        let mut out = [1u8; 200];
        unsafe { load(b.as_ptr(), &mut out) };
        assert!(out.iter().all(|&x| x == 0));
    }

    #[test]
    fn copies_round_trip_with_odd_lengths() {
        let b = SharedBuf::zeroed(32).unwrap();
        let data: Vec<u8> = (1..=13).collect();
        unsafe { store(b.as_ptr(), &data) };
        let mut out = [0u8; 16];
        unsafe { load(b.as_ptr(), &mut out) };
        assert_eq!(&out[..13], &data[..]);
        assert_eq!(&out[13..], &[0, 0, 0]);
        unsafe { zero(b.as_ptr().add(8), 5) };
        unsafe { load(b.as_ptr(), &mut out) };
        assert_eq!(&out[..8], &data[..8]);
        assert_eq!(&out[8..13], &[0; 5]);
    }
}
