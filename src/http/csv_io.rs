//! The CSV the operator API reads and writes, through the `csv` crate (RFC 4180 quoting): the
//! employee-id override import and the tables it exports (a sync job's report), whose cells are
//! defused against spreadsheet formula injection.

/// One override: person code, employee id and an optional note.
pub type OverrideRow = (String, String, Option<String>);

/// Parse an override import: `person_code,employee_id[,note]` per record, separated by `,` or
/// (as spreadsheets in Spanish locales save) `;`, with quoting as RFC 4180 has it, so a note may
/// hold the separator. A header record and blank lines are skipped; an error names the line.
pub fn parse_overrides(body: &str) -> Result<Vec<OverrideRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter(body))
        .from_reader(body.as_bytes());
    let mut out = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("not CSV: {e}"))?;
        let line = record.position().map_or(index as u64 + 1, |p| p.line());
        if record.iter().all(str::is_empty) || (index == 0 && record.get(0).is_some_and(is_header))
        {
            continue;
        }
        let wrong = || {
            let got: Vec<&str> = record.iter().collect();
            format!(
                "line {line}: expected person_code,employee_id[,note] (quote a note that holds \
                 a separator), got {got:?}"
            )
        };
        let (code, emp) = match (record.get(0), record.get(1)) {
            (Some(code), Some(emp)) if !code.is_empty() && !emp.is_empty() => (code, emp),
            _ => return Err(wrong()),
        };
        // Spreadsheets save empty trailing columns; anything more is a separator left unquoted.
        if record.iter().skip(3).any(|extra| !extra.is_empty()) {
            return Err(wrong());
        }
        let note = record.get(2).filter(|n| !n.is_empty()).map(str::to_owned);
        out.push((code.to_owned(), emp.to_owned(), note));
    }
    Ok(out)
}

fn is_header(first_cell: &str) -> bool {
    first_cell
        .trim_start_matches('"')
        .to_ascii_lowercase()
        .starts_with("person_code")
}

/// `;` when the first line after any header has a `;` before any `,`; else `,`.
fn delimiter(body: &str) -> u8 {
    body.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !is_header(l))
        .and_then(|l| {
            l.find([',', ';'])
                .and_then(|i| l.as_bytes().get(i).copied())
        })
        .unwrap_or(b',')
}

/// A CSV document: `header`, then one record per row. Cells starting with `= + - @` are
/// prefixed with `'`, so a spreadsheet shows them instead of evaluating them.
pub fn table<R>(header: &[&str], rows: R) -> Result<String, String>
where
    R: IntoIterator,
    R::Item: IntoIterator,
    <R::Item as IntoIterator>::Item: AsRef<str>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(|e| e.to_string())?;
    for row in rows {
        let cells = row.into_iter().map(|c| defuse(c.as_ref()));
        writer.write_record(cells).map_err(|e| e.to_string())?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, emp: &str, note: Option<&str>) -> OverrideRow {
        (code.into(), emp.into(), note.map(Into::into))
    }

    #[test]
    fn overrides_parse_with_header_blank_lines_and_either_separator() {
        let rows = parse_overrides("person_code,employee_id,note\n1712345678, 43013830 ,moved\n\n")
            .unwrap();
        assert_eq!(rows, [row("1712345678", "43013830", Some("moved"))]);
        let rows =
            parse_overrides("PERSON_CODE;EMPLOYEE_ID\r\n0923456789;77\r\n0923;78;\r\n").unwrap();
        assert_eq!(
            rows,
            [row("0923456789", "77", None), row("0923", "78", None)]
        );
    }

    #[test]
    fn a_quoted_note_keeps_its_commas_and_quotes() {
        // As a spreadsheet saves it: quoted cells, an empty trailing column.
        let rows = parse_overrides(
            "person_code,employee_id,note,\n\
             1712345678,43013830,\"moved, then re-hired\",\n\
             0923456789,77,\"badge \"\"B\"\", lost\",\n",
        )
        .unwrap();
        assert_eq!(
            rows,
            [
                row("1712345678", "43013830", Some("moved, then re-hired")),
                row("0923456789", "77", Some("badge \"B\", lost")),
            ]
        );
    }

    #[test]
    fn a_wrong_record_is_refused_naming_its_line() {
        let err = parse_overrides("1712345678\n").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
        let err = parse_overrides("person_code,employee_id\n1,2\n3,4,moved, later\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = parse_overrides("1,2\n,5\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn tables_are_quoted_and_defused() {
        let csv = table(
            &["a", "b"],
            [["plain", "a,b"], ["say \"hi\"", "=cmd()"], ["", "-1"]],
        )
        .unwrap();
        assert_eq!(
            csv,
            "a,b\nplain,\"a,b\"\n\"say \"\"hi\"\"\",'=cmd()\n,'-1\n"
        );
    }
}
