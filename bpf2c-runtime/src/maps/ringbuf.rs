//! RINGBUF: Linux's BPF ring buffer, one producer side for programs and one consumer for
//! the host.
//!
//! Positions count bytes from the map's creation and never wrap; a position's offset in
//! the ring is `pos & mask`. Each record is an 8-byte header (`len` with Linux's BUSY and
//! DISCARD bits, then the record's offset) and its data, padded to 8 bytes. A reservation
//! fails (NULL, or EAGAIN from `bpf_ringbuf_output`) when the record would bring the bytes
//! between the consumer and producer positions past `mask`, exactly Linux's test. Records
//! are consumed in reservation order, and a reserved record that is not yet submitted holds
//! back every later one, as in Linux.
//!
//! Linux maps the ring's pages twice in a row so that a record crossing the end is
//! contiguous. This ring does the same with twice the declared size of memory: a record is
//! written and read at `offset..offset + len` of the doubled buffer, and no later record
//! reaches the copy of the bytes it uses before they are consumed.
//!
//! Linux keeps no count of failed reservations (the program sees the failure); this ring
//! also counts them, for the host ([`RingBuf::dropped`]).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::maps::shared::{self, SharedBuf};
use crate::types::MapSpec;

/// Linux's BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT and BPF_RINGBUF_HDR_SZ.
pub(crate) const BUSY_BIT: u32 = 1 << 31;
pub(crate) const DISCARD_BIT: u32 = 1 << 30;
pub(crate) const HEADER_SIZE: u64 = 8;
/// Linux's RINGBUF_MAX_RECORD_SZ.
const MAX_RECORD_SIZE: u64 = (u32::MAX / 4) as u64;
/// The page size Linux requires the ring's size to be a multiple of.
const PAGE_SIZE: u32 = 4096;

/// `bpf_ringbuf_query` flags.
pub(crate) mod query {
    pub const AVAIL_DATA: u64 = 0;
    pub const RING_SIZE: u64 = 1;
    pub const CONS_POS: u64 = 2;
    pub const PROD_POS: u64 = 3;
}

pub(crate) struct RingBuf {
    data: SharedBuf,
    mask: u64,
    consumer_pos: AtomicU64,
    producer_pos: AtomicU64,
    /// Serialises producers, as Linux's spinlock does.
    producer: Mutex<()>,
    dropped: AtomicU64,
}

impl RingBuf {
    /// A ring of `max_entries` bytes (checked by [`check_definition`]); None when memory
    /// is refused.
    pub fn new(spec: &MapSpec) -> Option<RingBuf> {
        let size = spec.max_entries as usize;
        Some(RingBuf {
            data: SharedBuf::zeroed(size.checked_mul(2)?)?,
            mask: size as u64 - 1,
            consumer_pos: AtomicU64::new(0),
            producer_pos: AtomicU64::new(0),
            producer: Mutex::new(()),
            dropped: AtomicU64::new(0),
        })
    }

    pub fn size(&self) -> u64 {
        self.mask + 1
    }

    fn header(&self, pos: u64) -> &AtomicU32 {
        let at = (pos & self.mask) as usize;
        // SAFETY: headers sit at 8-byte aligned offsets below the ring size, inside the
        // doubled buffer; AtomicU32 matches u32's layout and the bytes are only ever
        // accessed atomically (shared.rs).
        unsafe { &*self.data.as_ptr().add(at).cast::<AtomicU32>() }
    }

    /// Reserves `size` data bytes: the address of the data, or None when the record does
    /// not fit (counted in [`RingBuf::dropped`]).
    pub fn reserve(&self, size: u64) -> Option<*mut u8> {
        // Checked first, so that the length below cannot overflow.
        if size > MAX_RECORD_SIZE {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let len = (size + HEADER_SIZE).next_multiple_of(8);
        if len > self.size() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let _producer = self.producer.lock().unwrap_or_else(|e| e.into_inner());
        let consumer = self.consumer_pos.load(Ordering::Acquire);
        let producer = self.producer_pos.load(Ordering::Relaxed);
        if producer + len - consumer > self.mask {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let offset = (producer & self.mask) as u32;
        self.header(producer)
            .store(size as u32 | BUSY_BIT, Ordering::Relaxed);
        // SAFETY: the word after the header's length, inside the buffer as above.
        let pg_off = unsafe { &*self.header(producer + 4).as_ptr().cast::<AtomicU32>() };
        pg_off.store(offset, Ordering::Relaxed);
        self.producer_pos.store(producer + len, Ordering::Release);
        // SAFETY: the data starts after the header, and `offset + len <= 2 * size`.
        Some(unsafe {
            self.data
                .as_ptr()
                .add(offset as usize + HEADER_SIZE as usize)
        })
    }

    /// Submits (`discard` false) or discards a record [`RingBuf::reserve`] returned.
    ///
    /// # Safety
    /// `data` came from this ring's `reserve` and was not committed yet.
    pub unsafe fn commit(&self, data: *mut u8, discard: bool) {
        // SAFETY: the header is the 8 bytes before the data (this function's contract).
        let header = unsafe { &*data.sub(HEADER_SIZE as usize).cast::<AtomicU32>() };
        let len = header.load(Ordering::Relaxed) & !BUSY_BIT;
        let len = if discard { len | DISCARD_BIT } else { len };
        header.store(len, Ordering::Release);
    }

    /// Copies `src` into a new record and submits it; false when it does not fit.
    pub fn output(&self, src: *const u8, size: u64) -> bool {
        let Some(data) = self.reserve(size) else {
            return false;
        };
        // SAFETY: the reservation holds `size` bytes at 8-byte aligned `data`; the caller's
        // source is readable for as many (the helper contract).
        unsafe { shared::store_from_ptr(data, src, size as usize) };
        // SAFETY: a fresh reservation of this ring.
        unsafe { self.commit(data, false) };
        true
    }

    /// `bpf_ringbuf_query`; 0 for an unknown flag, as in Linux.
    pub fn query(&self, flag: u64) -> u64 {
        let consumer = self.consumer_pos.load(Ordering::Acquire);
        let producer = self.producer_pos.load(Ordering::Acquire);
        match flag {
            query::AVAIL_DATA => producer - consumer,
            query::RING_SIZE => self.size(),
            query::CONS_POS => consumer,
            query::PROD_POS => producer,
            _ => 0,
        }
    }

    /// Consumes the next submitted record, skipping discarded ones; None when the ring is
    /// empty or its next record is still reserved.
    pub fn consume(&self) -> Option<Vec<u8>> {
        loop {
            let consumer = self.consumer_pos.load(Ordering::Relaxed);
            let producer = self.producer_pos.load(Ordering::Acquire);
            if consumer >= producer {
                return None;
            }
            let len = self.header(consumer).load(Ordering::Acquire);
            if len & BUSY_BIT != 0 {
                return None;
            }
            let size = u64::from(len & !DISCARD_BIT);
            let record = if len & DISCARD_BIT == 0 {
                let mut out = vec![0u8; size as usize];
                let at = (consumer & self.mask) + HEADER_SIZE;
                // SAFETY: the record's data lies inside the doubled buffer, 8-byte aligned.
                unsafe { shared::load(self.data.as_ptr().add(at as usize), &mut out) };
                Some(out)
            } else {
                None
            };
            let next = consumer + (size + HEADER_SIZE).next_multiple_of(8);
            self.consumer_pos.store(next, Ordering::Release);
            if record.is_some() {
                return record;
            }
        }
    }

    /// Reservations and outputs that failed for want of room.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Linux's checks at map creation: no key or value, a power-of-two size of whole pages.
pub(crate) fn check_definition(key_size: u32, value_size: u32, size: u32) -> Result<(), String> {
    if key_size != 0 || value_size != 0 {
        return Err(format!(
            "RINGBUF maps have no key or value, not {key_size}-byte keys and {value_size}-byte values"
        ));
    }
    if !size.is_power_of_two() || !size.is_multiple_of(PAGE_SIZE) {
        return Err(format!(
            "a RINGBUF's max_entries is its size in bytes, a power of two and a multiple of \
             {PAGE_SIZE}, not {size}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MapType;

    fn ring(size: u32) -> RingBuf {
        RingBuf::new(&MapSpec {
            name: "rb".into(),
            map_type: MapType::RingBuf,
            key_size: 0,
            value_size: 0,
            max_entries: size,
            map_flags: 0,
            flags: 0,
            initial_data: vec![],
            initial_programs: vec![],
            inner_map: None,
        })
        .unwrap()
    }

    #[test]
    fn records_come_out_in_order_and_reserved_ones_hold_back_later_ones() {
        let r = ring(4096);
        assert!(r.output(b"abc".as_ptr(), 3));
        let held = r.reserve(5).unwrap();
        assert!(r.output(b"xy".as_ptr(), 2));
        assert_eq!(r.query(query::AVAIL_DATA), 16 + 16 + 16);
        assert_eq!(r.consume(), Some(b"abc".to_vec()));
        assert_eq!(r.consume(), None);
        // SAFETY: a reservation of this ring, not yet committed.
        unsafe { r.commit(held, true) };
        assert_eq!(r.consume(), Some(b"xy".to_vec()));
        assert_eq!(r.consume(), None);
        assert_eq!(r.query(query::CONS_POS), 48);
        assert_eq!(r.query(query::RING_SIZE), 4096);
    }

    #[test]
    fn full_rings_refuse_and_count_and_records_cross_the_end() {
        let r = ring(4096);
        // 4088 bytes of data make a 4096-byte record: more than mask allows.
        assert!(r.reserve(4088).is_none());
        assert_eq!(r.dropped(), 1);
        // Sizes a program could pass, however large, are refused, not overflowed.
        assert!(r.reserve(u64::MAX).is_none());
        assert_eq!(r.dropped(), 2);
        let big = vec![7u8; 3000];
        assert!(r.output(big.as_ptr(), 3000));
        assert!(!r.output(big.as_ptr(), 3000));
        assert_eq!(r.dropped(), 3);
        assert_eq!(r.consume(), Some(big.clone()));
        // The next record starts at 3008 and crosses the end of the ring.
        let data: Vec<u8> = (0..2000).map(|i| i as u8).collect();
        assert!(r.output(data.as_ptr(), 2000));
        assert_eq!(r.consume(), Some(data));
        assert_eq!(r.query(query::PROD_POS), 3008 + 2008);
    }

    #[test]
    fn linux_definition_rules() {
        assert!(check_definition(0, 0, 4096).is_ok());
        assert!(check_definition(0, 0, 3 * 4096).is_err());
        assert!(check_definition(0, 0, 1024).is_err());
        assert!(check_definition(4, 0, 4096).is_err());
    }
}
