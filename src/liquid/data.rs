//! What a template reads: the caller's data, seen through a small interface so that the
//! engine never needs the data converted to its own values up front.
//!
//! The engine asks only for what a template touches (`properties.price` reads one member of
//! one object) and converts that one value; objects and arrays stay where they are and are
//! read in place. Any JSON-like representation can implement [`Data`].

/// The kind of a data value, with the value itself for scalars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataKind<'a> {
    /// JavaScript's `undefined` (a member that is present but holds nothing).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, as JavaScript holds it (a double).
    Number(f64),
    /// A string.
    String(&'a str),
    /// An array: read with [`Data::item`] and [`Data::len`].
    Array,
    /// An object: read with [`Data::member`], [`Data::members`] and [`Data::len`].
    Object,
}

/// One value of the data a template renders against (an event, or a part of it).
pub trait Data {
    /// What this value is.
    fn kind(&self) -> DataKind<'_>;

    /// An object's own member `key` (`None` for a missing key, or when this is no object).
    fn member(&self, key: &str) -> Option<&dyn Data>;

    /// An array's item at `index` (`None` past the end, or when this is no array).
    fn item(&self, index: usize) -> Option<&dyn Data>;

    /// The number of items of an array or members of an object (0 for anything else).
    fn len(&self) -> usize;

    /// Whether [`Data::len`] is 0.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An object's members in JavaScript's property order (integer-like keys first, in
    /// numeric order, then the others as inserted); empty for anything else.
    fn members(&self) -> Vec<(&str, &dyn Data)>;
}
