//! A `acs/v1/door/events` request validated with HikCentral's limits (the spec's only time
//! format, at most 31 days, `eventType` or `eventTypes`, at most 10 doors, `SwipeTime` order)
//! and run against the event log.

use super::super::persons::Persons;
use super::super::wire::{as_i64, as_string, code, ApiError, Params};
use super::{door_record, happen_time, EventLog, MAX_DOORS};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;

/// Longest `endTime - startTime` a door-event query may span.
const MAX_SPAN_DAYS: i64 = 31;

/// A validated `acs/v1/door/events` request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DoorQuery {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// `eventType`, or the types of `eventTypes` (empty: any type).
    pub event_types: Vec<i64>,
    pub person_name: Option<String>,
    pub doors: Vec<String>,
    pub page_no: u64,
    pub page_size: u64,
    pub descending: bool,
}

/// The spec's only format: "yyyy-MM-ddTHH:mm:ss+current zone" (2018-07-26T15:00:00+08:00) —
/// whole seconds and a ±hh:mm offset. A fraction or a bare `Z` is refused, as real servers do.
pub(super) fn required_time(p: &Params, key: &str) -> Result<DateTime<FixedOffset>, ApiError> {
    let s = p.req_str(key, code::MISSING)?;
    let shaped = s.len() == 25
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 | 22 => c == ':',
            19 => c == '+' || c == '-',
            _ => c.is_ascii_digit(),
        });
    let parsed = DateTime::parse_from_rfc3339(&s).ok().filter(|_| shaped);
    parsed.ok_or_else(|| {
        ApiError::new(
            code::BAD_FORMAT,
            format!(
                "{key} {s:?} is not yyyy-MM-ddTHH:mm:ss+hh:mm (e.g. 2018-07-26T15:00:00+08:00)"
            ),
        )
    })
}

impl DoorQuery {
    pub fn parse(p: &Params) -> Result<Self, ApiError> {
        let start = required_time(p, "startTime")?;
        let end = required_time(p, "endTime")?;
        let span = end.signed_duration_since(start);
        if span < chrono::Duration::zero() || span > chrono::Duration::days(MAX_SPAN_DAYS) {
            return Err(ApiError::new(
                code::OUT_OF_RANGE,
                format!("endTime must be after startTime and at most {MAX_SPAN_DAYS} days later"),
            ));
        }
        let event_type = p.opt_int("eventType")?;
        let listed = p.opt_str("eventTypes")?;
        let person_name = p.opt_str("personName")?;
        let event_types = match (event_type, listed) {
            (Some(_), Some(_)) => {
                return Err(ApiError::new(
                    code::BAD_FORMAT,
                    "eventType and eventTypes are mutually exclusive",
                ))
            }
            (Some(t), None) => vec![t],
            (None, Some(csv)) => csv
                .split(',')
                .map(|t| {
                    t.trim().parse::<i64>().map_err(|_| {
                        ApiError::new(
                            code::BAD_FORMAT,
                            format!("eventTypes {csv:?} is not a comma-separated list of codes"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            (None, None) => Vec::new(),
        };
        if event_types.is_empty() && person_name.is_none() {
            return Err(ApiError::new(
                code::MISSING,
                "eventType, eventTypes or personName is required",
            ));
        }
        let doors = match p.get("doorIndexCodes") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|d| {
                    as_string(d).ok_or_else(|| {
                        ApiError::new(code::BAD_FORMAT, "doorIndexCodes must be strings")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(ApiError::new(
                    code::BAD_FORMAT,
                    "doorIndexCodes must be a list",
                ))
            }
        };
        if doors.len() > MAX_DOORS {
            return Err(ApiError::new(
                code::OUT_OF_RANGE,
                format!(
                    "at most {MAX_DOORS} doorIndexCodes per call, got {}",
                    doors.len()
                ),
            ));
        }
        if let Some(field) = p.opt_str("sortField")? {
            if field != "SwipeTime" {
                return Err(ApiError::new(
                    code::BAD_FORMAT,
                    "sortField must be SwipeTime",
                ));
            }
        }
        let descending = match p.opt_int("orderType")? {
            None | Some(0) => false,
            Some(1) => true,
            Some(n) => {
                return Err(ApiError::new(
                    code::OUT_OF_RANGE,
                    format!("orderType must be 0 (ascending) or 1 (descending), got {n}"),
                ))
            }
        };
        let (page_no, page_size) = p.page()?;
        Ok(Self {
            start,
            end,
            event_types,
            person_name: person_name.map(|n| n.to_lowercase()),
            doors,
            page_no,
            page_size,
            descending,
        })
    }

    /// The matching records, sorted by event time (stable for equal times).
    pub fn run(&self, log: &EventLog, persons: &Persons) -> Vec<Value> {
        let mut hits: Vec<(DateTime<FixedOffset>, Value)> = log
            .0
            .iter()
            .filter_map(|ev| Some((happen_time(ev)?, ev)))
            .filter(|(t, _)| *t >= self.start && *t <= self.end)
            .filter(|(_, ev)| {
                self.event_types.is_empty()
                    || ev
                        .get("eventType")
                        .and_then(as_i64)
                        .is_some_and(|t| self.event_types.contains(&t))
            })
            .filter(|(_, ev)| {
                self.doors.is_empty()
                    || ev
                        .get("srcIndex")
                        .and_then(as_string)
                        .is_some_and(|door| self.doors.contains(&door))
            })
            .map(|(t, ev)| (t, door_record(ev, persons)))
            .filter(|(_, rec)| {
                self.person_name.as_deref().is_none_or(|n| {
                    rec["personName"]
                        .as_str()
                        .is_some_and(|name| name.to_lowercase().contains(n))
                })
            })
            .collect();
        if self.descending {
            hits.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        } else {
            hits.sort_by_key(|(t, _)| *t);
        }
        hits.into_iter().map(|(_, rec)| rec).collect()
    }
}
