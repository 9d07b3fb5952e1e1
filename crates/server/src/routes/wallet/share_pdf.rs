//! The share as a one-page A4 PDF (`GET /share/{token}/card.pdf`): what the purpose discloses,
//! the portrait, a heading naming the purpose and expiry, the same words repeated diagonally in
//! semi-transparent red across the page, the verdict, the link's expiry and a QR code of the share
//! page. A pure function of [`ShareCard`]; the route gathers the data (`share.rs`).
//!
//! Chinese text uses no embedded font: a Type0 font over Adobe's standard Simplified Chinese
//! CIDFont `STSong-Light` (Adobe-GB1) with the predefined CMap `UniGB-UCS2-H`, so every string is
//! written as UCS-2 big-endian and the reader supplies the glyphs (Acrobat, pdf.js, PDFium,
//! Preview; poppler with `poppler-data` and any CJK font). A `ToUnicode` CMap maps each code back
//! to its character so text extraction and search give the right Unicode. Decisions in
//! `docs/decisions/wallet.md`.

use std::collections::BTreeSet;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4 in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 40.0;
/// Where field values start.
const VALUE_X: f32 = 150.0;
/// The portrait's width on the page (its height follows the image's proportions).
const PORTRAIT_WIDTH: f32 = 120.0;
/// The QR code's side, quiet zone included.
const QR_SIDE: f32 = 120.0;
/// The diagonal watermark's opacity (fill alpha) and angle.
const WATERMARK_ALPHA: f32 = 0.18;
const WATERMARK_DEGREES: f32 = 30.0;
/// Glyph widths in thousandths of the font size: a full-width (CJK) character, and the ASCII
/// range (CIDs 1–95 in Adobe-GB1, which `UniGB-UCS2-H` maps U+0020–U+007E to), set half-width.
const FULL_WIDTH: f32 = 1000.0;
const HALF_WIDTH: f32 = 500.0;

const FONT: Name<'static> = Name(b"F1");
const PHOTO: Name<'static> = Name(b"Im1");
const TRANSLUCENT: Name<'static> = Name(b"GS1");

/// Red of the watermark and of a licence that is not valid (#b3261e); green of a valid one.
const RED: [f32; 3] = [0.702, 0.149, 0.118];
const GREEN: [f32; 3] = [0.106, 0.498, 0.231];
const INK: [f32; 3] = [0.106, 0.153, 0.2];
const GREY: [f32; 3] = [0.357, 0.42, 0.482];

/// What the PDF shows. Labels and values are drawn as given.
#[derive(Debug)]
pub(crate) struct ShareCard<'a> {
    /// The title, naming the purpose ("电子驾驶证（分享件）· 汽车租赁").
    pub(crate) title: &'a str,
    /// The watermark ("仅供汽车租赁使用 有效期至…"): the heading, and across the page.
    pub(crate) watermark: &'a str,
    /// The verdict line, as on the share page.
    pub(crate) verdict: &'a str,
    /// Whether the licence is valid for driving (the verdict in green, else red).
    pub(crate) valid: bool,
    /// The line about the link's expiry.
    pub(crate) expiry: &'a str,
    /// The disclosed fields, (label, value), the portrait excluded.
    pub(crate) fields: &'a [(&'a str, String)],
    /// The portrait as JPEG, when the purpose discloses it: embedded as it is (DCTDecode).
    pub(crate) portrait_jpeg: Option<&'a [u8]>,
    /// The share page's absolute URL, drawn as a QR code, when the service knows its public URL.
    pub(crate) link: Option<&'a str>,
    /// The caption beside the QR code.
    pub(crate) link_caption: &'a str,
}

/// Why no PDF could be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PdfError {
    /// The portrait's JPEG header could not be read, or it is neither greyscale nor colour.
    #[error("the portrait is not a JPEG this PDF can embed")]
    Portrait,
    /// The link is too long for a QR code.
    #[error("the share link is too long for a QR code")]
    Link,
}

/// A JPEG's size and colour components, from its header.
struct JpegInfo {
    width: i32,
    height: i32,
    grey: bool,
}

fn jpeg_info(jpeg: &[u8]) -> Result<JpegInfo, PdfError> {
    use zune_core::colorspace::ColorSpace;
    let mut decoder = zune_jpeg::JpegDecoder::new(zune_core::bytestream::ZCursor::new(jpeg));
    decoder.decode_headers().map_err(|_| PdfError::Portrait)?;
    let (width, height) = decoder.dimensions().ok_or(PdfError::Portrait)?;
    let grey = match decoder.input_colorspace().ok_or(PdfError::Portrait)? {
        ColorSpace::Luma => true,
        ColorSpace::YCbCr | ColorSpace::RGB => false,
        _ => return Err(PdfError::Portrait),
    };
    Ok(JpegInfo {
        width: i32::try_from(width).map_err(|_| PdfError::Portrait)?,
        height: i32::try_from(height).map_err(|_| PdfError::Portrait)?,
        grey,
    })
}

/// A string in the font's encoding (`UniGB-UCS2-H`: UCS-2 big-endian).
fn ucs2(text: &str) -> Vec<u8> {
    text.chars().flat_map(|c| code(c).to_be_bytes()).collect()
}

/// A character's code: its UCS-2 value, except the middle dot of names such as 买买提·艾力
/// (U+00B7), which `UniGB-UCS2-H` does not map: it is written as U+30FB, which the CMap maps to
/// the same GB 2312 glyph (the `ToUnicode` CMap gives back U+00B7). A character outside the Basic
/// Multilingual Plane has no UCS-2 code and is written as `?`.
fn code(c: char) -> u16 {
    match c {
        '\u{b7}' => 0x30fb,
        _ => u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?')),
    }
}

/// A character's advance in thousandths of the font size (the widths the CIDFont declares).
fn advance(c: char) -> f32 {
    if (' '..='~').contains(&c) {
        HALF_WIDTH
    } else {
        FULL_WIDTH
    }
}

/// The text cut into lines no wider than `max` points (at least one character a line).
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = advance(c) * size / 1000.0;
        if !line.is_empty() && used + w > max {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        line.push(c);
        used += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws text and remembers its characters for the `ToUnicode` CMap.
struct Page {
    content: Content,
    chars: BTreeSet<char>,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, rgb: [f32; 3], text: &str) {
        self.chars.extend(text.chars());
        self.content
            .set_fill_rgb(rgb[0], rgb[1], rgb[2])
            .begin_text()
            .set_font(FONT, size)
            .next_line(x, y)
            .show(Str(&ucs2(text)))
            .end_text();
    }

    /// Text painted as fill and a thin stroke of the same colour: bold without a bold font.
    fn bold(&mut self, x: f32, y: f32, size: f32, rgb: [f32; 3], text: &str) {
        self.content
            .save_state()
            .set_stroke_rgb(rgb[0], rgb[1], rgb[2])
            .set_line_width(size / 40.0)
            .set_text_rendering_mode(TextRenderingMode::FillStroke);
        self.text(x, y, size, rgb, text);
        self.content.restore_state();
    }
}

/// The PDF of `card`.
pub(crate) fn share_pdf(card: &ShareCard<'_>) -> Result<Vec<u8>, PdfError> {
    let portrait = card
        .portrait_jpeg
        .map(|jpeg| jpeg_info(jpeg).map(|info| (jpeg, info)))
        .transpose()?;
    let symbol = card
        .link
        .map(|link| edl_qr_image::Symbol::new(link).map_err(|_| PdfError::Link))
        .transpose()?;

    let mut page = Page {
        content: Content::new(),
        chars: BTreeSet::new(),
    };
    let right = PAGE_WIDTH - MARGIN;
    let mut y = PAGE_HEIGHT - 60.0;
    page.bold(MARGIN, y, 20.0, INK, card.title);
    y -= 28.0;
    page.bold(MARGIN, y, 14.0, RED, card.watermark);
    y -= 24.0;
    page.bold(
        MARGIN,
        y,
        13.0,
        if card.valid { GREEN } else { RED },
        card.verdict,
    );
    y -= 14.0;
    page.content
        .set_stroke_rgb(0.784, 0.827, 0.741)
        .set_line_width(1.0)
        .move_to(MARGIN, y)
        .line_to(right, y)
        .stroke();

    // The portrait at the top right of the fields, the fields beside it.
    let fields_top = y - 28.0;
    let mut value_right = right;
    let mut portrait_bottom = fields_top;
    if let Some((_, info)) = &portrait {
        let height = PORTRAIT_WIDTH * info.height as f32 / info.width.max(1) as f32;
        let x = right - PORTRAIT_WIDTH;
        let top = fields_top + 14.0;
        portrait_bottom = top - height;
        page.content
            .save_state()
            .transform([PORTRAIT_WIDTH, 0.0, 0.0, height, x, portrait_bottom])
            .x_object(PHOTO)
            .restore_state();
        value_right = x - 16.0;
    }
    y = fields_top;
    for (label, value) in card.fields {
        page.text(MARGIN, y, 12.0, GREY, label);
        for line in wrap(value, 13.0, value_right - VALUE_X) {
            page.text(VALUE_X, y, 13.0, INK, &line);
            y -= 18.0;
        }
        y -= 8.0;
    }
    y = y.min(portrait_bottom - 12.0) - 10.0;
    for line in wrap(card.expiry, 11.0, right - MARGIN) {
        page.text(MARGIN, y, 11.0, GREY, &line);
        y -= 16.0;
    }

    // The QR code of the share page: one filled rectangle per run of dark modules.
    if let Some(symbol) = &symbol {
        let modules = symbol.width() + 8;
        let unit = QR_SIDE / modules as f32;
        let top = y - 6.0;
        let left = MARGIN;
        page.content.set_fill_rgb(0.0, 0.0, 0.0);
        for row in 0..symbol.width() {
            let mut x = 0;
            while x < symbol.width() {
                if !symbol.is_dark(x, row) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < symbol.width() && symbol.is_dark(x, row) {
                    x += 1;
                }
                page.content.rect(
                    left + (start + 4) as f32 * unit,
                    top - (row + 5) as f32 * unit,
                    (x - start) as f32 * unit,
                    unit,
                );
            }
        }
        page.content.fill_nonzero();
        let caption_x = left + QR_SIDE + 12.0;
        let mut caption_y = top - QR_SIDE / 2.0;
        for line in wrap(card.link_caption, 11.0, right - caption_x) {
            page.text(caption_x, caption_y, 11.0, GREY, &line);
            caption_y -= 16.0;
        }
    }

    // The watermark across the whole page, over everything, in translucent red.
    let angle = WATERMARK_DEGREES.to_radians();
    let (sin, cos) = angle.sin_cos();
    let size = 20.0;
    let repeated = [card.watermark; 3].join("　　　");
    page.chars.extend(repeated.chars());
    let encoded = ucs2(&repeated);
    page.content
        .save_state()
        .set_parameters(TRANSLUCENT)
        .set_fill_rgb(RED[0], RED[1], RED[2])
        .begin_text()
        .set_font(FONT, size);
    let step = 90.0;
    let rows = ((PAGE_HEIGHT + PAGE_WIDTH * sin) / step).ceil() as i32 + 1;
    for row in 0..rows {
        // Each line starts left of the page and climbs to the right; shifted every other row.
        let shift = if row % 2 == 0 { 0.0 } else { -120.0 };
        let x = -PAGE_WIDTH * 0.5 + shift;
        let y = row as f32 * step - PAGE_WIDTH * sin;
        page.content
            .set_text_matrix([cos, sin, -sin, cos, x, y])
            .show(Str(&encoded));
    }
    page.content.end_text().restore_state();

    Ok(write(card, page, portrait))
}

fn write(card: &ShareCard<'_>, page: Page, portrait: Option<(&[u8], JpegInfo)>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let page_id = Ref::new(3);
    let contents = Ref::new(4);
    let font = Ref::new(5);
    let cid_font = Ref::new(6);
    let descriptor = Ref::new(7);
    let to_unicode = Ref::new(8);
    let translucent = Ref::new(9);
    let photo = Ref::new(10);
    let info = Ref::new(11);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page_id]).count(1);
    let mut p = pdf.page(page_id);
    p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
        .parent(pages)
        .contents(contents);
    let mut resources = p.resources();
    resources.fonts().pair(FONT, font);
    resources.ext_g_states().pair(TRANSLUCENT, translucent);
    if portrait.is_some() {
        resources.x_objects().pair(PHOTO, photo);
    }
    resources.finish();
    p.finish();
    pdf.document_info(info)
        .title(TextStr(card.title))
        .producer(TextStr("edl-server"));

    let gb1 = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"GB1"),
        supplement: 4,
    };
    pdf.type0_font(font)
        .base_font(Name(b"STSong-Light"))
        .encoding_predefined(Name(b"UniGB-UCS2-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(gb1)
        .font_descriptor(descriptor)
        .default_width(FULL_WIDTH);
    cid.widths().same(1, 95, HALF_WIDTH);
    cid.finish();
    // STSong-Light's metrics as PDF libraries commonly declare them (the font is not embedded;
    // the reader brings its own).
    pdf.font_descriptor(descriptor)
        .name(Name(b"STSong-Light"))
        .flags(FontFlags::SERIF | FontFlags::SYMBOLIC)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(752.0)
        .descent(-271.0)
        .cap_height(737.0)
        .stem_v(58.0);
    let mut cmap = UnicodeCmap::new(
        Name(b"Adobe-UCS-0"),
        SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        },
    );
    let mut codes = std::collections::BTreeMap::new();
    for &c in &page.chars {
        if u32::from(c) <= 0xffff {
            codes.entry(code(c)).or_insert(c);
        }
    }
    if page.chars.iter().any(|&c| u32::from(c) > 0xffff) {
        codes.entry(u16::from(b'?')).or_insert('?');
    }
    for (code, c) in codes {
        cmap.pair(code, c);
    }
    let cmap = cmap.finish();
    pdf.cmap(to_unicode, &cmap)
        .name(Name(b"Adobe-UCS-0"))
        .system_info(SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"UCS"),
            supplement: 0,
        });
    pdf.ext_graphics(translucent)
        .non_stroking_alpha(WATERMARK_ALPHA);
    if let Some((jpeg, info)) = portrait {
        let mut image = pdf.image_xobject(photo, jpeg);
        image
            .width(info.width)
            .height(info.height)
            .bits_per_component(8)
            .filter(Filter::DctDecode);
        if info.grey {
            image.color_space().device_gray();
        } else {
            image.color_space().device_rgb();
        }
        image.finish();
    }
    pdf.stream(contents, &page.content.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The text's width at `size` points.
    fn width(text: &str, size: f32) -> f32 {
        text.chars().map(advance).sum::<f32>() * size / 1000.0
    }

    fn fields() -> Vec<(&'static str, String)> {
        vec![
            ("姓名", "张三".to_owned()),
            ("准驾车型", "C1".to_owned()),
            (
                "住址",
                "北京市东城区某某街道某某胡同一百二十三号院四号楼五单元六百七十八室".to_owned(),
            ),
        ]
    }

    fn card<'a>(
        fields: &'a [(&'a str, String)],
        portrait: Option<&'a [u8]>,
        link: Option<&'a str>,
    ) -> ShareCard<'a> {
        ShareCard {
            title: "电子驾驶证（分享件）· 汽车租赁",
            watermark: "仅供汽车租赁使用 有效期至2026-11-29 16:00",
            verdict: "驾驶证状态正常",
            valid: true,
            expiry: "分享链接有效期至 2026-11-29 16:00（北京时间）",
            fields,
            portrait_jpeg: portrait,
            link,
            link_caption: "扫码查看在线分享页",
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    #[test]
    fn a_pdf_with_the_standard_chinese_font_and_a_to_unicode_map() {
        let fields = fields();
        let pdf = share_pdf(&card(&fields, None, None)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        for needle in [
            &b"/Subtype /Type0"[..],
            b"/BaseFont /STSong-Light",
            b"/Encoding /UniGB-UCS2-H",
            b"/Ordering (GB1)",
            b"/ToUnicode 8 0 R",
            b"/ca 0.18",
        ] {
            assert!(
                contains(&pdf, needle),
                "{}",
                String::from_utf8_lossy(needle)
            );
        }
        // Not embedded: no font file.
        assert!(!contains(&pdf, b"/FontFile"));
        // Every character drawn maps back to itself: 仅 (U+4EC5) of the watermark, 张 (U+5F20)
        // of a value, and ASCII.
        assert!(contains(&pdf, b"<4EC5> <4EC5>"));
        assert!(contains(&pdf, b"<5F20> <5F20>"));
        assert!(contains(&pdf, b"<0043> <0043>"));
        // The title's middle dot is drawn with code 30FB and read back as U+00B7.
        assert!(contains(&pdf, b"<30FB> <00B7>"));
        // The text is drawn in UCS-2: 仅供 at the start of the watermark (a hex string, as its
        // bytes are not all ASCII).
        assert!(contains(&pdf, b"<4EC54F9B"));
    }

    #[test]
    fn the_portrait_is_embedded_as_it_is_and_only_when_given() {
        let fields = fields();
        let jpeg = edl_synth::demo_portrait();
        let with = share_pdf(&card(&fields, Some(jpeg), None)).unwrap();
        assert!(contains(&with, b"/Filter /DCTDecode"));
        assert!(contains(&with, jpeg), "the JPEG bytes, not re-encoded");
        assert!(contains(&with, b"/Im1 Do"));
        let without = share_pdf(&card(&fields, None, None)).unwrap();
        assert!(!contains(&without, b"/DCTDecode"));
        assert!(!contains(&without, b"/Im1"));
        // Not a JPEG: refused rather than drawn wrong.
        assert!(matches!(
            share_pdf(&card(&fields, Some(b"not a jpeg"), None)),
            Err(PdfError::Portrait)
        ));
    }

    #[test]
    fn the_qr_code_is_drawn_only_with_a_link() {
        let fields = fields();
        let link = "https://edl.example.cn/share/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let with = share_pdf(&card(&fields, None, Some(link))).unwrap();
        let without = share_pdf(&card(&fields, None, None)).unwrap();
        // One rectangle per run of dark modules: a version-5 symbol has well over a hundred.
        assert!(count(&with, b" re\n") > 100, "{}", count(&with, b" re\n"));
        assert_eq!(count(&without, b" re\n"), 0);
        let symbol = edl_qr_image::Symbol::new(link).unwrap();
        let runs: usize = (0..symbol.width())
            .map(|y| {
                (0..symbol.width())
                    .filter(|&x| symbol.is_dark(x, y) && (x == 0 || !symbol.is_dark(x - 1, y)))
                    .count()
            })
            .sum();
        assert_eq!(count(&with, b" re\n"), runs);
    }

    #[test]
    fn the_watermark_crosses_the_page_rotated() {
        let fields = fields();
        let pdf = share_pdf(&card(&fields, None, None)).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        // The text matrices of the diagonal lines: cos 30°, sin 30°.
        let diagonal = text.matches("0.8660254 0.5 -0.5 0.8660254").count();
        assert!(diagonal >= 10, "{diagonal} diagonal lines");
        assert!(text.contains("/GS1 gs"));
    }

    #[test]
    fn strings_are_ucs2_and_lines_wrap_by_width() {
        assert_eq!(ucs2("仅A"), vec![0x4e, 0xc5, 0x00, 0x41]);
        // Outside the BMP: no UCS-2 code.
        assert_eq!(ucs2("𠀀"), vec![0x00, b'?']);
        // The middle dot of a name: the code UniGB-UCS2-H maps to the GB 2312 middle dot.
        assert_eq!(ucs2("·"), vec![0x30, 0xfb]);
        assert_eq!(width("仅A", 10.0), 15.0);
        let lines = wrap("一二三四五六七八九十", 10.0, 35.0);
        assert_eq!(lines, ["一二三", "四五六", "七八九", "十"]);
        assert_eq!(wrap("", 10.0, 35.0), [""]);
        // A line holds at least one character, however narrow.
        assert_eq!(wrap("一二", 10.0, 1.0), ["一", "二"]);
    }

    #[test]
    fn a_long_value_wraps_within_the_page() {
        let fields = fields();
        let pdf = share_pdf(&card(&fields, None, None)).unwrap();
        let address = &fields[2].1;
        assert!(width(address, 13.0) > PAGE_WIDTH - MARGIN - VALUE_X);
        // The address is shown in pieces: its start and its end in different strings.
        let start = ucs2(&address.chars().take(3).collect::<String>());
        let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02X}")).collect::<String>();
        assert!(contains(&pdf, format!("<{}", hex(&start)).as_bytes()));
        assert!(!contains(
            &pdf,
            format!("<{}>", hex(&ucs2(address))).as_bytes()
        ));
    }
}
