//! How much a request body asks the server to build, counted before it is
//! built. A JSON body of 10 MiB of `{}` or `0,` decodes into millions of
//! values, each far larger in memory than its two or three bytes on the
//! wire; so ingest counts first, with serde_json walking the text and
//! nothing kept, and refuses a body past [`MAX_VALUES_PER_REQUEST`] before
//! a single value is allocated.
//!
//! The protobuf side of the same rule (OTLP) lives with the OTLP handler,
//! which knows the message schema.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// JSON values (objects, arrays, strings, numbers, booleans, nulls; keys are
/// not counted) one request may hold. 5,000 events of about 25 values each
/// is 125,000; twice that leaves room for many tags. At about 100 bytes per
/// decoded value this bounds a request's decoded size near 25 MB.
pub const MAX_VALUES_PER_REQUEST: usize = 250_000;

/// Whether a body of `len` bytes could pass a limit of `max` counted items
/// at all: every JSON value and every counted protobuf entry takes at least
/// two bytes (a value and its separator; a key and a length), so a body
/// holds at most `len / 2 + 1` of them. Smaller bodies need no count, which
/// keeps the walk off the ingest path for ordinary requests.
pub fn could_exceed(len: usize, max: usize) -> bool {
    len / 2 + 1 > max
}

/// A limit a body went past: which, and the limit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TooBig {
    #[error("body: at most {max} values per request")]
    Values { max: usize },
    #[error("{key}: at most {max} per request")]
    Under { key: &'static str, max: usize },
}

/// What to count: every value, and the elements of arrays under one key
/// (OTLP's `spans`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_values: usize,
    /// `(key, most elements)`: elements of every array stored under `key`, summed.
    pub under: Option<(&'static str, usize)>,
}

#[derive(Default)]
struct Counts {
    values: Cell<usize>,
    under: Cell<usize>,
    breach: Cell<Option<TooBig>>,
}

/// Walks `bytes` as JSON and fails as soon as a limit is passed. Text that is
/// not JSON passes: the real parse that follows names the syntax error.
pub fn check_json(bytes: &[u8], limits: Limits) -> Result<(), TooBig> {
    let smallest = limits.under.map_or(limits.max_values, |(_, m)| m.min(limits.max_values));
    if !could_exceed(bytes.len(), smallest) {
        return Ok(());
    }
    count_json(bytes, limits)
}

/// [`check_json`] without the size shortcut: always walks the body (the
/// bench measures this, the cost a large body pays).
pub fn count_json(bytes: &[u8], limits: Limits) -> Result<(), TooBig> {
    let counts = Counts::default();
    let mut d = serde_json::Deserializer::from_slice(bytes);
    let _ = Walk { counts: &counts, limits, counted: false }.deserialize(&mut d);
    match counts.breach.take() {
        Some(b) => Err(b),
        None => Ok(()),
    }
}

#[derive(Clone, Copy)]
struct Walk<'a> {
    counts: &'a Counts,
    limits: Limits,
    /// Whether this value is an array whose elements count under the key.
    counted: bool,
}

impl Walk<'_> {
    fn bump<E: de::Error>(&self) -> Result<(), E> {
        let n = self.counts.values.get() + 1;
        self.counts.values.set(n);
        if n > self.limits.max_values {
            return self.breach(TooBig::Values { max: self.limits.max_values });
        }
        Ok(())
    }

    fn breach<E: de::Error>(&self, b: TooBig) -> Result<(), E> {
        let text = b.to_string();
        self.counts.breach.set(Some(b));
        Err(E::custom(text))
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! scalar {
    ($($name:ident: $t:ty),*) => {$(
        fn $name<E: de::Error>(self, _: $t) -> Result<(), E> { self.bump() }
    )*};
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    scalar!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.bump()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.bump()?;
        let child = Walk { counted: false, ..self };
        while seq.next_element_seed(child)?.is_some() {
            if self.counted {
                let (key, max) = self.limits.under.unwrap_or(("", usize::MAX));
                let n = self.counts.under.get() + 1;
                self.counts.under.set(n);
                if n > max {
                    return self.breach(TooBig::Under { key, max });
                }
            }
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.bump()?;
        let target = self.limits.under.map(|(k, _)| k);
        while let Some(is_target) = map.next_key_seed(Key(target))? {
            map.next_value_seed(Walk { counted: is_target, ..self })?;
        }
        Ok(())
    }
}

/// A map key, compared with the counted key and then dropped.
struct Key(Option<&'static str>);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<bool, E> {
        Ok(self.0 == Some(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Limits = Limits { max_values: 10, under: Some(("spans", 3)) };

    #[test]
    fn values_are_counted_before_anything_is_built() {
        assert_eq!(check_json(br#"{"a":[1,2,{"b":null}],"c":"x"}"#, ALL), Ok(()));
        let many = format!("{{\"events\":[{}]}}", vec!["{}"; 20].join(","));
        assert_eq!(check_json(many.as_bytes(), ALL), Err(TooBig::Values { max: 10 }));
        assert_eq!(TooBig::Values { max: 10 }.to_string(), "body: at most 10 values per request");
    }

    #[test]
    fn elements_under_a_key_are_summed_over_every_array() {
        let two = r#"{"r":[{"spans":[{},{}]},{"spans":[{}]}]}"#;
        assert_eq!(check_json(two.as_bytes(), ALL), Ok(()));
        let four = r#"{"r":[{"spans":[{},{}]},{"spans":[1,{}]}]}"#;
        assert_eq!(check_json(four.as_bytes(), ALL), Err(TooBig::Under { key: "spans", max: 3 }));
        assert_eq!(TooBig::Under { key: "spans", max: 3 }.to_string(), "spans: at most 3 per request");
    }

    #[test]
    fn text_that_is_not_json_is_left_to_the_real_parse() {
        assert_eq!(check_json(b"{\"events\": [", ALL), Ok(()));
        assert_eq!(check_json(b"nonsense", ALL), Ok(()));
    }
}
