//! Markdown as the toolbox's authors write it, turned into safe HTML for output and into plain
//! text for the search. Authors are trusted users, but a body is shown in the console and in
//! third-party sites, so two layers stand between it and a script:
//!
//! 1. raw HTML in the Markdown is not markup here: it is shown as the text it is (an author
//!    who writes `<script>` sees `<script>`, and no unclosed tag can swallow the text after
//!    it);
//! 2. the rendered HTML goes through `ammonia` (an allow-list sanitiser built on html5ever):
//!    no script, style, iframe, form, image (no request leaves the page), event attribute or
//!    link other than http, https and mailto survives, whatever a Markdown link says.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use std::collections::HashSet;
use std::sync::LazyLock;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"));
    b
});

/// `markdown` rendered as HTML and sanitised.
pub fn safe_html(markdown: &str) -> String {
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    let events = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    html::push_html(&mut raw, events);
    SANITISER.clean(&raw).to_string()
}

/// The text of `markdown` without its markup (raw HTML in it is dropped), one line per block:
/// what the search indexes and its snippets quote.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak | Event::Rule => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::BlockQuote(_),
            ) => out.push('\n'),
            _ => {}
        }
    }
    let lines: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            safe_html("## Kop\n\nEen **vet** [woord](https://example.org/x)."),
            "<h2>Kop</h2>\n<p>Een <strong>vet</strong> <a href=\"https://example.org/x\" rel=\"noopener noreferrer nofollow\">woord</a>.</p>\n"
        );
    }

    #[test]
    fn scripts_events_frames_and_script_links_are_removed() {
        let html = safe_html(
            "<script>alert(1)</script>\n\n<p onclick=\"x()\">hi</p><iframe src=\"https://e.org\"></iframe>\n\n[a](javascript:alert(1)) <img src=x onerror=alert(1)> <a href=\"data:text/html,x\">d</a>",
        );
        for bad in [
            "<script",
            "<p onclick",
            "<iframe",
            "<a href=\"javascript:",
            "<img",
            "<a href=\"data:",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(html.contains("hi"));
        // Raw HTML is text: an unclosed script keeps the text after it.
        let html = safe_html("<script src=x?< B >\n\nafter");
        assert!(
            !html.contains("<script") && html.contains("&lt;script") && html.contains("after"),
            "{html}"
        );
    }

    #[test]
    fn plain_text_drops_markup_and_html() {
        assert_eq!(
            plain_text(
                "## Kop\n\n1. **Eén** `code`\n2. twee\n\n<b>html</b> [link](https://x.org)\n\n---\n\nEnd"
            ),
            "Kop\n- Eén code\n- twee\nhtml link\nEnd"
        );
    }
}
