//! Maps of an ELF object: legacy `maps` records, BTF-defined `.maps`, and global data.

use std::collections::BTreeMap;

use object::elf as abi;

use super::{relocation_type_name, ElfFile, Section, R_BPF_64_64, R_BPF_64_ABS64};
use crate::error::Result;
use crate::object::btf::{Btf, BtfError, BtfKind, TypeId};
use crate::object::{Map, MapDef, MapId, MapKind, MapOrigin, MapType, Program};

/// Bytes of a legacy record that hold the fields we read (type, key_size, value_size,
/// max_entries); `map_flags` follows when the record is long enough.
const LEGACY_MIN_RECORD: u64 = 16;
const LEGACY_FLAGS_END: u64 = 20;
/// Records this long carry `inner_map_idx` (the iproute2 / PREVAIL layout): the index, among
/// all legacy maps of the object in section order (as PREVAIL's loader counts them), of the
/// map whose definition a map of maps' inner maps have. Old objects often give each map its
/// own `maps/<name>` section, so the index crosses sections.
const LEGACY_INNER_END: u64 = 24;

/// The maps of an object and how symbols and sections name them.
pub(super) struct Maps {
    maps: Vec<Map>,
    /// Map definitions by (section index, symbol value).
    by_symbol: BTreeMap<(usize, u64), MapId>,
    /// Global data maps by section index.
    by_section: BTreeMap<usize, MapId>,
    /// Legacy maps in the order `inner_map_idx` counts them.
    legacy: Vec<MapId>,
    /// Legacy maps of maps and the `inner_map_idx` each names, resolved once every legacy
    /// section is read.
    legacy_inner: Vec<LegacyInnerLink>,
}

/// A legacy map of maps' `inner_map_idx`, not yet resolved.
struct LegacyInnerLink {
    outer: MapId,
    index: u32,
    section: String,
}

/// What a relocation's symbol names, as far as maps are concerned.
pub(super) enum MapTarget {
    /// A map definition: the instruction loads the map itself.
    Definition(MapId),
    /// A global data section: the instruction loads an address inside the map's value.
    Data {
        map: MapId,
        size: u64,
    },
    NotAMap,
}

impl Maps {
    pub fn target(&self, section: usize, value: u64) -> MapTarget {
        if let Some(&map) = self.by_section.get(&section) {
            let size = self
                .maps
                .get(map)
                .map_or(0, |m| u64::from(m.def.value_size));
            return MapTarget::Data { map, size };
        }
        match self.by_symbol.get(&(section, value)) {
            Some(&map) => MapTarget::Definition(map),
            None => MapTarget::NotAMap,
        }
    }

    pub fn is_map_definition_section(&self, section: usize) -> bool {
        self.by_symbol.keys().any(|&(s, _)| s == section)
    }

    pub fn name(&self, map: MapId) -> &str {
        self.maps.get(map).map_or("?", |m| m.name.as_str())
    }

    /// Checks that every initial PROG_ARRAY entry names a program, and hands out the maps.
    pub fn finish(self, elf: &ElfFile<'_>, programs: &[Program]) -> Result<Vec<Map>> {
        for m in &self.maps {
            for (slot, name) in &m.initial_programs {
                if !programs.iter().any(|p| &p.name == name) {
                    return Err(elf.error_in(
                        ".maps",
                        format!(
                            "map '{}': slot {slot} holds '{name}', which is not a program",
                            m.name
                        ),
                    ));
                }
            }
        }
        Ok(self.maps)
    }
}

pub(super) fn global_data_kind(name: &str) -> Option<bool> {
    let family = |base: &str| {
        name == base
            || name
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('.'))
    };
    if family(".rodata") {
        Some(true)
    } else if family(".data") || family(".bss") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn is_legacy_maps(name: &str) -> bool {
    name == "maps" || name.starts_with("maps/")
}

/// Reads every map of the object, in section order and, within a section, in offset order.
pub(super) fn collect(elf: &ElfFile<'_>, btf: Option<&Btf>) -> Result<Maps> {
    let mut maps = Maps {
        maps: Vec::new(),
        by_symbol: BTreeMap::new(),
        by_section: BTreeMap::new(),
        legacy: Vec::new(),
        legacy_inner: Vec::new(),
    };
    for sec in &elf.sections {
        if sec.sh_type != abi::SHT_PROGBITS && !sec.is_nobits() {
            continue;
        }
        if let Some(read_only) = global_data_kind(&sec.name) {
            global_data(elf, sec, read_only, &mut maps)?;
        } else if is_legacy_maps(&sec.name) {
            legacy_maps(elf, sec, &mut maps)?;
        } else if sec.name == ".maps" {
            btf_maps(elf, sec, btf, &mut maps)?;
        }
    }
    resolve_legacy_inner_maps(elf, &mut maps)?;
    Ok(maps)
}

/// Points each legacy map of maps at the legacy map its `inner_map_idx` names.
fn resolve_legacy_inner_maps(elf: &ElfFile<'_>, maps: &mut Maps) -> Result<()> {
    for link in std::mem::take(&mut maps.legacy_inner) {
        let inner = usize::try_from(link.index)
            .ok()
            .and_then(|k| maps.legacy.get(k).copied());
        let Some(inner) = inner else {
            return Err(elf.error_in(
                &link.section,
                format!(
                    "map '{}' names inner map {}, but the object has {} legacy maps",
                    maps.name(link.outer),
                    link.index,
                    maps.legacy.len()
                ),
            ));
        };
        if let Some(m) = maps.maps.get_mut(link.outer) {
            m.inner_map = Some(inner);
        }
    }
    Ok(())
}

fn push(maps: &mut Maps, map: Map) -> MapId {
    maps.maps.push(map);
    maps.maps.len().saturating_sub(1)
}

fn global_data(
    elf: &ElfFile<'_>,
    sec: &Section<'_>,
    read_only: bool,
    maps: &mut Maps,
) -> Result<()> {
    if sec.size == 0 {
        return Ok(());
    }
    if elf.relocations.contains_key(&sec.index) {
        return Err(elf.error_in(
            &sec.name,
            "global data holds relocated pointers, which are not supported",
        ));
    }
    let value_size = u32::try_from(sec.size).map_err(|_| {
        elf.error_in(
            &sec.name,
            format!("global data of {} bytes is too large", sec.size),
        )
    })?;
    let id = push(
        maps,
        Map {
            name: sec.name.clone(),
            def: MapDef {
                map_type: MapKind::Runs(MapType::Array),
                key_size: 4,
                value_size,
                max_entries: 1,
                map_flags: 0,
            },
            origin: MapOrigin::GlobalData {
                section: sec.name.clone(),
                read_only,
            },
            initial_data: (!sec.is_nobits()).then(|| sec.data.to_vec()),
            initial_programs: Vec::new(),
            initial_maps: Vec::new(),
            inner_map: None,
            is_inner_template: false,
        },
    );
    maps.by_section.insert(sec.index, id);
    Ok(())
}

/// Checks a definition's numbers the way Linux would at map creation, for the map types the
/// runtime implements. Types only verified here are taken as written, as PREVAIL takes them:
/// their size rules differ per type (a ring buffer has no key or value) and matter only to
/// the kernel that creates them.
fn check_def(
    name: &str,
    type_id: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
) -> std::result::Result<MapDef, String> {
    let mut def = MapDef {
        map_type: MapKind::from_raw(type_id),
        key_size,
        value_size,
        max_entries,
        map_flags,
    };
    let Some(map_type) = def.map_type.runtime() else {
        return Ok(def);
    };
    let tname = map_type.name();
    if let Some(result) = check_event_or_keyless(name, map_type, &mut def) {
        return result.map(|()| def);
    }
    let holds_references = map_type == MapType::ProgArray || map_type.is_map_of_maps();
    if holds_references && value_size == 0 {
        // Old objects leave a program array's value size 0, and libbpf's `__array(values,
        // ...)` and the legacy loaders that create maps of maps never set one: the values are
        // program or map references, whose size the loader, not the object, decides.
        def.value_size = 4;
    }
    if max_entries == 0 {
        return Err(format!("map '{name}' ({tname}) has max_entries 0"));
    }
    if def.value_size == 0 {
        return Err(format!("map '{name}' ({tname}) has a value size of 0"));
    }
    if map_type.has_index_keys() && key_size != 4 {
        return Err(format!(
            "map '{name}' ({tname}) must have 4-byte keys, not {key_size}-byte keys"
        ));
    }
    if key_size == 0 {
        return Err(format!("map '{name}' ({tname}) has a key size of 0"));
    }
    if holds_references && def.value_size != 4 {
        return Err(format!(
            "map '{name}' ({tname}) must have 4-byte values, not {value_size}-byte values"
        ));
    }
    Ok(def)
}

/// Linux's creation rules for the runtime's map types whose key or value may be absent or
/// whose flags matter (family "maps", issue 10); None for the other types, which
/// [`check_def`] checks itself.
fn check_event_or_keyless(
    name: &str,
    map_type: MapType,
    def: &mut MapDef,
) -> Option<std::result::Result<(), String>> {
    let tname = map_type.name();
    let (key_size, value_size, max_entries) = (def.key_size, def.value_size, def.max_entries);
    let result = match map_type {
        MapType::PerfEventArray => {
            // The kernel takes only 4-byte keys and values (perf event descriptors), and
            // loaders set them whatever the object declares: libbpf fills in what is left out,
            // and cilium/ebpf overrides a declared value type (bpf2go programs declare their
            // event struct there to have a Go type made for it). max_entries 0 means one per
            // CPU, which the runtime decides.
            def.key_size = 4;
            def.value_size = 4;
            Ok(())
        }
        MapType::RingBuf => {
            // A ring buffer has no keys or values; a declared value type (bpf2go programs
            // declare their event struct there) is dropped, as cilium/ebpf's loader drops it.
            def.key_size = 0;
            def.value_size = 0;
            if !max_entries.is_power_of_two() || !max_entries.is_multiple_of(4096) {
                Err(format!(
                    "map '{name}' ({tname}): max_entries is the ring's size in bytes, a power of \
                     two and a multiple of 4096, not {max_entries}"
                ))
            } else {
                Ok(())
            }
        }
        MapType::Queue | MapType::Stack => {
            if key_size != 0 {
                Err(format!(
                    "map '{name}' ({tname}) has no key, not {key_size}-byte keys"
                ))
            } else if value_size == 0 || max_entries == 0 {
                Err(format!(
                    "map '{name}' ({tname}) needs a value size and max_entries, not {value_size} \
                     and {max_entries}"
                ))
            } else {
                Ok(())
            }
        }
        MapType::LpmTrie => {
            use bpf2c_abi::map::map_flags::BPF_F_NO_PREALLOC;
            if def.map_flags & BPF_F_NO_PREALLOC == 0 {
                Err(format!(
                    "map '{name}' ({tname}) must have BPF_F_NO_PREALLOC in map_flags, as Linux \
                     requires"
                ))
            } else if !(5..=4 + 256).contains(&key_size) {
                Err(format!(
                    "map '{name}' ({tname}) keys are a 4-byte prefix length and 1 to 256 data \
                     bytes, not {key_size} bytes"
                ))
            } else if value_size == 0 || max_entries == 0 {
                Err(format!(
                    "map '{name}' ({tname}) needs a value size and max_entries, not {value_size} \
                     and {max_entries}"
                ))
            } else {
                Ok(())
            }
        }
        _ => return None,
    };
    Some(result)
}

/// Whether a Linux map type holds maps (ARRAY_OF_MAPS, HASH_OF_MAPS).
fn holds_maps(map_type: MapKind) -> bool {
    matches!(
        map_type.raw(),
        bpf2c_abi::map::map_type::ARRAY_OF_MAPS | bpf2c_abi::map::map_type::HASH_OF_MAPS
    )
}

/// Legacy `struct bpf_map_def` records. Records may be longer than libbpf's 20 bytes
/// (iproute2 adds fields), so the record size comes from the symbol table: the section
/// holds one record per map symbol.
fn legacy_maps(elf: &ElfFile<'_>, sec: &Section<'_>, maps: &mut Maps) -> Result<()> {
    let err = |msg: String| elf.error_in(&sec.name, msg);
    if elf.relocations.contains_key(&sec.index) {
        return Err(err("legacy map definitions must not be relocated".into()));
    }
    let mut syms: Vec<&super::Symbol> = elf
        .symbols
        .iter()
        .filter(|s| {
            s.in_section(sec.index) && s.kind != abi::STT_SECTION && s.kind != abi::STT_FILE
        })
        .collect();
    if syms.is_empty() {
        if sec.size == 0 {
            return Ok(());
        }
        return Err(err(format!(
            "the section holds {} bytes of map definitions but no map symbols",
            sec.size
        )));
    }
    syms.sort_by_key(|s| s.value);
    let count = syms.len() as u64;
    let stride = sec.size.checked_div(count).unwrap_or(0);
    if stride.checked_mul(count) != Some(sec.size) {
        return Err(err(format!(
            "the section's {} bytes do not divide into {count} equal map records",
            sec.size
        )));
    }
    if stride < LEGACY_MIN_RECORD {
        return Err(err(format!(
            "map records of {stride} bytes are too short (at least {LEGACY_MIN_RECORD} needed)"
        )));
    }
    if sec.is_nobits() {
        return Err(err(
            "legacy map definitions have no contents (NOBITS)".into()
        ));
    }
    for (i, sym) in syms.iter().enumerate() {
        let expected = stride.checked_mul(i as u64);
        if Some(sym.value) != expected || (sym.size != 0 && sym.size != stride) {
            return Err(err(format!(
                "map symbol '{}' (offset {}, size {}) does not match the {stride}-byte \
                 record layout of the section",
                sym.name, sym.value, sym.size
            )));
        }
        let field = |n: u64| -> Result<u32> {
            let off = sym.value.checked_add(n.saturating_mul(4));
            off.and_then(|o| usize::try_from(o).ok())
                .and_then(|o| elf.order.u32(sec.data, o))
                .ok_or_else(|| err(format!("map '{}' is truncated", sym.name)))
        };
        let flags = if stride >= LEGACY_FLAGS_END {
            field(4)?
        } else {
            0
        };
        let def =
            check_def(&sym.name, field(0)?, field(1)?, field(2)?, field(3)?, flags).map_err(err)?;
        let inner_index = if holds_maps(def.map_type) && stride >= LEGACY_INNER_END {
            Some(field(5)?)
        } else {
            None
        };
        let id = push(
            maps,
            Map {
                name: sym.name.clone(),
                def,
                origin: MapOrigin::Legacy {
                    section: sec.name.clone(),
                },
                initial_data: None,
                initial_programs: Vec::new(),
                initial_maps: Vec::new(),
                inner_map: None,
                is_inner_template: false,
            },
        );
        maps.by_symbol.insert((sec.index, sym.value), id);
        maps.legacy.push(id);
        if let Some(index) = inner_index {
            maps.legacy_inner.push(LegacyInnerLink {
                outer: id,
                index,
                section: sec.name.clone(),
            });
        }
    }
    Ok(())
}

/// A BTF map definition as its struct members describe it.
#[derive(Default)]
struct BtfMapDef {
    map_type: Option<u32>,
    max_entries: u32,
    map_flags: u32,
    key_size: Option<u32>,
    value_size: Option<u32>,
    key_type: Option<TypeId>,
    value_type: Option<TypeId>,
    /// Byte offset of the `values` array within the definition.
    values_offset: Option<u64>,
    /// The struct type `values` points to: for a map of maps, its inner maps' definition.
    values_pointee: Option<TypeId>,
}

/// `__uint(name, N)` is `int (*name)[N]`: the number is the array's element count.
fn btf_uint(btf: &Btf, ty: TypeId) -> std::result::Result<u32, BtfError> {
    let arr = btf.pointee(ty)?;
    Ok(btf.array(arr)?.nelems)
}

/// `__type(name, T)` is `T *name`: the pointee's id and size.
fn btf_pointee_size(btf: &Btf, ty: TypeId) -> std::result::Result<(TypeId, u32), BtfError> {
    let target = btf.pointee(ty)?;
    let size = btf.size_of(target)?;
    Ok((
        target,
        u32::try_from(size).map_err(|_| BtfError::Overflow(target))?,
    ))
}

/// A size given both as `key_size`/`value_size` and through a `key`/`value` type must agree.
fn merge_size(
    explicit: Option<u32>,
    typed: Option<u32>,
    map: &str,
    what: &str,
) -> std::result::Result<Option<u32>, String> {
    match (explicit, typed) {
        (Some(e), Some(t)) if e != t => Err(format!(
            "map '{map}': {what}_size {e} disagrees with the {t}-byte {what} type"
        )),
        (e, t) => Ok(e.or(t)),
    }
}

fn parse_btf_def(btf: &Btf, name: &str, ty: TypeId) -> std::result::Result<BtfMapDef, String> {
    let members = btf
        .members(ty)
        .map_err(|e| format!("map '{name}' is not a struct: {e}"))?;
    let mut def = BtfMapDef::default();
    let (mut key_type_size, mut value_type_size) = (None, None);
    for m in members {
        let field = |e: BtfError| format!("map '{name}': field '{}': {e}", m.name);
        match m.name.as_str() {
            "type" => def.map_type = Some(btf_uint(btf, m.ty).map_err(field)?),
            "max_entries" => def.max_entries = btf_uint(btf, m.ty).map_err(field)?,
            "map_flags" => def.map_flags = btf_uint(btf, m.ty).map_err(field)?,
            "key_size" => def.key_size = Some(btf_uint(btf, m.ty).map_err(field)?),
            "value_size" => def.value_size = Some(btf_uint(btf, m.ty).map_err(field)?),
            "key" => {
                let (t, size) = btf_pointee_size(btf, m.ty).map_err(field)?;
                def.key_type = Some(t);
                key_type_size = Some(size);
            }
            "value" => {
                let (t, size) = btf_pointee_size(btf, m.ty).map_err(field)?;
                def.value_type = Some(t);
                value_type_size = Some(size);
            }
            "values" => {
                let arr = btf.array(m.ty).map_err(field)?;
                def.values_pointee = Some(btf.pointee(arr.elem).map_err(field)?);
                if m.bit_offset % 8 != 0 {
                    return Err(format!("map '{name}': 'values' is not byte-aligned"));
                }
                def.values_offset = Some(u64::from(m.bit_offset / 8));
            }
            // Pinning is a property of the kernel's bpffs; NUMA placement means nothing here.
            "pinning" | "numa_node" => {}
            other => {
                return Err(format!(
                    "map '{name}': the map attribute '{other}' is not supported"
                ))
            }
        }
    }
    def.key_size = merge_size(def.key_size, key_type_size, name, "key")?;
    def.value_size = merge_size(def.value_size, value_type_size, name, "value")?;
    Ok(def)
}

/// Maps defined through BTF in `.maps`: the DATASEC lists one VAR per map, whose struct
/// type describes the map through its members.
fn btf_maps(
    elf: &ElfFile<'_>,
    sec: &Section<'_>,
    btf: Option<&Btf>,
    maps: &mut Maps,
) -> Result<()> {
    let err = |msg: String| elf.error_in(&sec.name, msg);
    let Some(btf) = btf else {
        return Err(err(
            "the .maps section needs BTF to describe its maps, and the object has no .BTF".into(),
        ));
    };
    let Some((_, datasec)) = btf.datasec(".maps") else {
        if sec.size == 0 {
            return Ok(());
        }
        return Err(err("BTF has no DATASEC describing the .maps section".into()));
    };
    let mut vars = datasec.vars.clone();
    vars.sort_by_key(|v| v.offset);

    // Map id, offset, size and `values` offset of each map, to place `.rel.maps` entries.
    let mut placed: Vec<(MapId, u64, u64, Option<u64>)> = Vec::new();
    for v in &vars {
        let (name, ty, _) = btf
            .var(v.ty)
            .map_err(|e| err(format!("invalid .maps entry: {e}")))?;
        let (resolved, kind) = btf
            .resolved_kind(ty)
            .map_err(|e| err(format!("map '{name}': {e}")))?;
        // A PROG_ARRAY's initializer extends the variable past its struct's flexible
        // `values` array, so the variable's own size bounds its relocations.
        let size = match kind {
            BtfKind::Struct(c) => u64::from(c.size.max(v.size)),
            _ => {
                return Err(err(format!(
                    "map '{name}' is a {}, not a struct describing a map",
                    kind.name()
                )))
            }
        };
        let def = parse_btf_def(btf, name, resolved).map_err(err)?;
        let Some(map_type) = def.map_type else {
            return Err(err(format!("map '{name}' does not set its type")));
        };
        let checked = check_def(
            name,
            map_type,
            def.key_size.unwrap_or(0),
            def.value_size.unwrap_or(0),
            def.max_entries,
            def.map_flags,
        )
        .map_err(err)?;
        let inner_map = match def.values_pointee {
            Some(pointee) if holds_maps(checked.map_type) => {
                Some(btf_inner_map(btf, name, pointee, maps).map_err(err)?)
            }
            _ => None,
        };
        let offset = u64::from(v.offset);
        let end = offset.saturating_add(size);
        if end > sec.size {
            return Err(err(format!("map '{name}' lies outside the .maps section")));
        }
        if placed
            .iter()
            .any(|&(_, o, s, _)| offset < o.saturating_add(s) && o < end)
        {
            return Err(err(format!("map '{name}' overlaps another map")));
        }
        let id = push(
            maps,
            Map {
                name: name.to_string(),
                def: checked,
                origin: MapOrigin::Btf {
                    key_type: def.key_type,
                    value_type: def.value_type,
                },
                initial_data: None,
                initial_programs: Vec::new(),
                initial_maps: Vec::new(),
                inner_map,
                is_inner_template: false,
            },
        );
        maps.by_symbol.insert((sec.index, offset), id);
        placed.push((id, offset, size, def.values_offset));
    }

    initial_programs(elf, sec, &placed, maps)
}

/// The template map a BTF map of maps declares with `__array(values, struct { ... })`: the
/// definition every inner map has. No instruction names it.
fn btf_inner_map(
    btf: &Btf,
    outer: &str,
    pointee: TypeId,
    maps: &mut Maps,
) -> std::result::Result<MapId, String> {
    let name = format!("{outer}.inner");
    let (resolved, _) = btf
        .resolved_kind(pointee)
        .map_err(|e| format!("map '{outer}': inner map: {e}"))?;
    let def = parse_btf_def(btf, &name, resolved)?;
    let map_type = def
        .map_type
        .ok_or_else(|| format!("map '{outer}': the inner map definition does not set its type"))?;
    let checked = check_def(
        &name,
        map_type,
        def.key_size.unwrap_or(0),
        def.value_size.unwrap_or(0),
        def.max_entries,
        def.map_flags,
    )?;
    Ok(push(
        maps,
        Map {
            name,
            def: checked,
            origin: MapOrigin::Btf {
                key_type: def.key_type,
                value_type: def.value_type,
            },
            initial_data: None,
            initial_programs: Vec::new(),
            initial_maps: Vec::new(),
            inner_map: None,
            is_inner_template: true,
        },
    ))
}

/// `.values = { [i] = &prog }` of a PROG_ARRAY, or `{ [i] = &map }` of a map of maps: each
/// entry is a relocation at the slot's offset in `.maps`, against the program's or map's
/// symbol.
fn initial_programs(
    elf: &ElfFile<'_>,
    sec: &Section<'_>,
    placed: &[(MapId, u64, u64, Option<u64>)],
    maps: &mut Maps,
) -> Result<()> {
    let err = |msg: String| elf.error_in(&sec.name, msg);
    for (table, rel) in elf.relocations_for(sec.index) {
        if rel.r_type != R_BPF_64_ABS64 && rel.r_type != R_BPF_64_64 {
            return Err(err(format!(
                "unsupported relocation {} in '{table}' at offset {}",
                relocation_type_name(rel.r_type),
                rel.offset
            )));
        }
        let Some(&(map, start, _, values)) = placed
            .iter()
            .find(|&&(_, o, s, _)| rel.offset >= o && rel.offset < o.saturating_add(s))
        else {
            return Err(err(format!(
                "relocation at offset {} of '{table}' is outside every map",
                rel.offset
            )));
        };
        let map_name = maps.name(map).to_string();
        let Some(values) = values else {
            return Err(err(format!(
                "map '{map_name}' is relocated at offset {} but has no 'values' member",
                rel.offset
            )));
        };
        let rel_off = rel.offset.saturating_sub(start);
        let slot = rel_off
            .checked_sub(values)
            .filter(|d| d % 8 == 0)
            .map(|d| d / 8)
            .ok_or_else(|| {
                err(format!(
                    "map '{map_name}': relocation at offset {} is not on a 'values' slot",
                    rel.offset
                ))
            })?;
        let sym = elf.symbol(rel.symbol).ok_or_else(|| {
            err(format!(
                "map '{map_name}': initial value {slot} refers to missing symbol {}",
                rel.symbol
            ))
        })?;
        let is_function = sym.kind == abi::STT_FUNC
            && matches!(sym.section, super::SymSection::Section(s)
                if elf.section(s).is_some_and(|s| s.is_executable()));
        // A map of maps lists maps of the same `.maps` section.
        let listed_map = match sym.section {
            super::SymSection::Section(s) if s == sec.index => {
                maps.by_symbol.get(&(s, sym.value)).copied()
            }
            _ => None,
        };
        let Some(m) = maps.maps.get(map) else {
            continue;
        };
        let max_entries = m.def.max_entries;
        let slot = u32::try_from(slot)
            .ok()
            .filter(|&s| s < max_entries)
            .ok_or_else(|| {
                err(format!(
                    "map '{map_name}': initial value index {slot} is beyond max_entries \
                     {max_entries}"
                ))
            })?;
        if m.initial_programs.iter().any(|&(s, _)| s == slot)
            || m.initial_maps.iter().any(|&(s, _)| s == slot)
        {
            return Err(err(format!(
                "map '{map_name}': initial value {slot} is set twice"
            )));
        }
        let entry = match (holds_maps(m.def.map_type), listed_map) {
            (true, Some(inner)) => InitialEntry::Map(inner),
            (false, _) if m.def.map_type == MapType::ProgArray && is_function => {
                InitialEntry::Program(sym.name.clone())
            }
            (true, None) => {
                return Err(err(format!(
                    "map '{map_name}': initial value {slot} ('{}') is not a map of the \
                     '.maps' section",
                    sym.name
                )))
            }
            (false, _) => {
                return Err(err(format!(
                    "map '{map_name}': initial value {slot} ('{}') is not supported; only \
                     BPF_MAP_TYPE_PROG_ARRAY maps may list programs and maps of maps list \
                     maps",
                    sym.name
                )))
            }
        };
        let Some(m) = maps.maps.get_mut(map) else {
            continue;
        };
        match entry {
            InitialEntry::Map(inner) => {
                m.initial_maps.push((slot, inner));
                m.initial_maps.sort();
            }
            InitialEntry::Program(name) => {
                m.initial_programs.push((slot, name));
                m.initial_programs.sort();
            }
        }
    }
    Ok(())
}

/// What one `.values` slot holds.
enum InitialEntry {
    Program(String),
    Map(MapId),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_data_sections_are_recognized_by_name() {
        assert_eq!(global_data_kind(".rodata"), Some(true));
        assert_eq!(global_data_kind(".rodata.str1.1"), Some(true));
        assert_eq!(global_data_kind(".data"), Some(false));
        assert_eq!(global_data_kind(".data.custom"), Some(false));
        assert_eq!(global_data_kind(".bss"), Some(false));
        assert_eq!(global_data_kind(".database"), None);
        assert_eq!(global_data_kind(".BTF"), None);
        assert!(is_legacy_maps("maps") && is_legacy_maps("maps/x") && !is_legacy_maps(".maps"));
    }

    #[test]
    fn definitions_are_checked_like_linux() {
        assert!(check_def("m", 2, 4, 8, 1, 0).is_ok());
        // Types the runtime lacks are taken as written (a user ring buffer has no key or
        // value).
        let urb = check_def("urb", 31, 0, 0, 4096, 0).unwrap();
        assert_eq!(urb.map_type, MapKind::VerifyOnly(31));
        // Family "maps" (issue 10): Linux's creation rules for the types that now run.
        let rb = check_def("rb", 27, 0, 0, 4096, 0).unwrap();
        assert_eq!(rb.map_type, MapKind::Runs(MapType::RingBuf));
        assert!(check_def("rb", 27, 0, 0, 3 * 4096, 0)
            .unwrap_err()
            .contains("power of two"));
        // A declared event type on a ring buffer or perf event array is dropped, as
        // cilium/ebpf's loader drops it: the sizes are the kernel's.
        let rb = check_def("rb", 27, 4, 84, 4096, 0).unwrap();
        assert_eq!((rb.key_size, rb.value_size), (0, 0));
        let perf = check_def("pe", 4, 0, 0, 0, 0).unwrap();
        assert_eq!(
            (perf.key_size, perf.value_size, perf.max_entries),
            (4, 4, 0)
        );
        let perf = check_def("pe", 4, 4, 84, 0, 0).unwrap();
        assert_eq!((perf.key_size, perf.value_size), (4, 4));
        assert!(check_def("lpm", 11, 8, 4, 16, 0)
            .unwrap_err()
            .contains("BPF_F_NO_PREALLOC"));
        assert!(check_def("lpm", 11, 4, 4, 16, 1)
            .unwrap_err()
            .contains("1 to 256 data"));
        assert!(check_def("lpm", 11, 8, 4, 16, 1).is_ok());
        assert!(check_def("q", 22, 4, 4, 16, 0)
            .unwrap_err()
            .contains("no key"));
        assert!(check_def("s", 23, 0, 4, 16, 0).is_ok());
        assert!(check_def("s", 23, 0, 0, 16, 0).is_err());
        // A legacy program array's value size 0 is the loader's 4.
        assert_eq!(check_def("pa", 3, 4, 0, 8, 0).unwrap().value_size, 4);
        // So is a map of maps's (libbpf's `__array(values, ...)` and the legacy loaders set
        // none), and any other value size is refused, as Linux refuses it.
        assert_eq!(check_def("aom", 12, 4, 0, 8, 0).unwrap().value_size, 4);
        assert_eq!(check_def("hom", 13, 8, 0, 8, 0).unwrap().value_size, 4);
        assert!(check_def("hom", 13, 8, 8, 8, 0)
            .unwrap_err()
            .contains("must have 4-byte values, not 8-byte values"));
        assert!(check_def("m", 2, 8, 8, 1, 0)
            .unwrap_err()
            .contains("4-byte keys"));
        assert!(check_def("m", 1, 0, 8, 1, 0)
            .unwrap_err()
            .contains("key size of 0"));
        assert!(check_def("m", 1, 4, 0, 1, 0)
            .unwrap_err()
            .contains("value size of 0"));
        assert!(check_def("m", 1, 4, 4, 0, 0)
            .unwrap_err()
            .contains("max_entries 0"));
        assert!(check_def("m", 3, 4, 8, 1, 0)
            .unwrap_err()
            .contains("4-byte values"));
    }
}
