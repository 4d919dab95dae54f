//! BTF: the type information clang emits in `.BTF` (and, in [`ext`], `.BTF.ext`).
//!
//! The parser accepts every kind up to ENUM64 (19) and checks every offset it follows, so a
//! corrupt section becomes a [`BtfError`], never a panic. Type references are not checked at
//! parse time; every lookup checks them instead, and every walk along a chain of references
//! (modifiers, typedefs, nested arrays) stops after [`MAX_RESOLVE_DEPTH`] steps, so a cyclic
//! graph is an error rather than a hang.
//!
//! Structs keep every member's name, type, bit offset and bitfield width, and ints keep
//! their encoding, so the type graph is enough to generate `#[repr(C)]` mirrors of map keys,
//! map values and global variables later.
//!
//! Split by concern: the data model ([`types`], re-exported here), the parser (`parse`) and
//! the questions asked of parsed BTF (`query`); `.BTF.ext` is [`ext`].

// Untrusted bytes: no indexing, unchecked arithmetic, unwrap or panic here or in the
// submodules, which inherit these levels.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod ext;
mod parse;
mod query;
pub mod types;

pub use types::*;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds BTF by hand, to test kinds clang rarely emits and corrupt inputs.
    #[derive(Default)]
    pub(crate) struct Builder {
        pub types: Vec<u8>,
        pub strings: Vec<u8>,
        pub little: bool,
    }

    impl Builder {
        pub fn new(little: bool) -> Builder {
            Builder {
                types: Vec::new(),
                strings: vec![0],
                little,
            }
        }

        fn word(&mut self, v: u32) {
            let b = if self.little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            self.types.extend_from_slice(&b);
        }

        pub fn str(&mut self, s: &str) -> u32 {
            if s.is_empty() {
                return 0;
            }
            let off = self.strings.len() as u32;
            self.strings.extend_from_slice(s.as_bytes());
            self.strings.push(0);
            off
        }

        pub fn ty(&mut self, name: &str, kind: u32, vlen: u32, flag: bool, size_or_type: u32) {
            let n = self.str(name);
            self.word(n);
            self.word((kind << 24) | vlen | if flag { 1 << 31 } else { 0 });
            self.word(size_or_type);
        }

        pub fn words(&mut self, ws: &[u32]) {
            for &w in ws {
                self.word(w);
            }
        }

        pub fn build(&self) -> Vec<u8> {
            let mut out = Vec::new();
            let w = |v: u32, little: bool| {
                if little {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                }
            };
            let magic: u16 = 0xeb9f;
            out.extend_from_slice(&if self.little {
                magic.to_le_bytes()
            } else {
                magic.to_be_bytes()
            });
            out.extend_from_slice(&[1, 0]);
            for v in [
                24,
                0,
                self.types.len() as u32,
                self.types.len() as u32,
                self.strings.len() as u32,
            ] {
                out.extend_from_slice(&w(v, self.little));
            }
            out.extend_from_slice(&self.types);
            out.extend_from_slice(&self.strings);
            out
        }
    }

    fn every_kind(little: bool) -> Vec<u8> {
        let mut b = Builder::new(little);
        b.ty("int", 1, 0, false, 4); // [1]
        b.words(&[(1 << 24) | 32]);
        b.ty("", 2, 0, false, 1); // [2] int *
        b.ty("", 3, 0, false, 0); // [3] int[3]
        b.words(&[1, 1, 3]);
        b.ty("s", 4, 2, true, 8); // [4] struct s { int a; int b:3; }
        let a = b.str("a");
        let bb = b.str("b");
        b.words(&[a, 1, 0, bb, 1, (3 << 24) | 32]);
        b.ty("u", 5, 1, false, 4); // [5] union u { int x; }
        let x = b.str("x");
        b.words(&[x, 1, 0]);
        b.ty("e", 6, 2, true, 4); // [6] signed enum e { NEG = -1, ONE = 1 }
        let neg = b.str("NEG");
        let one = b.str("ONE");
        b.words(&[neg, (-1i32) as u32, one, 1]);
        b.ty("fwd", 7, 0, true, 0); // [7] union fwd;
        b.ty("myint", 8, 0, false, 1); // [8] typedef int myint
        b.ty("", 9, 0, false, 8); // [9] volatile myint
        b.ty("", 10, 0, false, 9); // [10] const volatile myint
        b.ty("", 11, 0, false, 2); // [11] int *restrict
        b.ty("f", 12, 1, false, 13); // [12] global func f
        b.ty("", 13, 1, false, 1); // [13] int (int p)
        let p = b.str("p");
        b.words(&[p, 1]);
        b.ty("v", 14, 0, false, 10); // [14] var v
        b.words(&[1]);
        b.ty(".data", 15, 1, false, 4); // [15] datasec
        b.words(&[14, 0, 4]);
        b.ty("double", 16, 0, false, 8); // [16]
        b.ty("tag", 17, 0, false, 4); // [17] decl tag on member 1 of s
        b.words(&[1]);
        b.ty("user", 18, 0, false, 1); // [18] type tag
        b.ty("e64", 19, 1, false, 8); // [19] unsigned enum64
        let big = b.str("BIG");
        b.words(&[big, 0, 0x8000_0000]);
        b.build()
    }

    #[test]
    fn parses_every_kind() {
        for little in [true, false] {
            let btf = Btf::parse(&every_kind(little), little).unwrap();
            assert_eq!(btf.len(), 20);
            assert_eq!(
                btf.int(1).unwrap(),
                &IntType {
                    size: 4,
                    signed: true,
                    is_char: false,
                    is_bool: false,
                    bit_offset: 0,
                    bits: 32
                }
            );
            assert_eq!(btf.pointee(2).unwrap(), 1);
            assert_eq!(btf.size_of(3).unwrap(), 12);
            let m = btf.members(4).unwrap();
            assert_eq!(
                (m[1].name.as_str(), m[1].bit_offset, m[1].bitfield_size),
                ("b", 32, 3)
            );
            assert_eq!(btf.size_of(5).unwrap(), 4);
            let e = btf.enumeration(6).unwrap();
            assert!(e.signed);
            assert_eq!(e.values[0].value, -1);
            assert_eq!(
                btf.type_by_id(7).unwrap().kind,
                BtfKind::Fwd { is_union: true }
            );
            assert_eq!(btf.resolve(10).unwrap(), 1);
            assert_eq!(btf.skip_modifiers(10).unwrap(), 8);
            assert_eq!(btf.size_of(10).unwrap(), 4);
            assert_eq!(btf.skip_modifiers(11).unwrap(), 2);
            assert!(matches!(
                btf.type_by_id(12).unwrap().kind,
                BtfKind::Func {
                    proto: 13,
                    linkage: FuncLinkage::Global
                }
            ));
            let (name, ty, linkage) = btf.var(14).unwrap();
            assert_eq!((name, ty, linkage), ("v", 10, VarLinkage::Global));
            let (id, sec) = btf.datasec(".data").unwrap();
            assert_eq!((id, sec.vars[0].ty, sec.vars[0].size), (15, 14, 4));
            assert_eq!(btf.size_of(16).unwrap(), 8);
            assert_eq!(
                btf.type_by_id(17).unwrap().kind,
                BtfKind::DeclTag {
                    target: 4,
                    component: Some(1)
                }
            );
            assert_eq!(btf.skip_modifiers(18).unwrap(), 1);
            assert_eq!(
                btf.enumeration(19).unwrap().values[0].value,
                0x8000_0000_0000_0000
            );
            assert_eq!(btf.display_name(10), "const volatile myint");
            assert_eq!(btf.display_name(3), "int[3]");
            assert_eq!(btf.find_by_name("s"), Some(4));
            assert!(matches!(
                btf.size_of(12),
                Err(BtfError::NoSize {
                    id: 12,
                    kind: "FUNC"
                })
            ));
        }
    }

    #[test]
    fn rejects_wrong_byte_order_and_bad_magic() {
        assert_eq!(
            Btf::parse(&every_kind(true), false).unwrap_err(),
            BtfError::WrongByteOrder
        );
        let mut data = every_kind(true);
        data[0] = 0;
        assert!(matches!(
            Btf::parse(&data, true),
            Err(BtfError::BadMagic(_))
        ));
    }

    #[test]
    fn cycles_are_errors_not_hangs() {
        let mut b = Builder::new(true);
        b.ty("a", 8, 0, false, 2); // [1] typedef a = [2]
        b.ty("b", 8, 0, false, 1); // [2] typedef b = [1]
        b.ty("", 3, 0, false, 0); // [3] array of itself
        b.words(&[3, 3, 2]);
        let btf = Btf::parse(&b.build(), true).unwrap();
        assert_eq!(btf.resolve(1), Err(BtfError::TooDeep(1)));
        assert!(matches!(btf.size_of(2), Err(BtfError::TooDeep(_))));
        assert!(matches!(btf.size_of(3), Err(BtfError::TooDeep(_))));
        assert_eq!(
            btf.display_name(3).matches('[').count(),
            MAX_RESOLVE_DEPTH + 1
        );
    }

    #[test]
    fn overflowing_array_size_is_an_error() {
        let mut b = Builder::new(true);
        b.ty("", 3, 0, false, 0); // [1] u8[u32::MAX][u32::MAX] ... nested
        b.words(&[2, 0, u32::MAX]);
        b.ty("", 3, 0, false, 0); // [2]
        b.words(&[3, 0, u32::MAX]);
        b.ty("", 3, 0, false, 0); // [3]
        b.words(&[4, 0, u32::MAX]);
        b.ty("big", 4, 0, false, u32::MAX); // [4]
        let btf = Btf::parse(&b.build(), true).unwrap();
        assert_eq!(btf.size_of(1), Err(BtfError::Overflow(2)));
    }

    #[test]
    fn bad_references_and_strings_are_errors() {
        let mut b = Builder::new(true);
        b.ty("", 2, 0, false, 77); // [1] pointer to a missing type
        let btf = Btf::parse(&b.build(), true).unwrap();
        assert_eq!(btf.pointee(1), Ok(77));
        assert_eq!(btf.size_of(77), Err(BtfError::BadTypeId(77)));

        let mut b = Builder::new(true);
        b.words(&[9999, 2 << 24, 0]); // name offset past the strings
        assert_eq!(Btf::parse(&b.build(), true), Err(BtfError::BadString(9999)));

        let mut b = Builder::new(true);
        b.ty("x", 20, 0, false, 0);
        assert_eq!(
            Btf::parse(&b.build(), true),
            Err(BtfError::UnknownKind { id: 1, kind: 20 })
        );

        let mut b = Builder::new(true);
        b.ty("s", 4, 0xffff, false, 4); // claims 65535 members, holds none
        assert!(matches!(
            Btf::parse(&b.build(), true),
            Err(BtfError::Truncated {
                what: "members",
                ..
            })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let data = every_kind(true);
        for len in 0..data.len() {
            assert!(Btf::parse(&data[..len], true).is_err(), "length {len}");
        }
    }

    #[test]
    fn fixes_datasec_offsets() {
        let mut btf = Btf::parse(&every_kind(true), true).unwrap();
        btf.fix_datasec(15, 64, |name| (name == "v").then_some(40));
        let (_, sec) = btf.datasec(".data").unwrap();
        assert_eq!((sec.size, sec.vars[0].offset), (64, 40));
    }
}
