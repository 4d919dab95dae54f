//! The host's side of ARRAY_OF_MAPS and HASH_OF_MAPS: which inner map each slot holds.
//!
//! Inner maps are maps of the same instance: one of the module's own maps (a legacy inner
//! map, or any map whose definition matches the template), or a map the host creates from
//! the template with [`Instance::new_inner_map`]. Maps are never freed while the instance
//! lives, so a program that looked an inner map up keeps a valid handle however the host
//! changes the slots meanwhile.
//!
//! Every map of an instance has an id, which is what the generic [`MapRef`] operations read
//! and write as the value of a map of maps (Linux's user-space API reads inner map ids and
//! writes inner map file descriptors there): the module's maps are 0, 1, ... in module
//! order, and maps created with [`Instance::new_inner_map`] follow in creation order.

use crate::error::{MapError, MapErrorKind};
use crate::maps::{footprint, Map, MapKind, MapOfMaps};
use crate::types::{MapSpec, UpdateFlags};

use super::{Instance, MapRef};

impl Instance {
    /// The named ARRAY_OF_MAPS or HASH_OF_MAPS, to set and clear its inner maps.
    pub fn map_of_maps(&self, name: &str) -> Result<MapOfMapsRef<'_>, MapError> {
        let map = self.map_ref(name)?;
        MapOfMapsRef::new(map)
    }

    /// Creates an empty map with the definition of `outer`'s inner map template, for the
    /// host to fill and put into `outer` (or any map of maps with a matching template). It
    /// is named after the template with `#n` appended (n counts the maps created so far,
    /// from 1), and lives, like every map, as long as the instance. Fails when `outer` is
    /// not a map of maps or the map would exceed `Options::max_map_bytes`.
    pub fn new_inner_map(&self, outer: &str) -> Result<MapRef<'_>, MapError> {
        let template = self.map_of_maps(outer)?.template().clone();
        let fail = |reason: String| MapError::new(outer, MapErrorKind::CannotCreate(reason));
        let cpus = self.slots.count();
        match footprint(&template, cpus) {
            Some(bytes) if bytes <= self.max_map_bytes => {}
            _ => {
                return Err(fail(format!(
                    "an inner map like '{}' needs more than the limit of {} bytes",
                    template.name, self.max_map_bytes
                )))
            }
        }
        let mut created = self.inner_maps.lock().unwrap_or_else(|p| p.into_inner());
        let spec = MapSpec {
            name: format!("{}#{}", template.name, created.len() + 1),
            // Created empty: no global data, inlined code or initial contents of its own.
            flags: 0,
            initial_data: Vec::new(),
            initial_programs: Vec::new(),
            inner_map: None,
            ..template
        };
        let map = Map::create(spec, cpus, self.image.programs().len()).map_err(fail)?;
        created.push(Box::new(map));
        let map: *const Map = &**created.last().expect("just pushed");
        drop(created);
        // SAFETY: the Map lives in its own Box, which `inner_maps` keeps until the instance
        // is dropped and never moves out of (a growing Vec moves the Box pointers, not the
        // maps), so it outlives the borrow of `self`; maps are only read through shared
        // references.
        Ok(MapRef::new(self, unsafe { &*map }))
    }

    /// The maps created with [`Instance::new_inner_map`], in creation order.
    pub(crate) fn created_maps(&self) -> Vec<&Map> {
        let created = self.inner_maps.lock().unwrap_or_else(|p| p.into_inner());
        created
            .iter()
            .map(|b| {
                let map: *const Map = &**b;
                // SAFETY: as in new_inner_map: each boxed map stays put until the instance
                // is dropped.
                unsafe { &*map }
            })
            .collect()
    }

    /// The id of the map at `address`, a handle of this instance.
    pub(crate) fn map_id(&self, address: usize) -> Option<u32> {
        let module = self.maps.iter().map(|m| m.address() as usize);
        let created = self
            .created_maps()
            .into_iter()
            .map(|m| m.address() as usize);
        let at = module.chain(created).position(|a| a == address)?;
        u32::try_from(at).ok()
    }

    /// The map with id `id`.
    pub(crate) fn map_by_id(&self, id: u32) -> Option<&Map> {
        let id = id as usize;
        match self.maps.get(id) {
            Some(m) => Some(m),
            None => self.created_maps().get(id - self.maps.len()).copied(),
        }
    }

    /// The map at `address`, a handle of this instance.
    fn map_at(&self, address: usize) -> Option<&Map> {
        self.map_by_id(self.map_id(address)?)
    }
}

/// Puts the inner maps the module names for its maps of maps (`.values = { [i] = &map }`)
/// into their slots. Err holds the outer map's name and the reason.
pub(super) fn fill_initial_slots(maps: &[Map]) -> Result<(), (String, String)> {
    for outer in maps {
        let MapKind::MapOfMaps(slots) = &outer.kind else {
            continue;
        };
        for &(key, inner) in &outer.spec.initial_programs {
            let fail = |reason: String| {
                (
                    outer.spec.name.clone(),
                    format!("initial inner map in slot {key}: {reason}"),
                )
            };
            // Slots are u32 keys, as libbpf fills them.
            if outer.spec.key_size != 4 {
                return Err(fail(format!(
                    "the map has {}-byte keys, not the 4 of a slot index",
                    outer.spec.key_size
                )));
            }
            // The loader checked that the index names a map.
            let inner = &maps[inner];
            slots.check_compatible(&inner.spec).map_err(fail)?;
            slots
                .set(&key.to_ne_bytes(), inner, UpdateFlags::Any)
                .map_err(|e| fail(MapError::new(&outer.spec.name, e).to_string()))?;
        }
    }
    Ok(())
}

/// The slots of one ARRAY_OF_MAPS or HASH_OF_MAPS. Keys are the map's key bytes: a u32
/// index in host byte order for an ARRAY_OF_MAPS (`&2u32.to_ne_bytes()`).
#[derive(Clone, Copy, Debug)]
pub struct MapOfMapsRef<'a> {
    map: MapRef<'a>,
}

impl<'a> MapOfMapsRef<'a> {
    pub(crate) fn new(map: MapRef<'a>) -> Result<MapOfMapsRef<'a>, MapError> {
        match map.kind() {
            MapKind::MapOfMaps(_) => Ok(MapOfMapsRef { map }),
            _ => Err(MapError::new(
                map.name(),
                MapErrorKind::WrongMapType {
                    wanted: "ARRAY_OF_MAPS or HASH_OF_MAPS",
                    map_type: map.definition().map_type,
                },
            )),
        }
    }

    fn slots(&self) -> &'a MapOfMaps {
        match self.map.kind() {
            MapKind::MapOfMaps(m) => m,
            _ => unreachable!("MapOfMapsRef::new checked the kind"),
        }
    }

    /// The map itself, for its name and definition.
    pub fn map(&self) -> MapRef<'a> {
        self.map
    }

    /// The definition every inner map must match.
    pub fn template(&self) -> &'a MapSpec {
        self.slots().template()
    }

    /// Makes `key`'s slot hold `inner`, replacing what it held: programs that look `key` up
    /// from now on get `inner`. `inner` must be a map of the same instance whose type, key
    /// size, value size and map flags equal the template's (and max_entries too, for array
    /// inner maps unless the template has BPF_F_INNER_MAP), as Linux requires.
    pub fn set(&self, key: &[u8], inner: &MapRef<'_>) -> Result<(), MapError> {
        self.set_with_flags(key, inner, UpdateFlags::Any)
    }

    /// [`MapOfMapsRef::set`] with Linux's update flags: a HASH_OF_MAPS takes all three
    /// (EEXIST, ENOENT), an ARRAY_OF_MAPS only [`UpdateFlags::Any`] (EINVAL otherwise).
    pub fn set_with_flags(
        &self,
        key: &[u8],
        inner: &MapRef<'_>,
        flags: UpdateFlags,
    ) -> Result<(), MapError> {
        let err = |kind| MapError::new(self.map.name(), kind);
        self.map.check_key(key)?;
        if !std::ptr::eq(inner.instance(), self.map.instance()) {
            return Err(err(MapErrorKind::IncompatibleInnerMap(format!(
                "map '{}' belongs to another instance",
                inner.name()
            ))));
        }
        self.slots()
            .check_compatible(inner.definition())
            .map_err(|r| err(MapErrorKind::IncompatibleInnerMap(r)))?;
        self.slots().set(key, inner.raw(), flags).map_err(err)
    }

    /// Empties `key`'s slot: programs that look it up from now on get NULL. ENOENT when
    /// the slot is empty.
    pub fn remove(&self, key: &[u8]) -> Result<(), MapError> {
        self.map.check_key(key)?;
        self.slots()
            .remove(key)
            .map_err(|k| MapError::new(self.map.name(), k))
    }

    /// The inner map `key`'s slot holds, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<MapRef<'a>>, MapError> {
        self.map.check_key(key)?;
        let instance = self.map.instance();
        Ok(self
            .slots()
            .get(key)
            .and_then(|a| instance.map_at(a))
            .map(|m| MapRef::new(instance, m)))
    }

    /// Every set slot and its inner map: arrays in index order, hashes in key order.
    pub fn entries(&self) -> Vec<(Vec<u8>, MapRef<'a>)> {
        let instance = self.map.instance();
        self.slots()
            .entries()
            .into_iter()
            .filter_map(|(k, a)| Some((k, MapRef::new(instance, instance.map_at(a)?))))
            .collect()
    }
}

/// The generic [`MapRef`] operations on a map of maps, with inner map ids as values.
impl MapRef<'_> {
    /// This map's id in its instance (see the module documentation): what a map of maps
    /// holding it reports as its value.
    pub fn id(&self) -> u32 {
        self.instance()
            .map_id(self.raw().address() as usize)
            .expect("a MapRef names a map of its instance")
    }

    /// `lookup` of a map of maps: the inner map's id.
    pub(super) fn map_of_maps_lookup(&self, slots: &MapOfMaps, key: &[u8]) -> Option<Vec<u8>> {
        let id = self.instance().map_id(slots.get(key)?)?;
        Some(id.to_ne_bytes().to_vec())
    }

    /// `update` of a map of maps: the value is the id of the inner map to put there.
    pub(super) fn map_of_maps_update(
        &self,
        key: &[u8],
        value: &[u8],
        flags: UpdateFlags,
    ) -> Result<(), MapError> {
        let id = u32::from_ne_bytes(value.try_into().map_err(|_| {
            MapError::new(
                self.name(),
                MapErrorKind::ValueSize {
                    expected: vec![4],
                    got: value.len(),
                },
            )
        })?);
        let inner = self.instance().map_by_id(id).ok_or_else(|| {
            MapError::new(
                self.name(),
                MapErrorKind::IncompatibleInnerMap(format!("the instance has no map {id}")),
            )
        })?;
        let inner = MapRef::new(self.instance(), inner);
        MapOfMapsRef::new(*self)?.set_with_flags(key, &inner, flags)
    }

    /// `entries` of a map of maps: (key, inner map id).
    pub(super) fn map_of_maps_entries(&self, slots: &MapOfMaps) -> Vec<(Vec<u8>, Vec<u8>)> {
        slots
            .entries()
            .into_iter()
            .filter_map(|(k, a)| Some((k, self.instance().map_id(a)?.to_ne_bytes().to_vec())))
            .collect()
    }
}
