//! An event's JSON as it arrived: a pushed event keeps its text exactly (it is stored as is,
//! never re-serialised) and is read into a JSON value only when a field the parse did not lift
//! is asked for; a polled record keeps the value it was read as.

use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The event's JSON (see the module's documentation).
#[derive(Clone)]
pub struct RawEvent {
    /// The text of a pushed event, as it arrived.
    text: Option<Box<str>>,
    /// The value: set at once for a polled record, on first use for a pushed one.
    value: OnceLock<Value>,
}

impl RawEvent {
    /// A polled record (or any event read as a value): stored as its serialisation.
    pub fn from_value(value: Value) -> Self {
        Self {
            text: None,
            value: OnceLock::from(value),
        }
    }

    /// A pushed event's text, read into a value only when asked for.
    pub(super) fn from_text(text: &RawValue) -> Self {
        Self {
            text: Some(text.get().into()),
            value: OnceLock::new(),
        }
    }

    /// Keep `text`, the pushed text this event's value was read from ([`value_of`]).
    pub(super) fn set_text(&mut self, text: &RawValue) {
        self.text = Some(text.get().into());
    }

    /// The event as a JSON value.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            self.text
                .as_deref()
                .and_then(|t| serde_json::from_str::<&RawValue>(t).ok())
                .map_or(Value::Null, value_of)
        })
    }

    /// The pushed text as it arrived; `None` for a record read as a value.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// What the inbox stores: the pushed text as is, else the value's serialisation.
    pub fn stored(&self) -> Cow<'_, str> {
        match &self.text {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(self.value().to_string()),
        }
    }
}

impl PartialEq for RawEvent {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.value() == other.value()
    }
}

impl std::fmt::Debug for RawEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

/// One event's text as a JSON value; a numeric `eventId` keeps the exact digits it arrived as.
pub(super) fn value_of(raw: &RawValue) -> Value {
    let mut value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
    super::notify::keep_exact_numeric_id(raw, &mut value);
    value
}
