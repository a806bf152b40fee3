//! The sentences people read, in Spanish and English: the answers the SIAD frontend shows its
//! staff (`msg`, `details.msg`, `reason`), the bulk jobs' CSV reasons and the `/biometrico`
//! error messages. The dashboard's own texts are in `assets/dashboard/i18n.js`.
//!
//! - [`Message`] (message.rs) is the catalogue: one variant per sentence, with its parameters
//!   as typed data. Code below the HTTP layer returns messages, never finished text.
//! - es.rs and en.rs render a message, each with one exhaustive `match`: a message without a
//!   Spanish or an English text does not compile.
//! - accept.rs picks the language of a request: `Accept-Language` (with q-values) among the
//!   languages offered, else `ui.language`.
//!
//! Codes, logs and the API's field names are not translated; text that an upstream wrote
//! (HikCentral's `msg`, a driver's error) is quoted inside a sentence as it arrived. Logs use
//! English ([`Message::english`]).

mod accept;
mod en;
mod es;
mod message;

pub use accept::negotiate;
pub use message::Message;

use serde::{Deserialize, Serialize};

/// A language the service speaks (`ui.language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Spanish (neutral Latin-American, `usted`), the default.
    Es,
    /// English.
    En,
}

impl Language {
    /// Every language offered, the default first.
    pub const ALL: [Language; 2] = [Language::Es, Language::En];

    /// The BCP 47 tag: `es` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Es => "es",
            Language::En => "en",
        }
    }

    /// The language of a BCP 47 tag by its primary subtag (`es-EC` → Spanish), ignoring case.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split('-').next().unwrap_or_default();
        Language::ALL
            .into_iter()
            .find(|l| primary.eq_ignore_ascii_case(l.as_str()))
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Message {
    /// The sentence in `lang`.
    pub fn render(&self, lang: Language) -> String {
        match lang {
            Language::Es => es::render(self),
            Language::En => en::render(self),
        }
    }

    /// The English sentence, for logs and the ledger (the service's own records).
    pub fn english(&self) -> String {
        self.render(Language::En)
    }
}

#[cfg(test)]
mod tests;
