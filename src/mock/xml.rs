//! The mock's own XML: it escapes what it writes and reads the few values a request carries by their
//! path, independently of the adapters' parser (so a request the adapters write wrongly fails here).

use quick_xml::events::Event;
use quick_xml::Reader;

/// Escapes text for an XML element.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A request body: well-formed XML, its values looked up by element path from the root.
pub struct Request {
    /// (path from the root, text) of every element with text, in document order.
    values: Vec<(Vec<String>, String)>,
}

impl Request {
    /// Reads a request; None when it is not well-formed.
    pub fn parse(body: &str) -> Option<Request> {
        let mut reader = Reader::from_str(body);
        let (mut path, mut values, mut text) = (Vec::<String>::new(), Vec::new(), String::new());
        let mut roots = 0;
        loop {
            match reader.read_event().ok()? {
                Event::Start(e) => {
                    if path.is_empty() {
                        roots += 1;
                    }
                    path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                    text.clear();
                }
                Event::End(e) => {
                    if path.pop()? != String::from_utf8_lossy(e.local_name().as_ref()) {
                        return None;
                    }
                    if !text.trim().is_empty() {
                        let mut at = path.clone();
                        at.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                        values.push((at, text.trim().to_string()));
                    }
                    text.clear();
                }
                Event::Text(t) => text.push_str(&t.decode().ok()?),
                Event::CData(t) => text.push_str(&t.decode().ok()?),
                Event::GeneralRef(r) => match r.resolve_char_ref().ok()? {
                    Some(c) => text.push(c),
                    None => text.push_str(match r.decode().ok()?.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => return None,
                    }),
                },
                Event::Eof => break,
                _ => {}
            }
        }
        (path.is_empty() && roots == 1).then_some(Request { values })
    }

    /// The text at `path` below the root (`["Target", "OrderId"]`), "" when absent.
    pub fn value(&self, path: &[&str]) -> String {
        self.values
            .iter()
            .find(|(at, _)| at.len() == path.len() + 1 && at[1..].iter().zip(path).all(|(a, b)| a == b))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether the request has text at or below `path` (from the root).
    pub fn has(&self, path: &[&str]) -> bool {
        self.values.iter().any(|(at, _)| at.len() > path.len() && at[1..=path.len()].iter().zip(path).all(|(a, b)| a == b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_path_and_bad_xml() {
        let r = Request::parse("<Req><Target><OrderId>a-1</OrderId></Target><SellerId>s &amp; t</SellerId></Req>").unwrap();
        assert_eq!(r.value(&["Target", "OrderId"]), "a-1");
        assert_eq!(r.value(&["SellerId"]), "s & t");
        assert_eq!(r.value(&["OrderId"]), "", "paths start at the root");
        assert!(r.has(&["Target"]) && !r.has(&["Search"]));
        assert!(Request::parse("<Req><a>cut").is_none());
        assert!(Request::parse("<Req><a></b></Req>").is_none());
    }
}
