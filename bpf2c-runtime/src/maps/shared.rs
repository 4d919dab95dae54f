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

// SAFETY: SharedBuf owns its allocation (freed only in Drop) and hands out nothing but the
// raw pointer; every access to the bytes goes through this module's atomic views or through
// program code, as the module documentation describes, so moving the owner to another thread
// or sharing it between threads cannot create an unsynchronised Rust-side access.
unsafe impl Send for SharedBuf {}
// SAFETY: as for Send: `&SharedBuf` only yields the raw pointer.
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

/// `len` bytes of shared memory seen as atomics, the only way this module reads or writes it.
///
/// # Safety
/// `at` is valid for reads and writes of `len` bytes for as long as `'a` lasts.
unsafe fn atomic_bytes<'a>(at: *const u8, len: usize) -> &'a [AtomicU8] {
    // An empty range may come with any pointer, which a slice may not have.
    if len == 0 {
        return &[];
    }
    // SAFETY: AtomicU8 has the size and alignment of u8 and mutates only through its
    // UnsafeCell, so a shared slice of it may cover memory that programs write at the same
    // time; the caller vouches that the `len` bytes at `at` stay valid for `'a`.
    unsafe { std::slice::from_raw_parts(at.cast::<AtomicU8>(), len) }
}

/// Shared memory seen as the atomics that copy it: the `len / 8` words from `at`, then the
/// `len % 8` bytes after them.
///
/// # Safety
/// `at` is 8-byte aligned and valid for reads and writes of `len` bytes for as long as `'a`
/// lasts.
unsafe fn atomic_words<'a>(at: *const u8, len: usize) -> (&'a [AtomicU64], &'a [AtomicU8]) {
    let words = len / 8;
    if words == 0 {
        // SAFETY: the caller's range is atomic_bytes' (an empty one may have any pointer).
        return (&[], unsafe { atomic_bytes(at, len) });
    }
    // SAFETY: AtomicU64 has the size of u64 and mutates only through its UnsafeCell; `at` is
    // 8-byte aligned and the `words * 8 <= len` bytes from it are valid for `'a` (caller).
    let head = unsafe { std::slice::from_raw_parts(at.cast::<AtomicU64>(), words) };
    // SAFETY: `words * 8 <= len`, so the offset stays inside the caller's range.
    let tail_at = unsafe { at.add(words * 8) };
    // SAFETY: the `len % 8` bytes from `tail_at` end where the caller's range ends.
    let tail = unsafe { atomic_bytes(tail_at, len % 8) };
    (head, tail)
}

/// Copies `dst.len()` bytes out of shared memory.
///
/// # Safety
/// `src` is 8-byte aligned and valid for `dst.len()` bytes.
pub unsafe fn load(src: *const u8, dst: &mut [u8]) {
    // SAFETY: the caller's contract is atomic_words' for `dst.len()` bytes.
    let (words, tail) = unsafe { atomic_words(src, dst.len()) };
    let (dst_words, dst_tail) = dst.split_at_mut(words.len() * 8);
    for (chunk, word) in dst_words.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
    }
    for (byte, shared) in dst_tail.iter_mut().zip(tail) {
        *byte = shared.load(Ordering::Relaxed);
    }
}

/// Copies `len` bytes from `src` (any alignment, not shared) into shared memory.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for `len` bytes; `src` is readable for `len` bytes.
pub unsafe fn store_from_ptr(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: the caller's contract for `dst` is atomic_words' for `len` bytes.
    let (words, tail) = unsafe { atomic_words(dst, len) };
    // `src` is program memory: read it through the raw pointer, never through a reference.
    for (i, word) in words.iter().enumerate() {
        // SAFETY: word i's 8 bytes lie inside the `len` bytes the caller vouches are readable
        // at `src`; read_unaligned takes any alignment.
        let value = unsafe { src.cast::<u64>().add(i).read_unaligned() };
        word.store(value, Ordering::Relaxed);
    }
    for (i, byte) in tail.iter().enumerate() {
        // SAFETY: byte `words.len() * 8 + i` is one of the last `len % 8` readable bytes.
        let value = unsafe { src.add(words.len() * 8 + i).read() };
        byte.store(value, Ordering::Relaxed);
    }
}

/// Copies a slice into shared memory.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for `src.len()` bytes.
pub unsafe fn store(dst: *mut u8, src: &[u8]) {
    // SAFETY: the caller's contract is atomic_words' for `src.len()` bytes.
    let (words, tail) = unsafe { atomic_words(dst, src.len()) };
    let (src_words, src_tail) = src.split_at(words.len() * 8);
    for (chunk, word) in src_words.chunks_exact(8).zip(words) {
        let value = u64::from_ne_bytes(chunk.try_into().expect("chunks_exact(8)"));
        word.store(value, Ordering::Relaxed);
    }
    for (&byte, shared) in src_tail.iter().zip(tail) {
        shared.store(byte, Ordering::Relaxed);
    }
}

/// Zeroes `len` bytes of shared memory.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for `len` bytes.
pub unsafe fn zero(dst: *mut u8, len: usize) {
    // SAFETY: the caller's contract is atomic_words'.
    let (words, tail) = unsafe { atomic_words(dst, len) };
    words.iter().for_each(|w| w.store(0, Ordering::Relaxed));
    tail.iter().for_each(|b| b.store(0, Ordering::Relaxed));
}

/// Copies `dst.len()` bytes out of shared memory at any alignment: single bytes up to the
/// first 8-byte boundary, then words, then the remaining bytes.
///
/// # Safety
/// `src` is valid for `dst.len()` bytes.
pub unsafe fn load_unaligned(src: *const u8, dst: &mut [u8]) {
    let head = src.align_offset(8).min(dst.len());
    // SAFETY: the first `head <= dst.len()` bytes of the caller's range.
    let head_bytes = unsafe { atomic_bytes(src, head) };
    for (byte, shared) in dst[..head].iter_mut().zip(head_bytes) {
        *byte = shared.load(Ordering::Relaxed);
    }
    // SAFETY: `head <= dst.len()` keeps the offset inside the caller's range.
    let rest = unsafe { src.add(head) };
    // SAFETY: `rest` is 8-byte aligned unless no bytes remain (atomic_words takes any
    // pointer then), and the remaining `dst.len() - head` bytes of the caller's range start there.
    unsafe { load(rest, &mut dst[head..]) }
}

/// Copies a slice into shared memory at any alignment (see [`load_unaligned`]).
///
/// # Safety
/// `dst` is valid for `src.len()` bytes.
pub unsafe fn store_unaligned(dst: *mut u8, src: &[u8]) {
    let head = dst.align_offset(8).min(src.len());
    // SAFETY: the first `head <= src.len()` bytes of the caller's range.
    let head_bytes = unsafe { atomic_bytes(dst, head) };
    for (&byte, shared) in src[..head].iter().zip(head_bytes) {
        shared.store(byte, Ordering::Relaxed);
    }
    // SAFETY: `head <= src.len()` keeps the offset inside the caller's range.
    let rest = unsafe { dst.add(head) };
    // SAFETY: `rest` is 8-byte aligned unless no bytes remain (atomic_words takes any
    // pointer then), and the remaining `src.len() - head` bytes of the caller's range start there.
    unsafe { store(rest, &src[head..]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaligned_copies_round_trip_at_every_offset() {
        // Every range below stays inside the 64 bytes of `b`: offset + len < 32.
        let b = SharedBuf::zeroed(64).unwrap();
        for offset in 0..12 {
            for len in 0..20 {
                let data: Vec<u8> = (0..len as u8)
                    .map(|i| i.wrapping_mul(7) ^ offset as u8)
                    .collect();
                // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
                unsafe { zero(b.as_ptr(), 64) };
                // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
                unsafe { store_unaligned(b.as_ptr().add(offset), &data) };
                let mut whole = [0u8; 64];
                // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
                unsafe { load(b.as_ptr(), &mut whole) };
                assert_eq!(&whole[offset..offset + len], &data[..]);
                assert!(whole[..offset].iter().all(|&x| x == 0));
                assert!(whole[offset + len..].iter().all(|&x| x == 0));
                let mut back = vec![0u8; len];
                // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
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
        // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
        unsafe { load(b.as_ptr(), &mut out) };
        assert!(out.iter().all(|&x| x == 0));
    }

    #[test]
    fn copies_round_trip_with_odd_lengths() {
        let b = SharedBuf::zeroed(32).unwrap();
        let data: Vec<u8> = (1..=13).collect();
        // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
        unsafe { store(b.as_ptr(), &data) };
        let mut out = [0u8; 16];
        // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
        unsafe { load(b.as_ptr(), &mut out) };
        assert_eq!(&out[..13], &data[..]);
        assert_eq!(&out[13..], &[0, 0, 0]);
        // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
        unsafe { zero(b.as_ptr().add(8), 5) };
        // SAFETY: the range lies inside the buffer, which SharedBuf aligns to 64.
        unsafe { load(b.as_ptr(), &mut out) };
        assert_eq!(&out[..8], &data[..8]);
        assert_eq!(&out[8..13], &[0; 5]);
    }
}
