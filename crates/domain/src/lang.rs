//! The two languages labels come in, and `Accept-Language` negotiation.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Nl,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// Picks the best of `nl`/`en` for an `Accept-Language` header value (RFC 9110 §12.5.4).
    ///
    /// Language ranges are matched by primary subtag (`en-GB` counts as `en`); the highest
    /// q-value wins, ties go to the earlier range; `*` means the default (`nl`). Anything
    /// unparsable or without a match gives the default: a label request never fails.
    pub fn negotiate(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::default();
        };
        let mut best: Option<(f32, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "nl" => Lang::Nl,
                "en" => Lang::En,
                "*" => Lang::default(),
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(Lang::negotiate(None), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de, en;q=0.5, nl;q=0.8")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("en;q=0, nl;q=0")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some(";;;,,q=abc")), Lang::Nl);
        assert_eq!(Lang::negotiate(Some("nl-BE;q=0.3, en-US;q=0.4")), Lang::En);
    }
}
