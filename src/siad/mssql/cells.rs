//! Cell decoding: a tiberius row as named cells (names matched case-insensitively), text and
//! image bytes read from SQL Server types with errors naming the type, and the person and photo
//! of a row.

use crate::siad::model::{column, person_from_row};
use crate::siad::{SiadError, SiadPerson};
use tiberius::{ColumnData, Row};

/// A row as (column name, value) pairs, in result order.
pub(super) type Cells<'r> = [(&'r str, &'r ColumnData<'static>)];

pub(super) fn cells_of(row: &Row) -> Vec<(&str, &ColumnData<'static>)> {
    row.cells().map(|(c, data)| (c.name(), data)).collect()
}

/// The column `name` (case-insensitive, as SQL Server compares names).
pub(super) fn cell<'r>(cells: &Cells<'r>, name: &str) -> Option<&'r ColumnData<'static>> {
    cells
        .iter()
        .find(|(column, _)| column.eq_ignore_ascii_case(name))
        .map(|(_, data)| *data)
}

/// A cell read as text: strings as they are, integers, decimals and GUIDs in their usual
/// form; anything else is an error naming the SQL type.
pub fn text_from_cell(data: &ColumnData<'_>) -> Result<Option<String>, String> {
    Ok(match data {
        ColumnData::String(v) => v.as_ref().map(|s| s.to_string()),
        ColumnData::U8(v) => v.map(|n| n.to_string()),
        ColumnData::I16(v) => v.map(|n| n.to_string()),
        ColumnData::I32(v) => v.map(|n| n.to_string()),
        ColumnData::I64(v) => v.map(|n| n.to_string()),
        ColumnData::Numeric(v) => v.map(|n| n.to_string()),
        ColumnData::Guid(v) => v.map(|g| g.to_string()),
        other => {
            return Err(format!(
                "has SQL type {}; expected text (CAST it to VARCHAR in the query)",
                type_name(other)
            ))
        }
    })
}

/// A cell read as image bytes: binary (`varbinary`, `image`), NULL or empty → `None`.
pub fn bytes_from_cell(data: &ColumnData<'_>) -> Result<Option<Vec<u8>>, String> {
    match data {
        ColumnData::Binary(v) => Ok(v.as_ref().filter(|b| !b.is_empty()).map(|b| b.to_vec())),
        other => Err(format!(
            "has SQL type {}; expected binary image data (varbinary or image)",
            type_name(other)
        )),
    }
}

pub(super) fn type_name(data: &ColumnData<'_>) -> &'static str {
    match data {
        ColumnData::U8(_) => "tinyint",
        ColumnData::I16(_) => "smallint",
        ColumnData::I32(_) => "int",
        ColumnData::I64(_) => "bigint",
        ColumnData::F32(_) | ColumnData::F64(_) => "float",
        ColumnData::Bit(_) => "bit",
        ColumnData::String(_) => "text",
        ColumnData::Guid(_) => "uniqueidentifier",
        ColumnData::Binary(_) => "binary",
        ColumnData::Numeric(_) => "decimal",
        ColumnData::Xml(_) => "xml",
        _ => "date/time",
    }
}

/// One person from a SQL Server row (see [`person_from_row`] for the rules).
pub(super) fn person_from_cells(cells: &Cells<'_>) -> Result<SiadPerson, SiadError> {
    person_from_row(|name| match cell(cells, name) {
        Some(data) => text_from_cell(data),
        None => Err("not in the result set".to_owned()),
    })
}

/// The photo column: `Fotografia`, or the only column when the query aliased it differently.
pub(super) fn photo_from_cells(cells: &Cells<'_>) -> Result<Option<Vec<u8>>, SiadError> {
    let data = cell(cells, column::PHOTO).or(match cells {
        [(_, only)] => Some(*only),
        _ => None,
    });
    let data = data.ok_or_else(|| {
        SiadError::Mapping(format!(
            "column {} is not in the result of siad.query_photo_by_ci",
            column::PHOTO
        ))
    })?;
    bytes_from_cell(data).map_err(|e| SiadError::Mapping(format!("column {}: {e}", column::PHOTO)))
}
