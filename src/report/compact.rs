//! The NDJSON writer: compact JSON, byte for byte what `serde_json::to_string` writes, but with
//! strings escaped a run at a time (the bytes to escape are found sixteen at a time by
//! [`crate::scan::stop`]) instead of a byte at a time. Floats and byte strings, which reports do
//! not hold, are written by serde_json itself; a rule's texts, escaped once when it loads, go out
//! as they are (serde_json's raw-value protocol, as serde_json honours it).

use std::fmt;

use serde::ser::{self, Serialize};

/// `value` as one line of compact JSON.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    thread_local! {
        // The length of the last line written: the next is likely about as long, and growing
        // the line from empty copies it several times over.
        static LAST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }
    let mut w = Writer {
        out: String::with_capacity(LAST.get() + LAST.get() / 4),
    };
    value.serialize(&mut w)?;
    LAST.set(w.out.len());
    Ok(w.out)
}

/// Why a value could not be written (a map key that is not text, or a serializer's error).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// `s` as a JSON string, escaped as serde_json escapes it, appended to `out`.
pub fn push_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut rest = s;
    while let Some(at) = crate::scan::stop(rest.as_bytes()) {
        // Only ASCII bytes stop the scan, so `at` and `at + 1` are character boundaries.
        out.push_str(&rest[..at]);
        let c = rest.as_bytes()[at];
        match c {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(c >> 4)]));
                out.push(char::from(HEX[usize::from(c & 0xf)]));
            }
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// The serializer (its type name is what [`crate::evaluate::diagnosis::Shared`] recognises).
pub struct Writer {
    out: String,
}

/// serde_json's name for a raw value: a struct of this name holds one field, JSON text to write
/// as it is.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

impl Writer {
    fn string(&mut self, s: &str) {
        push_string(&mut self.out, s);
    }

    fn integer(&mut self, n: impl itoa::Integer) {
        self.out.push_str(itoa::Buffer::new().format(n));
    }

    /// What serde_json writes for `value`, for the kinds reports never hold.
    fn by_serde_json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let json = serde_json::to_string(value).map_err(|e| Error(e.to_string()))?;
        self.out.push_str(&json);
        Ok(())
    }

    fn open(&mut self, bracket: char, close: &'static str) -> Compound<'_> {
        self.out.push(bracket);
        Compound {
            w: self,
            first: true,
            close,
            raw: false,
        }
    }

    /// `{"variant":` before a variant's value (serde_json tags variants from outside).
    fn tag(&mut self, variant: &str) {
        self.out.push('{');
        self.string(variant);
        self.out.push(':');
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.integer(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.by_serde_json(&v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.by_serde_json(&v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        // serde_json writes bytes as a list of numbers, as it writes a `&[u8]`.
        self.by_serde_json(v)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.tag(variant);
        value.serialize(&mut *self)?;
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open('[', "]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.tag(variant);
        Ok(self.open('[', "]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open('{', "}"))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        if name == RAW_VALUE {
            return Ok(Compound {
                w: self,
                first: true,
                close: "",
                raw: true,
            });
        }
        Ok(self.open('{', "}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.tag(variant);
        Ok(self.open('{', "}}"))
    }
}

/// A list, map, struct or variant being written: `close` ends it.
pub struct Compound<'a> {
    w: &'a mut Writer,
    first: bool,
    close: &'static str,
    /// A raw value: its one field is JSON text, written as it is.
    raw: bool,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.w.out.push(',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        if self.raw {
            return value.serialize(RawText(self.w));
        }
        self.comma();
        // A field's name is an identifier, with nothing to escape: written without the scan.
        if key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            let out = &mut self.w.out;
            out.reserve(key.len() + 3);
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
        } else {
            self.w.string(key);
            self.w.out.push(':');
        }
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), Error> {
        self.w.out.push_str(self.close);
        Ok(())
    }
}

/// The serde traits of lists and tuples (`$method` adds an element) and of structs (`$method`
/// adds a named field): the same two calls each.
macro_rules! compound {
    ($($trait:ident :: $method:ident($($key:ident: $key_ty:ty,)?) => $add:ident;)*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(
                &mut self,
                $($key: $key_ty,)?
                value: &T,
            ) -> Result<(), Error> {
                self.$add($($key,)? value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

compound! {
    SerializeSeq::serialize_element() => element;
    SerializeTuple::serialize_element() => element;
    SerializeTupleStruct::serialize_field() => element;
    SerializeTupleVariant::serialize_field() => element;
    SerializeStruct::serialize_field(key: &'static str,) => field;
    SerializeStructVariant::serialize_field(key: &'static str,) => field;
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        // As serde_json: a key is text, or a number or boolean written as text.
        let start = self.w.out.len();
        key.serialize(&mut *self.w)?;
        match self.w.out.as_bytes().get(start) {
            Some(b'"') => {}
            Some(b'-' | b'0'..=b'9' | b't' | b'f') => {
                self.w.out.insert(start, '"');
                self.w.out.push('"');
            }
            _ => return Err(Error("key must be a string".into())),
        }
        self.w.out.push(':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

fn not_raw() -> Error {
    Error("a raw value must be JSON text".into())
}

/// Methods of [`RawText`] that refuse their value.
macro_rules! refuse {
    ($($name:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<$ok, Error> {
            Err(not_raw())
        })*
    };
}

/// Takes the text of a raw value and writes it as it is; anything else is an error.
struct RawText<'a>(&'a mut Writer);

impl ser::Serializer for RawText<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.out.push_str(v);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(not_raw())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_raw())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_raw())
    }
    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::value::RawValue;

    use super::to_string;

    #[derive(Serialize)]
    enum Kind {
        Unit,
        Newtype(i64),
        Tuple(u8, String),
        Struct { a: Option<bool>, b: char },
    }

    #[derive(Serialize)]
    struct Unit;

    struct Bytes;

    impl Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b"\x00\xff")
        }
    }

    #[derive(Serialize)]
    struct Tuple(i32, &'static str);

    #[derive(Serialize)]
    struct All {
        text: String,
        kinds: Vec<Kind>,
        numbers: (i8, i16, i32, i64, i128, u8, u16, u32, u64, u128),
        floats: (f32, f64, f64, f64),
        bytes: serde_json::Value,
        none: Option<String>,
        unit: (),
        unit_struct: Unit,
        tuple: Tuple,
        by_text: BTreeMap<String, u8>,
        by_number: BTreeMap<i64, bool>,
        raw: Box<RawValue>,
        empty: (Vec<u8>, BTreeMap<String, u8>),
    }

    fn same<T: Serialize>(value: &T) {
        let ours = to_string(value).expect("written");
        let theirs = serde_json::to_string(value).expect("serde_json writes it");
        assert_eq!(ours, theirs);
    }

    /// Every kind of value a `Serialize` type can give is written as serde_json writes it.
    #[test]
    fn writes_what_serde_json_writes() {
        let all = All {
            text: "quote \" backslash \\ slash / tab \t é 漢 😀 \u{7f} \u{2028}".into(),
            kinds: vec![
                Kind::Unit,
                Kind::Newtype(-5),
                Kind::Tuple(7, "x\ny".into()),
                Kind::Struct { a: None, b: '"' },
                Kind::Struct {
                    a: Some(true),
                    b: '\u{1}',
                },
            ],
            numbers: (
                i8::MIN,
                -1,
                i32::MAX,
                i64::MIN,
                i128::MAX,
                0,
                9,
                10,
                u64::MAX,
                1,
            ),
            floats: (1.5, 0.1, f64::NAN, -1e300),
            bytes: serde_json::json!({"k": [1, "two", null, 3.25]}),
            none: None,
            unit: (),
            unit_struct: Unit,
            tuple: Tuple(3, "t"),
            by_text: [("a\"b".to_owned(), 1), ("".to_owned(), 2)].into(),
            by_number: [(-3, true), (40, false)].into(),
            raw: RawValue::from_string(r#"{"pre": "escaped \u00e9"}"#.into()).unwrap(),
            empty: (Vec::new(), BTreeMap::new()),
        };
        same(&all);
        same(&Bytes);
    }

    #[test]
    fn escapes_every_character_as_serde_json_does() {
        let every: String = (0..0x80u8).map(char::from).collect();
        same(&every);
        // Each control character alone, first and last, between text.
        for c in (0..0x20u8).map(char::from) {
            same(&format!("{c}"));
            same(&format!("{c}ab{c}"));
            same(&format!(
                "some text longer than sixteen bytes {c} and more {c}"
            ));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(text in "(?s).{0,80}") {
            same(&text);
        }
    }
}
