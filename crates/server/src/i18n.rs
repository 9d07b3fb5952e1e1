//! The page language: Chinese (zh-CN) first, English on request (`?lang=en`, remembered in a
//! cookie). Texts stay next to their use as `lang.t("中文", "English")` pairs: the pages are few and
//! a catalogue would separate each text from the markup it belongs to.

use axum::http::HeaderMap;

use crate::auth::cookie;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// 简体中文 (the default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// From `?lang=` if given, else the `edl_lang` cookie, else Chinese.
    pub(crate) fn of(query: Option<&str>, headers: &HeaderMap) -> Lang {
        let chosen = query
            .map(str::to_owned)
            .or_else(|| cookie(headers, "edl_lang"));
        match chosen.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The text in this language.
    pub(crate) fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The `lang` attribute.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A link to the same page in the other language.
    pub(crate) fn switch_link(self, path: &str) -> String {
        match self {
            Lang::Zh => format!(r#"<a class="lang" href="{path}?lang=en">English</a>"#),
            Lang::En => format!(r#"<a class="lang" href="{path}?lang=zh">中文</a>"#),
        }
    }
}
