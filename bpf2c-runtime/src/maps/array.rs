//! ARRAY and PERCPU_ARRAY maps (global data is a one-entry ARRAY).
//!
//! One allocation holds every element of every CPU slot at
//! `base + cpu * cpu_stride + index * stride`, with `stride = round_up(value_size, 8)` and
//! `cpu_stride = max_entries * stride`. Generated code reads this layout directly for maps
//! flagged INLINED, so the layout is part of the ABI, and elements never move.

use crate::error::MapErrorKind;
use crate::maps::shared::{self, SharedBuf};
use crate::maps::Values;
use crate::types::{MapSpec, UpdateFlags};

pub(crate) struct ArrayMap {
    data: SharedBuf,
    value_size: usize,
    stride: usize,
    max_entries: u32,
    cpus: usize,
    cpu_stride: usize,
}

impl ArrayMap {
    /// Allocates the zeroed elements; None when the size overflows or memory is refused.
    pub fn new(spec: &MapSpec, cpus: usize) -> Option<ArrayMap> {
        let stride = spec.stride();
        let cpu_stride = (spec.max_entries as usize).checked_mul(stride)?;
        let data = SharedBuf::zeroed(cpu_stride.checked_mul(cpus)?)?;
        Some(ArrayMap {
            data,
            value_size: spec.value_size as usize,
            stride,
            max_entries: spec.max_entries,
            cpus,
            cpu_stride,
        })
    }

    /// Copies global data's initial bytes into element 0.
    pub fn initialise(&self, bytes: &[u8]) {
        let len = bytes.len().min(self.value_size);
        // SAFETY: element 0 is valid for value_size bytes and nothing runs yet.
        unsafe { shared::store(self.data.as_ptr(), &bytes[..len]) }
    }

    pub fn base(&self) -> *mut u8 {
        self.data.as_ptr()
    }

    pub fn cpu_stride(&self) -> usize {
        self.cpu_stride
    }

    /// Bytes from one element to the next, which inlined code multiplies keys by.
    pub fn stride(&self) -> usize {
        self.stride
    }

    pub fn cpus(&self) -> usize {
        self.cpus
    }

    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }

    /// The element `index` of CPU slot `cpu` (any slot's run sees the one copy of a plain
    /// ARRAY), or NULL when either is out of range.
    pub fn element(&self, index: u32, cpu: usize) -> *mut u8 {
        let cpu = if self.cpus == 1 { 0 } else { cpu };
        if index >= self.max_entries || cpu >= self.cpus {
            return std::ptr::null_mut();
        }
        // SAFETY: both indexes are in range, so the offset is inside the allocation.
        unsafe {
            self.data
                .as_ptr()
                .add(cpu * self.cpu_stride + index as usize * self.stride)
        }
    }

    /// Updates one element; Linux checks the flags first, then the index, then NOEXIST.
    ///
    /// # Safety
    /// A `Values::Program` source must be readable for value_size bytes.
    pub unsafe fn update(
        &self,
        index: u32,
        src: Values<'_>,
        flags: UpdateFlags,
    ) -> Result<(), MapErrorKind> {
        if index >= self.max_entries {
            return Err(MapErrorKind::IndexOutOfRange {
                index,
                max_entries: self.max_entries,
            });
        }
        if flags == UpdateFlags::NoExist {
            // Every element of an array always exists.
            return Err(MapErrorKind::Exists);
        }
        // SAFETY: `index` is in range, so `element` gives each CPU slot's aligned value of
        // value_size bytes; the source is readable as this function's contract says.
        unsafe {
            src.write(self.cpus, self.value_size, false, |cpu| {
                self.element(index, cpu)
            })
        };
        Ok(())
    }

    /// Copies `dst.len()` bytes at `offset` of element `index` of CPU slot `cpu`. The caller
    /// has checked that the range lies inside the value.
    pub fn read_range(&self, index: u32, cpu: usize, offset: usize, dst: &mut [u8]) -> bool {
        let element = self.element(index, cpu);
        if element.is_null() || offset.saturating_add(dst.len()) > self.value_size {
            return false;
        }
        // SAFETY: the range lies inside the element, which lies inside the allocation.
        unsafe { shared::load_unaligned(element.add(offset), dst) };
        true
    }

    /// Writes `src` at `offset` of element `index` in every CPU slot, leaving the rest of
    /// the value alone (programs may be writing other variables of the same section).
    pub fn write_range(&self, index: u32, offset: usize, src: &[u8]) -> bool {
        if index >= self.max_entries || offset.saturating_add(src.len()) > self.value_size {
            return false;
        }
        for cpu in 0..self.cpus {
            // SAFETY: as in read_range.
            unsafe { shared::store_unaligned(self.element(index, cpu).add(offset), src) };
        }
        true
    }

    /// Copies the values of `index`, one per CPU slot, or None when out of range.
    pub fn read(&self, index: u32) -> Option<Vec<Vec<u8>>> {
        if index >= self.max_entries {
            return None;
        }
        let values = (0..self.cpus)
            .map(|cpu| {
                let mut v = vec![0u8; self.value_size];
                // SAFETY: the element is in range and 8-byte aligned.
                unsafe { shared::load(self.element(index, cpu), &mut v) };
                v
            })
            .collect();
        Some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MapType;

    fn spec(map_type: MapType) -> MapSpec {
        MapSpec {
            name: "a".into(),
            map_type,
            key_size: 4,
            value_size: 12,
            max_entries: 3,
            map_flags: 0,
            flags: 0,
            initial_data: vec![],
            initial_programs: vec![],
            inner_map: None,
        }
    }

    #[test]
    fn plain_arrays_have_one_copy_for_every_cpu_slot() {
        let a = ArrayMap::new(&spec(MapType::Array), 1).unwrap();
        assert_eq!(a.element(2, 0), a.element(2, 7));
        assert_eq!(a.element(2, 0) as usize - a.base() as usize, 32);
        assert!(a.element(3, 0).is_null());
    }

    #[test]
    fn percpu_arrays_lay_slots_out_one_after_another() {
        let a = ArrayMap::new(&spec(MapType::PercpuArray), 4).unwrap();
        assert_eq!(a.cpu_stride(), 48);
        assert_eq!(a.element(1, 2) as usize - a.base() as usize, 2 * 48 + 16);
        assert!(a.element(0, 4).is_null());
        // SAFETY: a host (PerCpu) source is a Rust slice, which update's contract allows.
        unsafe {
            a.update(
                1,
                Values::PerCpu(&[[1u8; 12], [2; 12], [3; 12], [4; 12]].concat()),
                UpdateFlags::Exist,
            )
        }
        .unwrap();
        assert_eq!(a.read(1).unwrap()[2], vec![3; 12]);
        assert_eq!(a.read(0).unwrap()[2], vec![0; 12]);
    }
}
