//! Consumers of the events programs send to the host, in the style of libbpf-rs's
//! `RingBuffer`/`PerfBuffer` and aya's `RingBuf`: take what is there, by callback or as an
//! iterator, without blocking. Memory stays bounded by the map: a RINGBUF holds at most its
//! declared size, each PERF_EVENT_ARRAY index at most 64 pages, and what does not fit is
//! counted as lost instead of growing the buffer.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let instance: bpf2c_runtime::Instance = unimplemented!();
//! use bpf2c_runtime::events::RingBuffer;
//! let mut events = RingBuffer::new(instance.map("events")?)?;
//! for record in &mut events {
//!     println!("{} bytes", record.len());
//! }
//! println!("{} records did not fit", events.dropped());
//! # Ok(()) }
//! ```

use crate::error::{MapError, MapErrorKind};
use crate::instance::{Instance, MapRef};
use crate::maps::perf_event::PerfRecord;
use crate::maps::{MapKind, PerfEventArray, RingBuf};

fn wrong_type(map: &MapRef<'_>, wanted: &'static str) -> MapError {
    MapError::new(
        map.name(),
        MapErrorKind::WrongMapType {
            wanted,
            map_type: map.definition().map_type,
        },
    )
}

/// The consumer side of a `BPF_MAP_TYPE_RINGBUF`.
pub struct RingBuffer<'a> {
    ring: &'a RingBuf,
}

impl<'a> RingBuffer<'a> {
    /// Checks that `map` is a RINGBUF.
    pub fn new(map: MapRef<'a>) -> Result<RingBuffer<'a>, MapError> {
        match map.kind() {
            MapKind::RingBuf(ring) => Ok(RingBuffer { ring }),
            _ => Err(wrong_type(&map, "a RINGBUF")),
        }
    }

    /// Calls `f` with each submitted record, oldest first, until the ring is empty or its
    /// next record is still reserved; the number of records.
    pub fn consume(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        while let Some(record) = self.ring.consume() {
            f(&record);
            n += 1;
        }
        n
    }

    /// Records that did not fit since the map was created (reservations that returned NULL
    /// and outputs that returned EAGAIN).
    pub fn dropped(&self) -> u64 {
        self.ring.dropped()
    }

    /// Bytes of records produced and not yet consumed (`BPF_RB_AVAIL_DATA`).
    pub fn available(&self) -> u64 {
        self.ring.query(crate::maps::ringbuf::query::AVAIL_DATA)
    }

    /// The ring's size in bytes, as declared.
    pub fn size(&self) -> u64 {
        self.ring.size()
    }
}

/// Takes records one at a time; None when nothing is ready (more may come later).
impl Iterator for RingBuffer<'_> {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        self.ring.consume()
    }
}

/// One record of a perf buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PerfEvent {
    /// What `bpf_perf_event_output` sent to index `cpu`.
    Sample { cpu: u32, data: Vec<u8> },
    /// `count` samples to index `cpu` were lost for want of room (before the next sample).
    Lost { cpu: u32, count: u64 },
}

/// The consumer side of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`: one buffer per index, which
/// programs choose with `BPF_F_CURRENT_CPU` (the run's CPU slot) or an explicit index.
pub struct PerfBuffer<'a> {
    perf: &'a PerfEventArray,
}

impl<'a> PerfBuffer<'a> {
    /// Checks that `map` is a PERF_EVENT_ARRAY.
    pub fn new(map: MapRef<'a>) -> Result<PerfBuffer<'a>, MapError> {
        match map.kind() {
            MapKind::PerfEventArray(perf) => Ok(PerfBuffer { perf }),
            _ => Err(wrong_type(&map, "a PERF_EVENT_ARRAY")),
        }
    }

    /// Takes every record of every index, index 0 first, each index's in order.
    pub fn drain(&mut self) -> Vec<PerfEvent> {
        let mut out = Vec::new();
        for cpu in 0..self.perf.entries() {
            for record in self.perf.drain(cpu) {
                out.push(match record {
                    PerfRecord::Sample(data) => PerfEvent::Sample { cpu, data },
                    PerfRecord::Lost(count) => PerfEvent::Lost { cpu, count },
                });
            }
        }
        out
    }

    /// Calls `sample` for each sample and `lost` for each lost count, as libbpf-rs's
    /// `PerfBuffer::poll` does; the number of samples.
    pub fn poll(
        &mut self,
        mut sample: impl FnMut(u32, &[u8]),
        mut lost: impl FnMut(u32, u64),
    ) -> usize {
        let mut n = 0;
        for event in self.drain() {
            match event {
                PerfEvent::Sample { cpu, data } => {
                    sample(cpu, &data);
                    n += 1;
                }
                PerfEvent::Lost { cpu, count } => lost(cpu, count),
            }
        }
        n
    }
}

/// One event a program sent, as `cargo bpf2c run` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The RINGBUF or PERF_EVENT_ARRAY it went to.
    pub map: String,
    pub data: Vec<u8>,
}

/// Takes every pending record of every ring buffer and perf buffer of `instance`, in map
/// order; lost-sample counts are left out (see [`PerfBuffer::poll`] for them).
pub fn drain_all(instance: &Instance) -> Vec<Event> {
    let mut out = Vec::new();
    for map in instance.maps() {
        let name = map.name().to_string();
        let event = |data: Vec<u8>| Event {
            map: name.clone(),
            data,
        };
        match map.kind() {
            MapKind::RingBuf(ring) => out.extend(std::iter::from_fn(|| ring.consume()).map(event)),
            MapKind::PerfEventArray(perf) => {
                for record in (PerfBuffer { perf }).drain() {
                    if let PerfEvent::Sample { data, .. } = record {
                        out.push(event(data));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
