//! Minimal HTML helpers: escaping and the shared page frame. Pages are small enough that a
//! template engine would cost more (a dependency, a build step) than it saves.

use std::fmt::Write as _;

/// Escapes text for an HTML text node or a quoted attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Wraps a body in the page frame with the platform's stylesheet.
pub(crate) fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 2048);
    let _ = write!(
        out,
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  :root {{ --ink:#1b2733; --muted:#5b6b7b; --line:#d9e1e8; --brand:#0b5cad; --ok:#1f7a3a; --red:#b3261e; }}
  * {{ box-sizing: border-box; }}
  body {{ margin:0; font-family: "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif; color:var(--ink); background:#f4f7fa; }}
  header {{ background:var(--brand); color:#fff; padding:18px 32px; }}
  header h1 {{ margin:0; font-size:22px; }}
  header p {{ margin:4px 0 0; opacity:.85; font-size:14px; }}
  main {{ max-width:1100px; margin:0 auto; padding:24px 32px 48px; }}
  section {{ background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin-bottom:20px; }}
  h2 {{ font-size:17px; margin:0 0 12px; }}
  h2 small {{ color:var(--muted); font-weight:normal; margin-left:8px; }}
  table {{ border-collapse:collapse; width:100%; font-size:14px; }}
  th, td {{ text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }}
  th {{ color:var(--muted); font-weight:600; }}
  td.num, th.num {{ text-align:right; font-variant-numeric: tabular-nums; }}
  code {{ background:#eef2f6; padding:1px 5px; border-radius:4px; font-size:13px; }}
  .stats {{ display:flex; gap:16px; flex-wrap:wrap; }}
  .stat {{ flex:1 1 160px; border:1px solid var(--line); border-radius:8px; padding:12px 16px; }}
  .stat b {{ display:block; font-size:26px; }}
  .stat span {{ color:var(--muted); font-size:13px; }}
  .ok {{ color:var(--ok); }} .red {{ color:var(--red); }} .muted {{ color:var(--muted); }}
</style>
</head>
<body>
{body}
</body>
</html>
"#
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
