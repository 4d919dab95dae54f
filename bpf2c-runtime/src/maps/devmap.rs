//! DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP: the maps `bpf_redirect_map` sends packets
//! through. The host fills them; programs only look entries up (and redirect through them).
//!
//! Their entries live in the hash storage (keys are u32s): an index below max_entries for
//! DEVMAP, CPUMAP and XSKMAP, any u32 for DEVMAP_HASH. Values are what Linux defines: a u32
//! ifindex or `struct bpf_devmap_val { u32 ifindex; u32 bpf_prog_fd; }` for the device maps,
//! a u32 queue size or `struct bpf_cpumap_val { u32 qsize; u32 bpf_prog_fd; }` for CPUMAP,
//! and a u32 socket fd for XSKMAP. There are no devices, CPUs or sockets behind them: the
//! runtime records where a packet went and the host acts on it.

use crate::error::MapErrorKind;
use crate::types::{MapSpec, MapType, UpdateFlags};

use super::{Map, MapKind, Values};

/// Refuses a definition Linux refuses (`dev_map_alloc`, `cpu_map_alloc`,
/// `xsk_map_alloc`): keys other than 4 bytes, values other than the sizes above, or no
/// entries.
pub(crate) fn validate(spec: &MapSpec) -> Result<(), String> {
    let values: &[u32] = match spec.map_type {
        MapType::Devmap | MapType::DevmapHash | MapType::Cpumap => &[4, 8],
        MapType::Xskmap => &[4],
        _ => return Ok(()),
    };
    if spec.key_size != 4 {
        return Err(format!(
            "a {} has 4-byte keys, not {}",
            spec.map_type, spec.key_size
        ));
    }
    if !values.contains(&spec.value_size) {
        let sizes: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        return Err(format!(
            "a {} has values of {} bytes, not {}",
            spec.map_type,
            sizes.join(" or "),
            spec.value_size
        ));
    }
    if spec.max_entries == 0 {
        return Err(format!("a {} needs at least one entry", spec.map_type));
    }
    Ok(())
}

/// The key as an index, refused past the end for the array-like types (E2BIG, as Linux).
fn check_index(map: &Map, key: &[u8]) -> Result<(), MapErrorKind> {
    let index = u32::from_ne_bytes([key[0], key[1], key[2], key[3]]);
    if map.spec.map_type != MapType::DevmapHash && index >= map.spec.max_entries {
        return Err(MapErrorKind::IndexOutOfRange {
            index,
            max_entries: map.spec.max_entries,
        });
    }
    Ok(())
}

/// A host update. A DEVMAP entry with ifindex 0 or a CPUMAP entry with qsize 0 empties the
/// slot, as in Linux; a program fd in the value (a program to run on the target) cannot be
/// honoured here and is refused.
pub(crate) fn host_update(
    map: &Map,
    key: &[u8],
    value: &[u8],
    flags: UpdateFlags,
) -> Result<(), MapErrorKind> {
    let MapKind::Hash(h) = &map.kind else {
        return Err(map.unsupported("update"));
    };
    check_index(map, key)?;
    let first = u32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
    let prog_fd = value
        .get(4..8)
        .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    if prog_fd != 0 && map.spec.map_type != MapType::Xskmap {
        return Err(map.unsupported("entries that run a program (bpf_prog.fd)"));
    }
    let clears = first == 0 && map.spec.map_type != MapType::Xskmap;
    if clears {
        return match h.delete(key) {
            Ok(()) | Err(MapErrorKind::NotFound) => Ok(()),
            Err(e) => Err(e),
        };
    }
    // SAFETY: a host source of the map's value size (MapRef checked the length).
    unsafe { h.update(key, Values::Broadcast(value), flags) }
}

/// A host delete; the array-like types refuse indexes past the end.
pub(crate) fn host_delete(map: &Map, key: &[u8]) -> Result<(), MapErrorKind> {
    let MapKind::Hash(h) = &map.kind else {
        return Err(map.unsupported("delete"));
    };
    check_index(map, key)?;
    h.delete(key)
}

/// The value of a redirect target, for `bpf_redirect_map`: None when the slot is empty.
pub(crate) fn target(map: &Map, key: u32) -> Option<Vec<u8>> {
    let MapKind::Hash(h) = &map.kind else {
        return None;
    };
    h.get(&key.to_ne_bytes())
        .and_then(|values| values.into_iter().next())
}
