//! An object cut down to some of its programs, so that `gen` and `run` can translate the
//! programs asked for even when other programs or maps of the same object cannot run here
//! (a tc program in an object that also holds kprobes, say).
//!
//! The cut keeps the named programs, the programs their program arrays start out holding
//! (tail-call targets), every function they reach, and every map those functions name (with
//! the inner maps of map-in-map maps). Functions and maps are renumbered in their original
//! order; everything else is as loaded.

use std::collections::BTreeSet;

use super::{FunctionId, MapId, Object, Reloc};
use crate::error::{Error, Location, Result};

impl Object {
    /// This object with only the programs named in `names` and what they need. Err when a
    /// name is not a program of the object.
    pub fn select_programs(&self, names: &[String]) -> Result<Object> {
        for name in names {
            if self.program(name).is_none() {
                let all: Vec<&str> = self.programs.iter().map(|p| p.name.as_str()).collect();
                return Err(Error::new(
                    Location::file(&self.path),
                    format!("no program named '{name}' (programs: {})", all.join(", ")),
                ));
            }
        }
        let mut programs: BTreeSet<usize> = self
            .programs
            .iter()
            .enumerate()
            .filter(|(_, p)| names.contains(&p.name))
            .map(|(i, _)| i)
            .collect();
        // Grow to a fixed point: programs reach functions, functions name maps, maps (program
        // arrays) name programs and (map-in-map) other maps.
        let (functions, maps) = loop {
            let mut functions = BTreeSet::new();
            for &p in &programs {
                functions.extend(self.reachable_functions(self.programs[p].entry));
            }
            let mut maps = BTreeSet::new();
            for &f in &functions {
                for r in self.functions[f].relocs.values() {
                    match *r {
                        Reloc::MapFd(m) | Reloc::MapValue { map: m, .. } => {
                            maps.insert(m);
                        }
                        Reloc::Call(_) => {}
                    }
                }
            }
            let mut pending: Vec<MapId> = maps.iter().copied().collect();
            while let Some(m) = pending.pop() {
                let Some(map) = self.maps.get(m) else {
                    continue;
                };
                let inner = map
                    .inner_map
                    .into_iter()
                    .chain(map.initial_maps.iter().map(|&(_, i)| i));
                for i in inner {
                    if maps.insert(i) {
                        pending.push(i);
                    }
                }
            }
            let before = programs.len();
            for &m in &maps {
                for (_, target) in &self.maps[m].initial_programs {
                    if let Some(i) = self.programs.iter().position(|p| &p.name == target) {
                        programs.insert(i);
                    }
                }
            }
            if programs.len() == before {
                break (functions, maps);
            }
        };
        let function_index = |f: FunctionId| functions.iter().position(|&x| x == f);
        let map_index = |m: MapId| maps.iter().position(|&x| x == m);
        let mut out = self.clone();
        out.functions = functions
            .iter()
            .map(|&f| {
                let mut func = self.functions[f].clone();
                for r in func.relocs.values_mut() {
                    *r = match *r {
                        Reloc::MapFd(m) => Reloc::MapFd(map_index(m).expect("a kept map")),
                        Reloc::MapValue { map, offset } => Reloc::MapValue {
                            map: map_index(map).expect("a kept map"),
                            offset,
                        },
                        Reloc::Call(c) => Reloc::Call(function_index(c).expect("a kept callee")),
                    };
                }
                func
            })
            .collect();
        out.maps = maps
            .iter()
            .map(|&m| {
                let mut map = self.maps[m].clone();
                map.inner_map = map.inner_map.map(|i| map_index(i).expect("a kept map"));
                for (_, i) in &mut map.initial_maps {
                    *i = map_index(*i).expect("a kept map");
                }
                map
            })
            .collect();
        out.programs = programs
            .iter()
            .map(|&p| {
                let mut program = self.programs[p].clone();
                program.entry = function_index(program.entry).expect("a kept entry");
                program
            })
            .collect();
        Ok(out)
    }
}
