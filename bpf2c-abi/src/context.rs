//! Context layouts as data: the structs programs read through r1 (Linux's `struct xdp_md`
//! and `struct __sk_buff`, as the UAPI header lays them out) and the native context the
//! runtime passes instead (`bpf2c_xdp_context_t` of bpf2c.h).
//!
//! Programs are compiled against the Linux layouts, but a native host needs 64-bit packet
//! pointers, so the translator rewrites each proven context access from the Linux field to
//! the native field of the same name. The tests of this crate compare every table with what
//! a C compiler says about the header that defines it.

/// What a context field holds, which decides how an access to it is translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// A number (or an array of numbers).
    Scalar,
    /// The address of the first packet byte.
    PacketData,
    /// The address one past the last packet byte.
    PacketEnd,
    /// The address of the packet's metadata area.
    PacketMeta,
    /// A kernel object pointer (`__bpf_md_ptr`), 8 bytes in every ABI.
    Pointer,
}

impl FieldKind {
    /// One of the packet pointers (data, data_end, data_meta).
    pub fn is_packet_pointer(self) -> bool {
        matches!(
            self,
            FieldKind::PacketData | FieldKind::PacketEnd | FieldKind::PacketMeta
        )
    }
}

/// One field: its name in the C struct, its byte offset and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtxField {
    pub name: &'static str,
    pub offset: u32,
    pub size: u32,
    pub kind: FieldKind,
}

/// A context struct: its C name, its size, and its fields in offset order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtxLayout {
    /// The struct as C code names it (`struct xdp_md`, `bpf2c_xdp_context_t`).
    pub c_name: &'static str,
    pub size: u32,
    pub fields: &'static [CtxField],
}

impl CtxLayout {
    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&'static CtxField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field whose bytes include `offset`; None in padding or past the end.
    pub fn field_at(&self, offset: i64) -> Option<&'static CtxField> {
        self.fields
            .iter()
            .find(|f| offset >= f.offset as i64 && offset < (f.offset + f.size) as i64)
    }

    /// The offset of the field with this name, usable in constants; a name the layout lacks
    /// fails the build when evaluated at compile time.
    pub const fn offset_of(&self, name: &str) -> u32 {
        let mut i = 0;
        while i < self.fields.len() {
            if str_eq(self.fields[i].name, name) {
                return self.fields[i].offset;
            }
            i += 1;
        }
        panic!("no such context field")
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Table rows: `name offset size Kind`.
macro_rules! fields {
    ($($name:ident $offset:literal $size:literal $kind:ident),* $(,)?) => {
        &[$(CtxField {
            name: stringify!($name),
            offset: $offset,
            size: $size,
            kind: FieldKind::$kind,
        }),*]
    };
}

/// Linux's `struct xdp_md`: what an XDP program reads through r1. bpf2c.h restates it as
/// `bpf2c_xdp_md_t`.
pub const XDP_MD: CtxLayout = CtxLayout {
    c_name: "struct xdp_md",
    size: 24,
    fields: fields![
        data 0 4 PacketData,
        data_end 4 4 PacketEnd,
        data_meta 8 4 PacketMeta,
        ingress_ifindex 12 4 Scalar,
        rx_queue_index 16 4 Scalar,
        egress_ifindex 20 4 Scalar,
    ],
};

/// bpf2c.h's `bpf2c_xdp_context_t`: what an XDP program's r1 really points to. Every field
/// of [`XDP_MD`] has a field of the same name here; the packet pointers are 64 bits wide.
pub const XDP_NATIVE: CtxLayout = CtxLayout {
    c_name: "bpf2c_xdp_context_t",
    size: 40,
    fields: fields![
        data 0 8 PacketData,
        data_end 8 8 PacketEnd,
        data_meta 16 8 PacketMeta,
        ingress_ifindex 24 4 Scalar,
        rx_queue_index 28 4 Scalar,
        egress_ifindex 32 4 Scalar,
        reserved 36 4 Scalar,
    ],
};

/// Linux's `struct __sk_buff`: what socket-filter, tc and cgroup-skb programs read through
/// r1. Arrays (`cb`, `remote_ip6`, `local_ip6`) are one field of their whole size.
pub const SK_BUFF: CtxLayout = CtxLayout {
    c_name: "struct __sk_buff",
    size: 192,
    fields: fields![
        len 0 4 Scalar,
        pkt_type 4 4 Scalar,
        mark 8 4 Scalar,
        queue_mapping 12 4 Scalar,
        protocol 16 4 Scalar,
        vlan_present 20 4 Scalar,
        vlan_tci 24 4 Scalar,
        vlan_proto 28 4 Scalar,
        priority 32 4 Scalar,
        ingress_ifindex 36 4 Scalar,
        ifindex 40 4 Scalar,
        tc_index 44 4 Scalar,
        cb 48 20 Scalar,
        hash 68 4 Scalar,
        tc_classid 72 4 Scalar,
        data 76 4 PacketData,
        data_end 80 4 PacketEnd,
        napi_id 84 4 Scalar,
        family 88 4 Scalar,
        remote_ip4 92 4 Scalar,
        local_ip4 96 4 Scalar,
        remote_ip6 100 16 Scalar,
        local_ip6 116 16 Scalar,
        remote_port 132 4 Scalar,
        local_port 136 4 Scalar,
        data_meta 140 4 PacketMeta,
        flow_keys 144 8 Pointer,
        tstamp 152 8 Scalar,
        wire_len 160 4 Scalar,
        gso_segs 164 4 Scalar,
        sk 168 8 Pointer,
        gso_size 176 4 Scalar,
        tstamp_type 180 1 Scalar,
        hwtstamp 184 8 Scalar,
    ],
};

/// bpf2c.h's `bpf2c_skb_context_t`: what r1 really points to in a program that reads
/// [`SK_BUFF`]. Every field of `SK_BUFF` has a field of the same name and size here, except
/// that the packet pointers and kernel pointers are 64 bits wide.
pub const SKB_NATIVE: CtxLayout = CtxLayout {
    c_name: "bpf2c_skb_context_t",
    size: 208,
    fields: fields![
        data 0 8 PacketData,
        data_end 8 8 PacketEnd,
        data_meta 16 8 PacketMeta,
        len 24 4 Scalar,
        pkt_type 28 4 Scalar,
        mark 32 4 Scalar,
        queue_mapping 36 4 Scalar,
        protocol 40 4 Scalar,
        vlan_present 44 4 Scalar,
        vlan_tci 48 4 Scalar,
        vlan_proto 52 4 Scalar,
        priority 56 4 Scalar,
        ingress_ifindex 60 4 Scalar,
        ifindex 64 4 Scalar,
        tc_index 68 4 Scalar,
        cb 72 20 Scalar,
        hash 92 4 Scalar,
        tc_classid 96 4 Scalar,
        napi_id 100 4 Scalar,
        family 104 4 Scalar,
        remote_ip4 108 4 Scalar,
        local_ip4 112 4 Scalar,
        remote_ip6 116 16 Scalar,
        local_ip6 132 16 Scalar,
        remote_port 148 4 Scalar,
        local_port 152 4 Scalar,
        wire_len 156 4 Scalar,
        gso_segs 160 4 Scalar,
        gso_size 164 4 Scalar,
        tstamp 168 8 Scalar,
        hwtstamp 176 8 Scalar,
        flow_keys 184 8 Pointer,
        sk 192 8 Pointer,
        tstamp_type 200 1 Scalar,
        reserved 201 7 Scalar,
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn check_well_formed(layout: &CtxLayout) {
        let mut end = 0;
        for f in layout.fields {
            assert!(f.offset >= end, "{}.{} overlaps", layout.c_name, f.name);
            // Fields of other sizes are arrays of 32-bit numbers, or of bytes (padding).
            let align = match f.size {
                1 | 2 | 4 | 8 => f.size,
                s if s % 4 == 0 => 4,
                _ => 1,
            };
            assert_eq!(
                f.offset % align,
                0,
                "{}.{} misaligned",
                layout.c_name,
                f.name
            );
            end = f.offset + f.size;
        }
        assert!(end <= layout.size, "{} overflows", layout.c_name);
    }

    #[test]
    fn layouts_are_well_formed() {
        for layout in [&XDP_MD, &XDP_NATIVE, &SK_BUFF, &SKB_NATIVE] {
            check_well_formed(layout);
        }
    }

    #[test]
    fn every_xdp_md_field_has_a_native_field() {
        for f in XDP_MD.fields {
            let native = XDP_NATIVE.field(f.name).unwrap();
            assert_eq!(native.kind, f.kind, "{}", f.name);
            let native_size = if f.kind.is_packet_pointer() {
                8
            } else {
                f.size
            };
            assert_eq!(native.size, native_size, "{}", f.name);
        }
    }

    #[test]
    fn every_sk_buff_field_has_a_native_field() {
        for f in SK_BUFF.fields {
            let native = SKB_NATIVE.field(f.name).unwrap();
            assert_eq!(native.kind, f.kind, "{}", f.name);
            let native_size = if f.kind.is_packet_pointer() {
                8
            } else {
                f.size
            };
            assert_eq!(native.size, native_size, "{}", f.name);
        }
    }

    #[test]
    fn lookups_by_name_and_offset() {
        const END: u32 = XDP_MD.offset_of("data_end");
        assert_eq!(END, 4);
        assert_eq!(SK_BUFF.offset_of("data"), 76);
        assert_eq!(XDP_MD.field_at(17).unwrap().name, "rx_queue_index");
        assert_eq!(XDP_MD.field_at(24), None);
        assert_eq!(XDP_MD.field_at(-1), None);
        // The padding after tstamp_type belongs to no field.
        assert_eq!(SK_BUFF.field_at(181), None);
        assert_eq!(SK_BUFF.field_at(50).unwrap().name, "cb");
    }
}
