//! JSON text handled in place: [`read`] finds members and items without building a tree,
//! [`write`] prints values exactly as JavaScript's `JSON.stringify` would.

pub mod read;
pub mod write;

use serde_json::value::RawValue;
use std::fmt;
use std::ops::Deref;

/// A JSON array or object kept as its text until something needs to look inside it.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The text, trimmed.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// A JSON tree written as text.
    pub fn from_value(value: &serde_json::Value) -> RawJson {
        // A `Value` always serialises: its keys are strings.
        RawJson(serde_json::value::to_raw_value(value).unwrap_or_default())
    }

    /// The text read back as a JSON tree.
    pub fn to_value(&self) -> serde_json::Value {
        read::tree(self.text()).unwrap_or_default()
    }

    /// Valid JSON text taken as it is; `None` when it is not JSON.
    pub fn from_text(text: String) -> Option<RawJson> {
        RawValue::from_string(text).ok().map(RawJson)
    }

    /// An object of members whose values are JSON text already, written as they are.
    pub fn object<'a>(
        members: impl IntoIterator<Item = (&'a str, &'a RawValue)>,
    ) -> Option<RawJson> {
        let mut text = String::from("{");
        for (key, value) in members {
            if text.len() > 1 {
                text.push(',');
            }
            write::write_str(key, &mut text);
            text.push(':');
            text.push_str(value.get());
        }
        text.push('}');
        RawJson::from_text(text)
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(raw: Box<RawValue>) -> Self {
        RawJson(raw)
    }
}

impl Deref for RawJson {
    type Target = RawValue;
    fn deref(&self) -> &RawValue {
        &self.0
    }
}

/// Written and read as the JSON it holds (not as a string).
impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for RawJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.text())
    }
}
