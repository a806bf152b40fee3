//! The language of a request: `Accept-Language` (RFC 9110 §12.5.4) among the languages the
//! service offers, else the configured default.
//!
//! Each list member is a language range with an optional weight (`es-EC;q=0.8`); the best
//! weighted range that names an offered language wins, ties going to the one listed first.
//! A range matches by its primary subtag (`es-EC`, `es-419` → Spanish). `*` means any language:
//! the default, unless the header refused it with `q=0`. A range with `q=0` refuses its
//! language. A member that does not parse (a bad weight, a bad range) is skipped, not the whole
//! header; nothing acceptable (or no header) → the default. At most [`MAX_RANGES`] members are
//! read.

use super::Language;

/// List members read at most (the header's size is bounded by the server anyway).
const MAX_RANGES: usize = 32;

/// The language to answer in, from the `Accept-Language` header values (several header lines
/// count as one list) and the configured default.
pub fn negotiate<'a>(headers: impl IntoIterator<Item = &'a str>, default: Language) -> Language {
    let ranges: Vec<(Range, u16)> = headers
        .into_iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .take(MAX_RANGES)
        .filter_map(parse_member)
        .collect();
    let refused = |l: Language| {
        ranges
            .iter()
            .any(|(r, q)| *q == 0 && *r == Range::Language(l))
    };
    let mut best: Option<(Language, u16)> = None;
    for (range, q) in &ranges {
        if *q == 0 {
            continue;
        }
        let language = match range {
            Range::Language(l) => Some(*l),
            Range::Any => Language::ALL
                .into_iter()
                .filter(|l| !refused(*l))
                .min_by_key(|l| *l != default),
            Range::Other => None,
        };
        if let Some(l) = language {
            if best.is_none_or(|(_, bq)| *q > bq) {
                best = Some((l, *q));
            }
        }
    }
    best.map_or(default, |(l, _)| l)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    /// A range naming an offered language.
    Language(Language),
    /// `*`.
    Any,
    /// A well-formed range of a language not offered.
    Other,
}

/// One list member: (range, weight in thousandths); `None` when it does not parse.
fn parse_member(member: &str) -> Option<(Range, u16)> {
    let mut parts = member.split(';');
    let range = parse_range(parts.next()?.trim())?;
    let mut q = 1000;
    for param in parts {
        let (name, value) = param.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_qvalue(value.trim())?;
        }
    }
    Some((range, q))
}

/// `language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"`.
fn parse_range(text: &str) -> Option<Range> {
    if text == "*" {
        return Some(Range::Any);
    }
    let mut subtags = text.split('-');
    let primary = subtags.next()?;
    let primary_ok =
        (1..=8).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok {
        return None;
    }
    Some(Language::from_tag(primary).map_or(Range::Other, Range::Language))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{En, Es};

    fn pick(header: &str, default: Language) -> Language {
        negotiate([header], default)
    }

    #[test]
    fn no_header_or_nothing_offered_gives_the_default() {
        assert_eq!(negotiate([], Es), Es);
        assert_eq!(negotiate([], En), En);
        assert_eq!(pick("", En), En);
        assert_eq!(pick("fr-CA, de;q=0.9", Es), Es);
        assert_eq!(pick("fr-CA, de;q=0.9", En), En);
    }

    #[test]
    fn a_range_matches_by_its_primary_subtag_in_any_case() {
        assert_eq!(pick("en", Es), En);
        assert_eq!(pick("EN-us", Es), En);
        assert_eq!(pick("es-EC", En), Es);
        assert_eq!(pick("es-419", En), Es);
        assert_eq!(pick("fr, en-GB;q=0.5", Es), En);
    }

    #[test]
    fn the_highest_weight_wins_whatever_the_order_and_ties_go_to_the_first() {
        assert_eq!(pick("es;q=0.4, en;q=0.9", Es), En);
        assert_eq!(pick("en;q=0.4, es", En), Es);
        assert_eq!(pick("en;q=0.5, es;q=0.5", Es), En);
        assert_eq!(pick("es;q=0.5, en;q=0.5", En), Es);
        assert_eq!(pick("en-US,en;q=0.9,es;q=0.8", Es), En);
        assert_eq!(pick("es-EC,es;q=0.9,en-US;q=0.8,en;q=0.7", En), Es);
        // Browsers' three-decimal weights.
        assert_eq!(pick("es;q=0.899, en;q=0.9", Es), En);
    }

    #[test]
    fn q_zero_refuses_a_language_and_star_means_the_default_unless_refused() {
        assert_eq!(pick("en;q=0", En), En, "nothing acceptable: the default");
        assert_eq!(pick("en;q=0, es", En), Es);
        assert_eq!(pick("*", En), En);
        assert_eq!(pick("*", Es), Es);
        assert_eq!(pick("es;q=0, *", Es), En);
        assert_eq!(pick("fr, *;q=0.1", En), En);
        assert_eq!(pick("*;q=0.5, es;q=0.9", En), Es);
    }

    #[test]
    fn a_malformed_member_is_skipped_not_the_header() {
        for header in [
            "es;q=2, en",
            "es;q=1.5, en",
            "es;q=0.1234, en",
            "es;q=abc, en",
            "es;q=, en",
            "es;q, en",
            "e$s, en",
            "espanolisimo, en",
            "es-, en",
            "es--EC, en",
            "es;q=-1, en",
            ";q=1, en",
        ] {
            assert_eq!(pick(header, Es), En, "{header}");
        }
        assert_eq!(pick(",,, en ,", Es), En);
        assert_eq!(
            pick("en ; q = 0.5 , es ; q=0.4", Es),
            En,
            "spaces around parameters"
        );
        assert_eq!(pick("en;q=1.000", Es), En);
        assert_eq!(
            pick("en;Q=0.7, es;q=0.6", Es),
            En,
            "the parameter name in any case"
        );
    }

    #[test]
    fn several_header_lines_are_one_list_and_only_the_first_members_count() {
        assert_eq!(negotiate(["fr", "en;q=0.3"], Es), En);
        let long = format!("{}, en", vec!["fr"; MAX_RANGES].join(", "));
        assert_eq!(
            pick(&long, Es),
            Es,
            "members past {MAX_RANGES} are not read"
        );
    }

    #[test]
    fn qvalues_parse_to_thousandths() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1."), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.005"), Some(5));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue(".5"), None);
        assert_eq!(parse_qvalue("00.5"), None);
    }
}
