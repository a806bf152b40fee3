//! States kept as lowercase words in text columns, typed in Rust.
//!
//! [`stored_words!`] declares such an enum once: the word of each variant is written next to it,
//! and the enum gets `as_str`, `ALL`, `FromStr` (an unknown word is an error naming the known
//! ones, never a default), `Display`, serde and an OpenAPI schema that use the same words, and
//! `== "word"` comparisons. [`decoded_from_word!`] lets rows decode them like any column (an
//! unknown word is a decode error naming the column and the word). Each word must be
//! its variant's name in snake_case; every enum's tests check that its JSON is its word.

/// Declare a state enum whose variants are stored as the given words; see the module docs.
macro_rules! stored_words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, unknown: $error:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        // The words must be the variants in snake_case: serde and the OpenAPI schema derive
        // them that way (utoipa does not read a `rename` passed in through a macro).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every state, in the order operators read them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word stored in the database and shown by the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word, )+
                }
            }

            /// Every word, comma-separated (for error messages).
            pub fn words() -> String {
                Self::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// The word is not one of the known states.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("unknown {} {:?}: use one of {}", stringify!($name), .0, $name::words())]
        pub struct $error(pub String);

        impl std::str::FromStr for $name {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $word => Ok($name::$variant), )+
                    _ => Err($error(s.to_owned())),
                }
            }
        }

        $crate::store::words::decoded_from_word!($name);

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

/// `sqlx` decoding (through the `Any` driver) of a type stored as a word: the text column is
/// read and parsed with the type's `FromStr`, whose error (naming the word and the known ones)
/// becomes the decode error sqlx reports with the column's name.
macro_rules! decoded_from_word {
    ($name:ty) => {
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let word = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(word.parse::<$name>()?)
            }
        }
    };
}

pub(crate) use decoded_from_word;
pub(crate) use stored_words;

decoded_from_word!(crate::attendance::Direction);
