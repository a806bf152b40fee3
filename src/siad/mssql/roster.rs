//! Rows of the roster queries that do not return persons: the current period ids (one text
//! column) and the photo versions (`CIInfPer` and a version that may be text, binary, a number
//! or a date/time).

use super::cells::{text_from_cell, type_name, Cells};
use crate::siad::model::column;
use crate::siad::SiadError;
use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use tiberius::ColumnData;

/// The period id of a `siad.query_current_periods` row: its first column, as text, trimmed;
/// `None` for NULL or blank.
pub(super) fn period_from_cells(cells: &Cells<'_>) -> Result<Option<String>, SiadError> {
    let (name, data) = cells.first().ok_or_else(|| {
        SiadError::Mapping("siad.query_current_periods returned a row without columns".to_owned())
    })?;
    let text = text_from_cell(data).map_err(|e| {
        SiadError::Mapping(format!("column {name} of siad.query_current_periods {e}"))
    })?;
    Ok(text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// `(CI, version)` of a `siad.query_photo_versions` row. The CI is the `CIInfPer` column (or
/// the first one), the version the first other column. `None` when either is NULL or blank: a
/// NULL photo hashes to NULL and is no photo.
pub(super) fn version_from_cells(cells: &Cells<'_>) -> Result<Option<(String, String)>, SiadError> {
    let ci_at = cells
        .iter()
        .position(|(name, _)| name.eq_ignore_ascii_case(column::CI))
        .unwrap_or(0);
    let (Some((ci_name, ci)), Some((version_name, version))) = (
        cells.get(ci_at),
        cells
            .iter()
            .enumerate()
            .find(|(i, _)| *i != ci_at)
            .map(|(_, c)| c),
    ) else {
        return Err(SiadError::Mapping(format!(
            "siad.query_photo_versions must return two columns, {} and a version of the photo",
            column::CI
        )));
    };
    let ci = cell_text(ci_name, text_from_cell(ci))?;
    let version = cell_text(version_name, version_text(version))?;
    Ok(ci.zip(version))
}

fn cell_text(
    name: &str,
    text: Result<Option<String>, String>,
) -> Result<Option<String>, SiadError> {
    let text = text.map_err(|e| {
        SiadError::Mapping(format!("column {name} of siad.query_photo_versions {e}"))
    })?;
    Ok(text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// A photo version read as text, whatever its SQL type: text as it is, binary (a `HASHBYTES`
/// result, a `rowversion`) as lowercase hex, numbers in their usual form, dates and times as
/// ISO 8601 (`DATETIMEOFFSET` in UTC with a `Z`). Only XML is refused.
pub fn version_text(data: &ColumnData<'_>) -> Result<Option<String>, String> {
    Ok(match data {
        ColumnData::Binary(v) => v.as_ref().filter(|b| !b.is_empty()).map(hex::encode),
        ColumnData::F32(v) => v.map(|n| n.to_string()),
        ColumnData::F64(v) => v.map(|n| n.to_string()),
        ColumnData::Bit(v) => v.map(|b| u8::from(b).to_string()),
        ColumnData::DateTime(v) => v.map(|d| {
            // Days since 1900-01-01 and 1/300 s since midnight.
            let nanos = u64::from(d.seconds_fragments()) * 10_000_000 / 3;
            datetime(shift(base(1900), i64::from(d.days())), nanos)
                .unwrap_or_else(|| format!("datetime {} {}", d.days(), d.seconds_fragments()))
        }),
        ColumnData::SmallDateTime(v) => v.map(|d| {
            // Days since 1900-01-01 and minutes since midnight.
            let nanos = u64::from(d.seconds_fragments()) * 60 * 1_000_000_000;
            datetime(shift(base(1900), i64::from(d.days())), nanos)
                .unwrap_or_else(|| format!("smalldatetime {} {}", d.days(), d.seconds_fragments()))
        }),
        ColumnData::Date(v) => v.map(|d| {
            shift(base(1), i64::from(d.days()))
                .map_or_else(|| format!("date {}", d.days()), |d| d.to_string())
        }),
        ColumnData::Time(v) => v.map(|t| {
            time(t.increments(), t.scale()).map_or_else(
                || format!("time {} {}", t.increments(), t.scale()),
                |t| t.to_string(),
            )
        }),
        ColumnData::DateTime2(v) => v.map(|d| datetime2(d, "")),
        ColumnData::DateTimeOffset(v) => v.map(|d| datetime2(d.datetime2(), "Z")),
        ColumnData::Xml(_) => {
            return Err(format!(
                "has SQL type {}; expected text, binary, a number or a date",
                type_name(data)
            ))
        }
        other => return text_from_cell(other),
    })
}

fn base(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1)
}

/// `from` plus `days` (negative: before), `None` out of chrono's range.
fn shift(from: Option<NaiveDate>, days: i64) -> Option<NaiveDate> {
    let from = from?;
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 {
        from.checked_add_days(magnitude)
    } else {
        from.checked_sub_days(magnitude)
    }
}

/// A time of day from `nanos` since midnight; `None` past the day.
fn time_of_day(nanos: u64) -> Option<NaiveTime> {
    let secs = u32::try_from(nanos / 1_000_000_000).ok()?;
    let frac = u32::try_from(nanos % 1_000_000_000).ok()?;
    NaiveTime::from_num_seconds_from_midnight_opt(secs, frac)
}

/// A `TIME(scale)`: `increments` units of 10^-scale s since midnight.
fn time(increments: u64, scale: u8) -> Option<NaiveTime> {
    let unit = 10_u64.checked_pow(9_u32.checked_sub(u32::from(scale))?)?;
    time_of_day(increments.checked_mul(unit)?)
}

fn datetime(date: Option<NaiveDate>, nanos: u64) -> Option<String> {
    let at = NaiveDateTime::new(date?, time_of_day(nanos)?);
    Some(at.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

fn datetime2(d: tiberius::time::DateTime2, zone: &str) -> String {
    let (date, t) = (d.date(), d.time());
    shift(base(1), i64::from(date.days()))
        .zip(time(t.increments(), t.scale()))
        .map(|(date, t)| {
            let at = NaiveDateTime::new(date, t);
            format!("{}{zone}", at.format("%Y-%m-%dT%H:%M:%S%.f"))
        })
        .unwrap_or_else(|| {
            format!(
                "datetime2 {} {} {}{zone}",
                date.days(),
                t.increments(),
                t.scale()
            )
        })
}
