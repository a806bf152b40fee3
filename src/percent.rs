//! Percent-encoding (RFC 3986) for the URLs built or read by hand: database paths, database
//! names and single path segments. Built on the `percent-encoding` crate; query strings and
//! whole URLs go through the `url` crate instead.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// As [`SEGMENT`], but `/` stays: a path of several segments.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

/// `s` as one URL path segment: a `/` (or anything but an unreserved character) is escaped.
pub fn path_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// `s` as a URL path: as [`path_segment`], but `/` separates segments and stays.
pub fn path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

/// `%XX` escapes decoded; `None` when an escape is malformed (a `%` not followed by two hex
/// digits) or the result is not UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let well_formed = s.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|d| d.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_segments_and_paths() {
        assert_eq!(path_segment("43013830"), "43013830");
        assert_eq!(path_segment("a b/c?d#é~"), "a%20b%2Fc%3Fd%23%C3%A9~");
        assert_eq!(path("/tmp/a b/h#b?.db"), "/tmp/a%20b/h%23b%3F.db");
    }

    #[test]
    fn decodes_strictly() {
        assert_eq!(decode("SIAD%20Prod").as_deref(), Some("SIAD Prod"));
        assert_eq!(decode("P%C3%A9rez").as_deref(), Some("Pérez"));
        assert_eq!(decode("plain").as_deref(), Some("plain"));
        for bad in ["bad%zz", "end%2", "end%", "%FF", "%é1"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
