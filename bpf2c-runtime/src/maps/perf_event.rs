//! PERF_EVENT_ARRAY: per-index perf buffers that `bpf_perf_event_output` writes samples to.
//!
//! In Linux the host opens one perf event per CPU and stores it at that index; libbpf's
//! perf buffer does it for every CPU. Here every index below max_entries has a buffer from
//! the start, of [`BUFFER_BYTES`] (libbpf-rs's default of 64 pages). A sample takes the room
//! Linux's raw sample record takes: an 8-byte perf header and the 4-byte size before the
//! data, padded to 8 bytes. A sample that does not fit is lost: the helper returns ENOSPC,
//! and the buffer counts it and reports the count before its next sample, as Linux's
//! PERF_RECORD_LOST does.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Bytes of each index's buffer: 64 pages of 4096 bytes.
pub const BUFFER_BYTES: usize = 64 * 4096;
/// Room a PERF_RECORD_LOST record takes (header, id, count).
const LOST_RECORD_BYTES: usize = 24;

/// What a perf buffer holds: samples, and counts of samples lost for want of room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PerfRecord {
    Sample(Vec<u8>),
    Lost(u64),
}

/// Bytes a raw sample of `size` bytes takes in a perf buffer.
pub(crate) fn sample_room(size: usize) -> usize {
    8 + (size + 4).next_multiple_of(8)
}

#[derive(Default)]
struct Buffer {
    records: VecDeque<PerfRecord>,
    used: usize,
    /// Samples lost since the last record was queued.
    lost: u64,
}

pub(crate) struct PerfEventArray {
    buffers: Vec<Mutex<Buffer>>,
}

impl PerfEventArray {
    pub fn new(entries: u32) -> PerfEventArray {
        PerfEventArray {
            buffers: (0..entries).map(|_| Mutex::default()).collect(),
        }
    }

    pub fn entries(&self) -> u32 {
        self.buffers.len() as u32
    }

    fn buffer(&self, index: usize) -> std::sync::MutexGuard<'_, Buffer> {
        self.buffers[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a sample to buffer `index` (< entries); false when it is lost for want of room.
    pub fn output(&self, index: u32, data: Vec<u8>) -> bool {
        let mut b = self.buffer(index as usize);
        let mut need = sample_room(data.len());
        if b.lost > 0 {
            need += LOST_RECORD_BYTES;
        }
        if b.used + need > BUFFER_BYTES {
            b.lost += 1;
            return false;
        }
        if b.lost > 0 {
            let lost = std::mem::take(&mut b.lost);
            b.records.push_back(PerfRecord::Lost(lost));
        }
        b.used += need;
        b.records.push_back(PerfRecord::Sample(data));
        true
    }

    /// Takes every record of buffer `index`, then the count of samples lost since the last.
    pub fn drain(&self, index: u32) -> Vec<PerfRecord> {
        let mut b = self.buffer(index as usize);
        let mut out: Vec<PerfRecord> = b.records.drain(..).collect();
        b.used = 0;
        if b.lost > 0 {
            out.push(PerfRecord::Lost(std::mem::take(&mut b.lost)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_take_linux_room_and_lost_ones_are_counted_in_order() {
        assert_eq!(sample_room(0), 16);
        assert_eq!(sample_room(4), 16);
        assert_eq!(sample_room(5), 24);
        let p = PerfEventArray::new(2);
        let big = vec![1u8; BUFFER_BYTES - 12];
        assert!(p.output(1, big.clone()));
        assert!(!p.output(1, vec![2]));
        assert!(!p.output(1, vec![3]));
        assert_eq!(
            p.drain(1),
            vec![PerfRecord::Sample(big), PerfRecord::Lost(2)]
        );
        assert!(p.output(1, vec![4]));
        assert_eq!(p.drain(1), vec![PerfRecord::Sample(vec![4])]);
        assert_eq!(p.drain(0), vec![]);
    }

    #[test]
    fn a_lost_count_comes_before_the_next_sample() {
        let p = PerfEventArray::new(1);
        let fill = vec![0u8; BUFFER_BYTES - 20];
        assert!(p.output(0, fill.clone()));
        assert!(!p.output(0, vec![1]));
        assert_eq!(p.drain(0).len(), 2);
        assert!(!p.output(0, vec![0; BUFFER_BYTES]));
        assert!(p.output(0, vec![9]));
        assert_eq!(
            p.drain(0),
            vec![PerfRecord::Lost(1), PerfRecord::Sample(vec![9])]
        );
    }
}
