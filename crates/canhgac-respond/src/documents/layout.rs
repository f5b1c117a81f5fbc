//! The Decree 30/2020 frame shared by every report, and the field lines the forms are made of.

use super::ooxml::{paragraph, table, Align, Para, Run, TEXT_WIDTH};
use super::DocumentFrame;

/// Quốc hiệu, the national title.
pub(crate) const NATIONAL_TITLE: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
/// Tiêu ngữ, the motto.
pub(crate) const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

const CHECKED: &str = "☒";
const UNCHECKED: &str = "☐";

/// Width of the left header column (issuing body, number).
const HEADER_LEFT: u32 = 3685;

/// A document body under construction.
#[derive(Default)]
pub(crate) struct Body {
    xml: String,
}

impl Body {
    pub(crate) fn push(&mut self, xml: &str) {
        self.xml.push_str(xml);
    }

    pub(crate) fn into_xml(self) -> String {
        self.xml
    }

    /// The header table: issuing body and number on the left; national title, motto and the
    /// place-and-date line on the right, the number and date on one line.
    pub(crate) fn header(&mut self, frame: &DocumentFrame) {
        let mut left = Vec::new();
        if let Some(parent) = frame.letterhead.parent_body.as_deref() {
            if !parent.trim().is_empty() {
                left.push(paragraph(
                    Para::centered(),
                    &[Run::new(upper(parent)).points(13.0)],
                ));
            }
        }
        left.push(paragraph(
            Para::centered(),
            &[Run::new(upper(&frame.letterhead.issuing_body))
                .bold()
                .points(13.0)],
        ));
        // The short rule under the body's name: a top border between wide indents.
        left.push(paragraph(
            Para {
                rule_above: true,
                indent_left: 1150,
                indent_right: 1150,
                ..Para::centered()
            },
            &[],
        ));
        let right = vec![
            paragraph(
                Para::centered(),
                &[Run::new(NATIONAL_TITLE).bold().points(13.0)],
            ),
            paragraph(
                Para::centered(),
                &[Run::new(MOTTO).bold().underline().points(14.0)],
            ),
        ];
        let number = vec![paragraph(
            Para {
                before: 120,
                ..Para::centered()
            },
            &[Run::new(frame.number.line()).points(13.0)],
        )];
        let date = vec![paragraph(
            Para {
                before: 120,
                ..Para::centered()
            },
            &[Run::new(frame.place_and_date()).italic().points(14.0)],
        )];
        self.push(&table(
            &[HEADER_LEFT, TEXT_WIDTH - HEADER_LEFT],
            false,
            &[vec![left, right], vec![number, date]],
        ));
    }

    /// The title in capitals and bold, the optional legal-basis line, and "Kính gửi:".
    pub(crate) fn title(&mut self, frame: &DocumentFrame, lines: &[&str]) {
        for (index, line) in lines.iter().enumerate() {
            self.push(&paragraph(
                Para {
                    before: if index == 0 { 360 } else { 0 },
                    keep_with_next: true,
                    ..Para::centered()
                },
                &[Run::new(*line).bold().points(14.0)],
            ));
        }
        if let Some(basis) = frame.legal_basis.as_deref() {
            self.push(&paragraph(
                Para::centered(),
                &[Run::new(format!("({basis})")).italic().points(13.0)],
            ));
        }
        let recipients: Vec<&str> = frame
            .recipients
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .collect();
        match recipients.as_slice() {
            [] => {}
            [only] => self.push(&paragraph(
                Para {
                    before: 240,
                    after: 240,
                    ..Para::centered()
                },
                &[Run::new("Kính gửi: "), Run::new(*only)],
            )),
            many => {
                self.push(&paragraph(
                    Para {
                        before: 240,
                        indent_left: 1701,
                        ..Para::default()
                    },
                    &[Run::new("Kính gửi:")],
                ));
                for (index, recipient) in many.iter().enumerate() {
                    let end = if index + 1 == many.len() { "." } else { ";" };
                    self.push(&paragraph(
                        Para {
                            indent_left: 2835,
                            after: if index + 1 == many.len() { 240 } else { 0 },
                            ..Para::default()
                        },
                        &[Run::new(format!("- {recipient}{end}"))],
                    ));
                }
            }
        }
    }

    /// A section heading: "A. THÔNG TIN ...".
    pub(crate) fn section(&mut self, heading: &str) {
        self.push(&paragraph(
            Para {
                before: 120,
                keep_with_next: true,
                ..Para::body()
            },
            &[Run::new(heading).bold()],
        ));
    }

    /// A labelled field: "1. Label: value". The label is kept verbatim from the form.
    pub(crate) fn field(&mut self, label: &str, value: &str) {
        let value = value.trim();
        self.push(&paragraph(
            Para::body(),
            &[Run::new(format!("{label}: ")), Run::new(value)],
        ));
    }

    /// A free paragraph of body text.
    pub(crate) fn text(&mut self, text: &str) {
        self.push(&paragraph(Para::body(), &[Run::new(text.trim())]));
    }

    /// A label with its boxes on the same paragraph: "19. HIỆN TRẠNG: ☒ Đã ... ☐ Chưa ...".
    pub(crate) fn choices(&mut self, label: &str, boxes: &[(bool, String)]) {
        let mut runs = vec![Run::new(format!("{label}:"))];
        for (index, (checked, text)) in boxes.iter().enumerate() {
            let sep = if index == 0 { " " } else { "    " };
            runs.push(Run::new(format!(
                "{sep}{} {text}",
                if *checked { CHECKED } else { UNCHECKED }
            )));
        }
        self.push(&paragraph(Para::body(), &runs));
    }

    /// A label, then one box per line (long options).
    pub(crate) fn choice_list(&mut self, label: &str, boxes: &[(bool, String)]) {
        self.push(&paragraph(
            Para {
                keep_with_next: true,
                ..Para::body()
            },
            &[Run::new(format!("{label}:"))],
        ));
        for (checked, text) in boxes {
            self.push(&paragraph(
                Para {
                    indent_left: 567,
                    after: 60,
                    ..Para::body()
                },
                &[Run::new(format!(
                    "{} {text}",
                    if *checked { CHECKED } else { UNCHECKED }
                ))],
            ));
        }
    }

    /// "Nơi nhận:" on the left (12 pt bold italic, the list 11 pt) and the signature block on the
    /// right: prefix and position in capitals, the form's signing note, room to sign, the name.
    pub(crate) fn signature(&mut self, frame: &DocumentFrame, note: &str) {
        let mut left = vec![paragraph(
            Para {
                before: 240,
                ..Para::default()
            },
            &[Run::new("Nơi nhận:").bold().italic().points(12.0)],
        )];
        let items: Vec<&str> = frame
            .distribution
            .iter()
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .collect();
        for (index, item) in items.iter().enumerate() {
            let end = if index + 1 == items.len() { "." } else { ";" };
            let item = item.trim_end_matches([';', '.']);
            left.push(paragraph(
                Para::default(),
                &[Run::new(format!("- {item}{end}")).points(11.0)],
            ));
        }
        let mut right = Vec::new();
        let mut first = true;
        let mut next_para = || {
            let para = Para {
                before: if first { 240 } else { 0 },
                ..Para::centered()
            };
            first = false;
            para
        };
        if let Some(prefix) = frame.signer.prefix.as_deref() {
            if !prefix.trim().is_empty() {
                right.push(paragraph(
                    next_para(),
                    &[Run::new(upper(prefix)).bold().points(13.0)],
                ));
            }
        }
        right.push(paragraph(
            next_para(),
            &[Run::new(upper(&frame.signer.position)).bold().points(13.0)],
        ));
        right.push(paragraph(
            Para::centered(),
            &[Run::new(note).italic().points(13.0)],
        ));
        for _ in 0..4 {
            right.push(paragraph(Para::centered(), &[]));
        }
        right.push(paragraph(
            Para::centered(),
            &[Run::new(frame.signer.name.trim()).bold().points(14.0)],
        ));
        let left_width = 4535;
        self.push(&table(
            &[left_width, TEXT_WIDTH - left_width],
            false,
            &[vec![left, right]],
        ));
        // Word ends a body with a paragraph, never a table; give it one rather than let it repair.
        self.push(&paragraph(Para::default(), &[]));
    }

    /// A ruled data table with a bold header row; `widths` in twips, text 12 pt.
    pub(crate) fn data_table(&mut self, widths: &[u32], header: &[&str], rows: &[Vec<String>]) {
        let cell = |text: &str, bold: bool, align: Align| {
            let run = Run::new(text).points(12.0);
            vec![paragraph(
                Para {
                    align,
                    ..Para::default()
                },
                &[if bold { run.bold() } else { run }],
            )]
        };
        let mut all = vec![header
            .iter()
            .map(|h| cell(h, true, Align::Center))
            .collect::<Vec<_>>()];
        for row in rows {
            let last = row.first().is_some_and(|first| first == "Tổng số");
            all.push(
                row.iter()
                    .enumerate()
                    .map(|(index, text)| {
                        let align = if index == 0 {
                            Align::Left
                        } else {
                            Align::Center
                        };
                        cell(text, last, align)
                    })
                    .collect(),
            );
        }
        self.push(&table(widths, true, &all));
    }
}

/// Capitals, as Decree 30 prints body names and positions.
pub(crate) fn upper(text: &str) -> String {
    text.trim().to_uppercase()
}

/// Checkbox options: the known ones ticked when their aliases appear in `values` (case-folded),
/// and the remaining values gathered for the "other" box.
pub(crate) fn sort_into_boxes<'a>(
    values: &'a [String],
    known: &[(&str, &[&str])],
) -> (Vec<(bool, String)>, Vec<&'a str>) {
    let mut ticked = vec![false; known.len()];
    let mut others = Vec::new();
    for value in values {
        let folded = value.trim().to_lowercase();
        let matched = known
            .iter()
            .position(|(_, aliases)| aliases.iter().any(|alias| folded == *alias));
        match matched {
            Some(index) => ticked[index] = true,
            None if !folded.is_empty() => others.push(value.trim()),
            None => {}
        }
    }
    let boxes = known
        .iter()
        .zip(ticked)
        .map(|((label, _), tick)| (tick, (*label).to_string()))
        .collect();
    (boxes, others)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_tick_boxes_and_the_rest_go_to_other() {
        let values = vec![
            "Web".to_string(),
            "DNS".to_string(),
            " database ".to_string(),
            String::new(),
        ];
        let (boxes, others) = sort_into_boxes(
            &values,
            &[
                ("Web server", &["web", "http"]),
                ("Mail server", &["mail", "email"]),
                ("Database server", &["database", "db"]),
            ],
        );
        let ticks: Vec<bool> = boxes.iter().map(|(t, _)| *t).collect();
        assert_eq!(ticks, [true, false, true]);
        assert_eq!(others, ["DNS"]);
    }
}
