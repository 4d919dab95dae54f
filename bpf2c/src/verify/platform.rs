//! The verifier's view of a program's world: PREVAIL's Linux platform (every helper it
//! describes, usable as it gates them per program type; every map type it knows; its
//! builtin calls), with the host's declarations of custom helpers taking precedence, and the
//! object's own maps. Whether the runtime can execute what verifies is `gen`'s question, not
//! verification's.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};

use prevail::elf_loader::UnmarshalError;
use prevail::linux::linux_platform::LinuxPlatform;
use prevail::linux::spec_prototypes::{HelperPrototype, PROTOTYPES};
use prevail::platform::EbpfPlatform;
use prevail::spec::config::EbpfVerifierOptions;
use prevail::spec::ebpf_base::{EbpfArgumentType, EbpfReturnType};
use prevail::spec::type_descriptors::{
    EbpfMapDescriptor, EbpfMapType, EbpfProgramType, EbpfStructDescriptor,
};

use super::link::map_handle;
use crate::helpers::{HelperArg, HelperDecl, HelperReturn, HelperSet};
use crate::object::Object;

/// The platform handed to PREVAIL for one object.
pub struct Platform {
    maps: Vec<EbpfMapDescriptor>,
    custom: BTreeMap<i32, HelperPrototype>,
    program_type: EbpfProgramType,
    linux: LinuxPlatform,
}

impl Platform {
    pub fn new(obj: &Object, helpers: &HelperSet, program_type: EbpfProgramType) -> Platform {
        let mut linux = LinuxPlatform::new();
        linux.set_program_type(&program_type);
        Platform {
            linux,
            maps: map_descriptors(obj),
            custom: helpers
                .custom()
                .map(|d| (d.id as i32, prototype(d)))
                .collect(),
            program_type,
        }
    }

    pub fn map_descriptors(&self) -> &[EbpfMapDescriptor] {
        &self.maps
    }
}

/// One descriptor per map object, with the handle [`map_handle`] gives it. A map of maps
/// points at its inner-map template, so a lookup in it gives a map of the template's shape.
pub fn map_descriptors(obj: &Object) -> Vec<EbpfMapDescriptor> {
    obj.maps
        .iter()
        .enumerate()
        .map(|(i, m)| EbpfMapDescriptor {
            original_fd: map_handle(i),
            map_type: m.def.map_type.raw(),
            key_size: m.def.key_size,
            value_size: m.def.value_size,
            max_entries: m.def.max_entries,
            inner_map_fd: m.inner_map.map_or(-1, map_handle),
            name: m.name.clone(),
            is_inner_map_template: m.is_inner_template,
        })
        .collect()
}

/// HelperPrototype names are `&'static str`; host helper names are interned once each, so
/// verifying many objects does not leak without bound.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

fn prototype(decl: &HelperDecl) -> HelperPrototype {
    let mut argument_type = [EbpfArgumentType::DontCare; 5];
    for (slot, arg) in argument_type.iter_mut().zip(&decl.args) {
        *slot = match arg {
            HelperArg::Anything => EbpfArgumentType::Anything,
            HelperArg::ReadableMem => EbpfArgumentType::PtrToReadableMem,
            HelperArg::ReadableMemOrNull => EbpfArgumentType::PtrToReadableMemOrNull,
            HelperArg::WritableMem => EbpfArgumentType::PtrToWritableMem,
            HelperArg::ConstSize => EbpfArgumentType::ConstSize,
            HelperArg::ConstSizeOrZero => EbpfArgumentType::ConstSizeOrZero,
            HelperArg::Context => EbpfArgumentType::PtrToCtx,
            HelperArg::Map => EbpfArgumentType::PtrToMap,
            HelperArg::MapKey => EbpfArgumentType::PtrToMapKey,
            HelperArg::MapValue => EbpfArgumentType::PtrToMapValue,
        };
    }
    HelperPrototype {
        name: intern(&decl.name),
        return_type: match decl.ret {
            HelperReturn::Integer => EbpfReturnType::Integer,
            HelperReturn::MapValueOrNull => EbpfReturnType::PtrToMapValueOrNull,
        },
        argument_type,
        reallocate_packet: false,
        ctx_descriptor: None,
        unsupported: false,
        might_sleep: false,
        zero_args_mask: 0,
        allowed_map_types: 0,
    }
}

impl EbpfPlatform for Platform {
    fn get_program_type(&self, _section: &str, _path: &str) -> EbpfProgramType {
        self.program_type.clone()
    }

    fn get_helper_prototype(&self, n: i32) -> &HelperPrototype {
        // PREVAIL only asks for prototypes of usable helpers; an unusable id still gets a
        // prototype (the "unsupported" entry 0) instead of a panic.
        self.try_get_helper_prototype(n).unwrap_or(&PROTOTYPES[0])
    }

    fn try_get_helper_prototype(&self, n: i32) -> Option<&HelperPrototype> {
        self.custom
            .get(&n)
            .or_else(|| self.linux.try_get_helper_prototype(n))
    }

    fn is_helper_usable(&self, n: i32) -> bool {
        self.custom.contains_key(&n) || self.linux.is_helper_usable(n)
    }

    fn resolve_builtin_call(&self, name: &str) -> Option<i32> {
        self.linux.resolve_builtin_call(name)
    }

    fn get_builtin_call(&self, id: i32) -> Option<prevail::ir::syntax::Call> {
        self.linux.get_builtin_call(id)
    }

    fn map_record_size(&self) -> usize {
        0
    }

    fn parse_maps_section(
        &mut self,
        _descriptors: &mut Vec<EbpfMapDescriptor>,
        _data: &[u8],
        _record_size: usize,
        _count: usize,
        _options: &EbpfVerifierOptions,
    ) {
        // Never called: programs are built from bpf2c's own object model, not by PREVAIL's
        // ELF reader.
    }

    fn resolve_inner_map_references(
        &self,
        _descriptors: &mut Vec<EbpfMapDescriptor>,
    ) -> Result<(), UnmarshalError> {
        Ok(())
    }

    fn get_map_descriptor(&self, map_fd: i32) -> Option<&EbpfMapDescriptor> {
        self.maps.iter().find(|m| m.original_fd == map_fd)
    }

    fn get_map_type(&self, platform_specific_type: u32) -> EbpfMapType {
        let mut t = self.linux.get_map_type(platform_specific_type);
        t.name = bpf2c_abi::map::map_type_label(platform_specific_type);
        t
    }

    fn sock_common_layout(&self) -> Option<&'static EbpfStructDescriptor> {
        self.linux.sock_common_layout()
    }

    fn supported_conformance_groups(&self) -> u32 {
        u32::MAX
    }
}
