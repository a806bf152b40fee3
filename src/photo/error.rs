//! Why a photo was refused ([`PhotoError`]), with the stable code the ledger, metrics and job
//! reports use.

/// Why a photo was refused. The `Display` text is meant for the operator and the SIAD frontend
/// (it travels with the contract's photo code `128`): it says what is wrong and what is needed.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// No bytes at all.
    #[error("photo is empty; send a JPEG, PNG or BMP file")]
    Empty,
    /// More bytes than `max_input_bytes`.
    #[error("photo is {bytes} bytes; at most {max} bytes are accepted")]
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The configured `max_input_bytes`.
        max: usize,
    },
    /// Not JPEG, PNG or BMP, judged by the magic numbers.
    #[error("photo format is {detected}; only JPEG, PNG and BMP are accepted")]
    UnsupportedFormat {
        /// What the bytes look like: `"gif"`, `"webp"`, `"tiff"`, `"heic"`, `"avif"`, `"pdf"`,
        /// `"unknown"`, …
        detected: String,
    },
    /// The header or the pixel data is corrupt or truncated.
    #[error("photo cannot be decoded ({reason}); send a complete JPEG, PNG or BMP file")]
    Undecodable {
        /// What the decoder reported.
        reason: String,
    },
    /// Smaller than `min_width` × `min_height` once upright.
    #[error("photo is {width}×{height} px; at least {min_width}×{min_height} is needed")]
    TooSmall {
        /// Upright width.
        width: u32,
        /// Upright height.
        height: u32,
        /// The configured `min_width`.
        min_width: u32,
        /// The configured `min_height`.
        min_height: u32,
    },
    /// Wider or taller than `max_dimension` (refused on the header, before decoding).
    #[error("photo is {width}×{height} px; at most {max} px per side is accepted")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The configured `max_dimension`.
        max: u32,
    },
    /// Even at the minimum size and the lowest quality the JPEG exceeds `max_output_bytes`.
    #[error(
        "photo cannot be compressed under {max} bytes without going below the minimum size; \
         send a simpler or smaller photo"
    )]
    CannotFitBudget {
        /// The configured `max_output_bytes`.
        max: usize,
    },
}

impl PhotoError {
    /// Stable snake_case code for logs, metrics, the ledger and job reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedFormat { .. } => "unsupported_format",
            Self::Undecodable { .. } => "undecodable",
            Self::TooSmall { .. } => "too_small",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::CannotFitBudget { .. } => "cannot_fit_budget",
        }
    }
}
