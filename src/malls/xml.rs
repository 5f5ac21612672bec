//! A small XML tree for the malls that answer in XML (au PAY マーケット, Yahoo!ショッピング): each
//! element with its text, children, and its byte range in the source (so the raw payload of one
//! order is kept exactly as received).

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::Reader;

#[derive(Debug, Default, Clone)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
    pub span: Range<usize>,
}

impl Node {
    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child with this name ("" when absent).
    pub fn text_of(&self, name: &str) -> String {
        self.child(name).map(|c| c.text.trim().to_string()).unwrap_or_default()
    }
}

/// Why a body is refused before it is read, whatever it holds: a DOCTYPE. No mall's API declares a
/// DTD; one that does is a proxy's HTML page or an entity attack (XXE), and asking again changes nothing.
pub fn refused(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::DocType(d)) => {
                let decl = String::from_utf8_lossy(d.as_ref()).chars().take(60).collect::<String>();
                return Some(format!(
                    "the answer declares a document type (<!DOCTYPE {}>), which no mall's API sends: juchu does not read it (its entities could reach files or other hosts) and does not ask again",
                    decl.trim()
                ));
            }
            Ok(Event::Start(_) | Event::Empty(_) | Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Parses a document into its root element.
pub fn parse(xml: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| format!("XML at byte {}: {e}", reader.error_position()))?;
        let end = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(Node { name, span: start..end, ..Default::default() });
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let node = Node { name, span: start..end, ..Default::default() };
                stack.last_mut().expect("root").children.push(node);
            }
            Event::End(_) => {
                let mut node = stack.pop().ok_or("unbalanced XML")?;
                node.span.end = end;
                let parent = stack.last_mut().ok_or_else(|| format!("XML: a closing tag without an opening one at byte {start}"))?;
                parent.children.push(node);
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| format!("XML text at byte {start}: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::CData(t) => {
                let text = t.decode().map_err(|e| format!("XML CDATA at byte {start}: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| format!("XML reference at byte {start}: {e}"))? {
                    Some(c) => c.to_string(),
                    None => match r.decode().map_err(|e| format!("XML reference at byte {start}: {e}"))?.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => return Err(format!("XML: unknown entity &{other}; at byte {start}")),
                    },
                };
                stack.last_mut().expect("root").text.push_str(&c);
            }
            Event::DocType(_) => return Err(refused(xml).unwrap_or_else(|| "XML: a DOCTYPE inside the document".into())),
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("XML: the document ends inside an element (cut off?)".into());
    }
    stack.pop().and_then(|r| r.children.into_iter().next()).ok_or_else(|| "XML: no root element".into())
}

/// A number field as an XML mall writes it: None where the element is missing or empty (the mall
/// sent none: unknown, not 0); an error naming the order and the field where it is not a number.
pub fn number(text: &str, field: &str, order: &str) -> Result<Option<i64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| format!("order {order}: {field} `{t}` is not a number"))
}

/// Escapes text for an XML element.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_text_entities_and_spans() {
        let xml = "<?xml version=\"1.0\"?><response><a>x &amp; y</a><b/><a>二</a></response>";
        let root = parse(xml).unwrap();
        assert_eq!(root.name, "response");
        assert_eq!(root.text_of("a"), "x & y");
        assert_eq!(root.all("a").count(), 2);
        let second = root.all("a").nth(1).unwrap();
        assert_eq!(&xml[second.span.clone()], "<a>二</a>");
        assert!(parse("<response><a>cut").is_err());
    }

    #[test]
    fn a_doctype_is_refused_by_name_before_anything_is_read() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        let why = refused(xxe).unwrap();
        assert!(why.contains("<!DOCTYPE r [") && why.contains("does not ask again"), "{why}");
        assert!(parse(xxe).unwrap_err().contains("document type"));
        assert_eq!(refused("<?xml version=\"1.0\"?><r>x</r>"), None);
        assert_eq!(refused("<r><a>cut"), None, "a cut-off body is not refused: it is asked for again");
    }

    #[test]
    fn a_number_is_a_number_or_absent_never_zero_by_default() {
        assert_eq!(number(" 4720 ", "TotalPrice", "x-1"), Ok(Some(4720)));
        assert_eq!(number("", "TotalPrice", "x-1"), Ok(None));
        let err = number("4,720円", "TotalPrice", "x-1").unwrap_err();
        assert!(err.contains("x-1") && err.contains("TotalPrice") && err.contains("4,720円"), "{err}");
    }
}
