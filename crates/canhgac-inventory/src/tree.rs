//! A small YAML tree that remembers the line of every node, built from yaml-rust2's event parser
//! (its `Yaml` type forgets positions, and every error we report must name a line).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML node and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: usize,
    pub(crate) value: Value,
}

/// The three shapes a node has.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A scalar; `plain` is false for quoted and block scalars, which are always text.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in file order; keys may be any node (we reject non-scalar ones later).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A plain `~`, `null`, or empty scalar: YAML's "no value".
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Words for the node's shape, for "expected ..., found ..." messages.
    pub(crate) fn shape(&self) -> &'static str {
        match &self.value {
            _ if self.is_null() => "nothing",
            Value::Scalar { .. } => "a single value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A syntax error and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// Parses one YAML document; `Ok(None)` for an empty file.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        return Err(SyntaxError {
            line: e.marker().line().max(1),
            message: e.info().to_string(),
        });
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    if builder.documents.len() > 1 {
        return Err(SyntaxError {
            line: builder.second_document_line,
            message: "a file holds one YAML document; remove the second `---`".to_string(),
        });
    }
    Ok(builder.documents.pop())
}

#[derive(Debug)]
enum Open {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Open>,
    documents: Vec<Node>,
    anchors: HashMap<usize, Node>,
    error: Option<SyntaxError>,
    second_document_line: usize,
    document_starts: usize,
}

impl Builder {
    fn insert(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line().max(1);
        match event {
            Event::DocumentStart => {
                self.document_starts += 1;
                if self.document_starts == 2 {
                    self.second_document_line = line;
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == TScalarStyle::Plain;
                self.insert(
                    Node {
                        line,
                        value: Value::Scalar { text, plain },
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq {
                line,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Open::Map {
                line,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq {
                        line,
                        anchor,
                        items,
                    }) => (
                        Node {
                            line,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Open::Map {
                        line,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            line,
                            value: Value::Map(entries),
                        },
                        anchor,
                    ),
                    None => return,
                };
                self.insert(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.insert(node, 0),
                None => {
                    self.error = Some(SyntaxError {
                        line,
                        message: "alias to an unknown anchor".to_string(),
                    })
                }
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_lines() {
        let text = "a: 1\nb:\n  - x\n  - k: v\n    j: 'w'\n";
        let root = parse(text).unwrap().unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("map")
        };
        assert_eq!(entries[0].0.line, 1);
        assert_eq!(entries[1].0.line, 2);
        let Value::Seq(items) = &entries[1].1.value else {
            panic!("seq")
        };
        assert_eq!(items[0].line, 3);
        assert_eq!(items[1].line, 4);
        let Value::Map(inner) = &items[1].value else {
            panic!("map")
        };
        assert_eq!(inner[1].0.line, 5);
        assert_eq!(
            inner[1].1.value,
            Value::Scalar {
                text: "w".into(),
                plain: false
            }
        );
    }

    #[test]
    fn syntax_errors_have_lines() {
        let err = parse("a: 1\nb: [x\nc: 2\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(parse("").unwrap(), None);
    }

    #[test]
    fn aliases_copy_anchored_nodes() {
        let root = parse("a: &x [1, 2]\nb: *x\n").unwrap().unwrap();
        let Value::Map(entries) = &root.value else {
            panic!("map")
        };
        assert_eq!(entries[0].1.value, entries[1].1.value);
    }
}
