//! Just enough HTML reading to submit the portal's server-rendered forms
//! the way a browser does: each form's method, action and the fields a
//! browser would send (hidden fields such as a CSRF token included).

/// One `<form>` of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlForm {
    /// As written; `get` when absent.
    pub method: String,
    pub action: Option<String>,
    /// `(name, value)` of every named input a browser would submit, in
    /// document order, values unescaped.
    pub fields: Vec<(String, String)>,
}

impl HtmlForm {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }
}

/// Every form of `html`, in document order.
pub fn forms(html: &str) -> Vec<HtmlForm> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = find_tag(&lower, "form", from) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i) else { break };
        let end = lower[open_end..].find("</form").map_or(html.len(), |i| open_end + i);
        let form_attributes = attributes(&html[start + "<form".len()..open_end]);
        let method = attribute(&form_attributes, "method").unwrap_or("get").to_owned();
        let action = attribute(&form_attributes, "action").map(str::to_owned);
        let fields = inputs(&html[open_end..end]);
        found.push(HtmlForm { method, action, fields });
        from = end;
    }
    found
}

/// `html` with every CSRF input reduced to `<input csrf>`: pages mask their
/// CSRF token afresh on every answer, so two answers that must be the same
/// are compared without it.
pub fn without_csrf_tokens(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(start) = find_tag(&lower, "input", from) {
        let Some(end) = lower[start..].find('>').map(|i| start + i + 1) else { break };
        let found = attributes(&html[start + "<input".len()..end - 1]);
        if attribute(&found, "name").is_some_and(|name| name.to_ascii_lowercase().contains("csrf")) {
            out.push_str(&html[copied..start]);
            out.push_str("<input csrf>");
            copied = end;
        }
        from = end;
    }
    out.push_str(&html[copied..]);
    out
}

/// Replaces the character references HTML templates emit.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semicolon) = rest.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semicolon];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semicolon + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The position of the next `<name` tag (followed by a space, `/` or `>`)
/// at or after `from`, in lower-cased HTML.
fn find_tag(lower: &str, name: &str, from: usize) -> Option<usize> {
    let open = format!("<{name}");
    let mut at = from;
    while let Some(i) = lower[at..].find(&open) {
        let start = at + i;
        let next = lower[start + open.len()..].chars().next();
        if next.is_some_and(|c| c.is_ascii_whitespace() || c == '>' || c == '/') {
            return Some(start);
        }
        at = start + open.len();
    }
    None
}

/// The named inputs of a form's body that a browser would submit.
fn inputs(body: &str) -> Vec<(String, String)> {
    let lower = body.to_ascii_lowercase();
    let mut fields = Vec::new();
    let mut from = 0;
    while let Some(start) = find_tag(&lower, "input", from) {
        let Some(end) = lower[start..].find('>').map(|i| start + i) else { break };
        let found = attributes(&body[start + "<input".len()..end]);
        from = end;
        let Some(name) = attribute(&found, "name") else { continue };
        let kind = attribute(&found, "type").unwrap_or("text").to_ascii_lowercase();
        let checked = found.iter().any(|(key, _)| key == "checked");
        let submitted = match kind.as_str() {
            "submit" | "button" | "image" | "reset" | "file" => false,
            "checkbox" | "radio" => checked,
            _ => true,
        };
        if submitted {
            let default = if matches!(kind.as_str(), "checkbox" | "radio") { "on" } else { "" };
            fields.push((name.to_owned(), attribute(&found, "value").unwrap_or(default).to_owned()));
        }
    }
    fields
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

/// The attributes of a tag, between its name and its `>`: names
/// lower-cased, values unescaped, valueless attributes with "".
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut chars = tag.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_ascii_whitespace() || *c == '/').is_some() {}
        let Some(&(name_start, _)) = chars.peek() else { break };
        let mut name_end = tag.len();
        while let Some(&(i, c)) = chars.peek() {
            if c.is_ascii_whitespace() || c == '=' || c == '/' {
                name_end = i;
                break;
            }
            chars.next();
        }
        let name = tag[name_start..name_end].to_ascii_lowercase();
        while chars.next_if(|(_, c)| c.is_ascii_whitespace()).is_some() {}
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            found.push((name, String::new()));
            continue;
        }
        while chars.next_if(|(_, c)| c.is_ascii_whitespace()).is_some() {}
        let value = match chars.peek().copied() {
            Some((quote_at, quote @ ('"' | '\''))) => {
                chars.next();
                let mut value_end = tag.len();
                for (i, c) in chars.by_ref() {
                    if c == quote {
                        value_end = i;
                        break;
                    }
                }
                &tag[quote_at + 1..value_end]
            }
            Some((value_start, _)) => {
                let mut value_end = tag.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_ascii_whitespace() {
                        value_end = i;
                        break;
                    }
                    chars.next();
                }
                &tag[value_start..value_end]
            }
            None => "",
        };
        found.push((name, unescape(value)));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_give_their_method_action_and_submitted_fields() {
        let page = r#"<p>Hi</p>
            <FORM class="x" method="post" action="/portal/login-link?a=1&amp;b=2">
              <input type="hidden" name="csrf" value="abc&quot;def">
              <input name=token value=pt_123 />
              <input type="email" name="email">
              <input type="checkbox" name="remember" checked>
              <input type="checkbox" name="spam">
              <input type="submit" name="go" value="Sign in">
              <button type="submit">Sign in</button>
            </form>
            <form action="/search"><input name="q" value="a &lt; b"></form>"#;
        let found = forms(page);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].method, "post");
        assert_eq!(found[0].action.as_deref(), Some("/portal/login-link?a=1&b=2"));
        assert_eq!(
            found[0].fields,
            vec![
                ("csrf".to_owned(), "abc\"def".to_owned()),
                ("token".to_owned(), "pt_123".to_owned()),
                ("email".to_owned(), String::new()),
                ("remember".to_owned(), "on".to_owned()),
            ]
        );
        assert_eq!(found[1].method, "get");
        assert_eq!(found[1].field("q"), Some("a < b"));
    }

    #[test]
    fn csrf_inputs_are_blanked_and_the_rest_kept() {
        let page = r#"<form><input type="hidden" name="csrf_token" value="a1"><input name="q" value="x"></form>"#;
        assert_eq!(without_csrf_tokens(page), r#"<form><input csrf><input name="q" value="x"></form>"#);
        let other = page.replace("a1", "b2");
        assert_eq!(without_csrf_tokens(page), without_csrf_tokens(&other));
    }

    #[test]
    fn unescaping_handles_named_and_numeric_references_and_leaves_stray_ampersands() {
        assert_eq!(unescape("a&amp;b &#39;c&#x27; &lt;&gt; & &unknown; x"), "a&b 'c' <> & &unknown; x");
    }
}
