//! `edl-qr-image`: QR symbols for the e-licence code. Draws a text as a QR code (PNG, SVG, or
//! terminal blocks) at error-correction level M, and finds and reads QR codes in a PNG or JPEG
//! photo or screenshot. Pure: bytes in, bytes out; sizes are capped before anything is allocated.

#![warn(missing_docs)]

use qrcode::{Color, EcLevel, QrCode};

/// The error-correction level every e-licence code is drawn with (about 15 % recoverable).
pub const EC_LEVEL: EcLevel = EcLevel::M;
/// The largest image file read.
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;
/// The most pixels decoded (a 48-megapixel phone photo).
pub const MAX_PIXELS: usize = 48_000_000;

/// The colour the symbol is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ink {
    /// Black on white: 正常.
    Black,
    /// Dark red on white: shown, but not valid for driving. Dark enough for any scanner.
    Red,
}

impl Ink {
    fn rgb(self) -> [u8; 3] {
        match self {
            Ink::Black => [0, 0, 0],
            Ink::Red => [0xb0, 0x00, 0x00],
        }
    }

    fn hex(self) -> &'static str {
        match self {
            Ink::Black => "#000000",
            Ink::Red => "#b00000",
        }
    }
}

/// Why a text could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// Longer than a version-40 symbol holds at level M.
    #[error("the text is too long for a QR code at error-correction level M")]
    TooLong,
}

/// A text laid out as a QR symbol at level M (the smallest version that holds it; Base45 text
/// is encoded in alphanumeric mode).
#[derive(Clone)]
pub struct Symbol {
    code: QrCode,
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Symbol(version {}, {} modules)",
            self.version(),
            self.width()
        )
    }
}

impl Symbol {
    /// Lays out `text`.
    pub fn new(text: &str) -> Result<Symbol, DrawError> {
        QrCode::with_error_correction_level(text.as_bytes(), EC_LEVEL)
            .map(|code| Symbol { code })
            .map_err(|_| DrawError::TooLong)
    }

    /// The QR version (1–40).
    pub fn version(&self) -> i16 {
        match self.code.version() {
            qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
        }
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.code.width()
    }

    /// Whether the module at column `x`, row `y` (from the top left, without the quiet zone) is
    /// dark: for drawing the symbol in another format (the share PDF draws it as rectangles).
    /// Panics when `x` or `y` is not below [`Symbol::width`].
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.code[(x, y)] == Color::Dark
    }

    fn dark(&self, x: usize, y: usize) -> bool {
        self.is_dark(x, y)
    }

    /// A PNG: `scale` pixels per module, a 4-module quiet zone, 8-bit RGB.
    pub fn to_png(&self, scale: u32, ink: Ink) -> Vec<u8> {
        let scale = scale.max(1) as usize;
        let modules = self.width() + 8;
        let side = modules * scale;
        let mut pixels = vec![0xffu8; side * side * 3];
        let rgb = ink.rgb();
        for my in 0..self.width() {
            for mx in 0..self.width() {
                if !self.dark(mx, my) {
                    continue;
                }
                for py in 0..scale {
                    let row = ((my + 4) * scale + py) * side;
                    for px in 0..scale {
                        let at = (row + (mx + 4) * scale + px) * 3;
                        pixels[at..at + 3].copy_from_slice(&rgb);
                    }
                }
            }
        }
        encode_png(&pixels, side as u32, side as u32)
    }

    /// An SVG of one path, one unit per module, with a 4-module quiet zone.
    pub fn to_svg(&self, ink: Ink) -> String {
        let n = self.width() + 8;
        let mut path = String::new();
        for y in 0..self.width() {
            let mut x = 0;
            while x < self.width() {
                if self.dark(x, y) {
                    let start = x;
                    while x < self.width() && self.dark(x, y) {
                        x += 1;
                    }
                    path.push_str(&format!(
                        "M{} {}h{}v1h-{}z",
                        start + 4,
                        y + 4,
                        x - start,
                        x - start
                    ));
                } else {
                    x += 1;
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{n}\" height=\"{n}\" fill=\"#ffffff\"/><path fill=\"{}\" d=\"{path}\"/></svg>\n",
            ink.hex()
        )
    }

    /// Terminal lines of half blocks (two module rows per line), dark modules drawn dark on a
    /// light background, with a 2-module quiet zone. `ink` red adds ANSI colour.
    pub fn to_terminal(&self, ink: Ink) -> Vec<String> {
        let w = self.width() as isize;
        let dark = |x: isize, y: isize| {
            x >= 0 && y >= 0 && x < w && y < w && self.dark(x as usize, y as usize)
        };
        let (on, off) = match ink {
            Ink::Black => ("\x1b[30;107m", "\x1b[0m"),
            Ink::Red => ("\x1b[31;107m", "\x1b[0m"),
        };
        let mut lines = Vec::new();
        let mut y = -2;
        while y < w + 2 {
            let mut line = String::from(on);
            for x in -2..w + 2 {
                line.push(match (dark(x, y), dark(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            line.push_str(off);
            lines.push(line);
            y += 2;
        }
        lines
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Writing to a Vec cannot fail, and the buffer has exactly width × height × 3 bytes.
    let mut writer = encoder
        .write_header()
        .expect("a PNG header for a valid size writes to memory");
    writer
        .write_image_data(rgb)
        .expect("the pixel buffer matches the declared size");
    writer
        .finish()
        .expect("finishing a PNG in memory cannot fail");
    out
}

/// Why no code could be read from an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The file is larger than [`MAX_IMAGE_BYTES`].
    #[error("the image file is {0} bytes, more than the {MAX_IMAGE_BYTES} read")]
    FileTooLarge(usize),
    /// Neither PNG nor JPEG.
    #[error("the file is not a PNG or JPEG image")]
    UnknownFormat,
    /// The image is larger than [`MAX_PIXELS`].
    #[error("the image is {width}×{height} pixels, more than the {MAX_PIXELS} read")]
    TooManyPixels {
        /// Width.
        width: usize,
        /// Height.
        height: usize,
    },
    /// The image data is damaged.
    #[error("the image could not be decoded: {0}")]
    Damaged(String),
    /// No QR code was found.
    #[error("no QR code was found in the image")]
    NoCode,
    /// A QR code was found but could not be read (blurred, cut off, glare).
    #[error(
        "a QR code was found but could not be read ({0}); take the picture again, closer and sharper"
    )]
    Unreadable(String),
}

/// A greyscale image.
#[derive(Debug, Clone)]
pub struct Grey {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Row-major luminance, 0 black … 255 white.
    pub pixels: Vec<u8>,
}

/// Decodes a PNG or JPEG to greyscale, checking the size before decoding.
pub fn greyscale(bytes: &[u8]) -> Result<Grey, ReadError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ReadError::FileTooLarge(bytes.len()));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_greyscale(bytes)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        jpeg_greyscale(bytes)
    } else {
        Err(ReadError::UnknownFormat)
    }
}

fn check_pixels(width: usize, height: usize) -> Result<(), ReadError> {
    if width.checked_mul(height).is_none_or(|n| n > MAX_PIXELS) || width == 0 || height == 0 {
        return Err(ReadError::TooManyPixels { width, height });
    }
    Ok(())
}

fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
}

fn png_greyscale(bytes: &[u8]) -> Result<Grey, ReadError> {
    let damaged = |e: png::DecodingError| ReadError::Damaged(e.to_string());
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    decoder.set_limits(png::Limits {
        bytes: MAX_PIXELS * 4,
    });
    let mut reader = decoder.read_info().map_err(damaged)?;
    let (width, height) = {
        let info = reader.info();
        (info.width as usize, info.height as usize)
    };
    check_pixels(width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ReadError::Damaged("the image size overflows".into()))?;
    let mut buffer = vec![0u8; size];
    let frame = reader.next_frame(&mut buffer).map_err(damaged)?;
    let channels = frame.color_type.samples();
    let stride = frame.line_size;
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        let row = &buffer[y * stride..y * stride + width * channels];
        for px in row.chunks_exact(channels) {
            pixels.push(match *px {
                [g] | [g, _] => g,
                [r, g, b] => luma(r, g, b),
                // Transparent pixels count as white (a screenshot's background).
                [r, g, b, a] => {
                    let l = u32::from(luma(r, g, b));
                    ((l * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8
                }
                _ => 255,
            });
        }
    }
    Ok(Grey {
        width,
        height,
        pixels,
    })
}

fn jpeg_greyscale(bytes: &[u8]) -> Result<Grey, ReadError> {
    use zune_core::colorspace::ColorSpace;
    use zune_core::options::DecoderOptions;
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::Luma)
        .set_max_width(16_384)
        .set_max_height(16_384);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder
        .decode_headers()
        .map_err(|e| ReadError::Damaged(format!("{e:?}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| ReadError::Damaged("no JPEG header".into()))?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    check_pixels(width, height)?;
    let pixels = decoder
        .decode()
        .map_err(|e| ReadError::Damaged(format!("{e:?}")))?;
    if pixels.len() != width * height {
        return Err(ReadError::Damaged("unexpected JPEG output size".into()));
    }
    Ok(Grey {
        width,
        height,
        pixels,
    })
}

/// Finds every QR code in a greyscale image and reads those it can; `Ok` holds at least one text.
///
/// Camera photos defeat a single pass now and then (sensor noise against the detector's local
/// threshold), so an image where nothing is read is tried again denoised (a 3×3 box blur) and then
/// at half size; the first pass that reads something wins.
pub fn read_grey(image: &Grey) -> Result<Vec<String>, ReadError> {
    let mut first = match read_once(image) {
        Ok(texts) => return Ok(texts),
        Err(e) => e,
    };
    for retry in [blur, half] {
        let Some(prepared) = retry(image) else {
            continue;
        };
        match read_once(&prepared) {
            Ok(texts) => return Ok(texts),
            // "Found but unreadable" says more than "not found".
            Err(e @ ReadError::Unreadable(_)) => first = e,
            Err(_) => {}
        }
    }
    Err(first)
}

fn read_once(image: &Grey) -> Result<Vec<String>, ReadError> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(image.width, image.height, |x, y| {
            image.pixels[y * image.width + x]
        });
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(ReadError::NoCode);
    }
    let mut texts = Vec::new();
    let mut last_error = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) => {
                if !texts.contains(&text) {
                    texts.push(text);
                }
            }
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    if texts.is_empty() {
        return Err(ReadError::Unreadable(last_error.unwrap_or_default()));
    }
    Ok(texts)
}

/// A 3×3 box blur (edges kept).
fn blur(image: &Grey) -> Option<Grey> {
    let (w, h) = (image.width, image.height);
    if w < 3 || h < 3 {
        return None;
    }
    let mut pixels = image.pixels.clone();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let mut sum = 0u32;
            for dy in 0..3 {
                let row = (y + dy - 1) * w;
                for dx in 0..3 {
                    sum += u32::from(image.pixels[row + x + dx - 1]);
                }
            }
            pixels[y * w + x] = (sum / 9) as u8;
        }
    }
    Some(Grey {
        width: w,
        height: h,
        pixels,
    })
}

/// Half the size, each pixel the mean of four.
fn half(image: &Grey) -> Option<Grey> {
    let (w, h) = (image.width / 2, image.height / 2);
    if w < 21 || h < 21 {
        return None;
    }
    let at = |x: usize, y: usize| u32::from(image.pixels[y * image.width + x]);
    let mut pixels = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let sum = at(2 * x, 2 * y)
                + at(2 * x + 1, 2 * y)
                + at(2 * x, 2 * y + 1)
                + at(2 * x + 1, 2 * y + 1);
            pixels.push((sum / 4) as u8);
        }
    }
    Some(Grey {
        width: w,
        height: h,
        pixels,
    })
}

/// Decodes a PNG or JPEG and reads every QR code in it.
pub fn read(bytes: &[u8]) -> Result<Vec<String>, ReadError> {
    read_grey(&greyscale(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "EDL1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEPWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SO5QAA6";

    #[test]
    fn a_drawn_symbol_reads_back_from_png_in_both_inks() {
        let symbol = Symbol::new(TEXT).unwrap();
        assert!(symbol.version() >= 1);
        for ink in [Ink::Black, Ink::Red] {
            let png = symbol.to_png(4, ink);
            assert_eq!(read(&png).unwrap(), vec![TEXT.to_owned()]);
        }
    }

    #[test]
    fn svg_and_terminal_have_the_symbol_size() {
        let symbol = Symbol::new(TEXT).unwrap();
        let n = symbol.width() + 8;
        assert!(
            symbol
                .to_svg(Ink::Black)
                .contains(&format!("viewBox=\"0 0 {n} {n}\""))
        );
        assert_eq!(
            symbol.to_terminal(Ink::Black).len(),
            (symbol.width() + 4).div_ceil(2)
        );
    }

    #[test]
    fn bad_images_fail_specifically() {
        assert_eq!(read(b"hello"), Err(ReadError::UnknownFormat));
        assert!(matches!(
            read(b"\x89PNG\r\n\x1a\nxx"),
            Err(ReadError::Damaged(_))
        ));
        assert!(matches!(
            read(&[0xff, 0xd8, 0xff, 0x00]),
            Err(ReadError::Damaged(_))
        ));
        // A blank image has no code.
        let blank = encode_png(&vec![255; 64 * 64 * 3], 64, 64);
        assert_eq!(read(&blank), Err(ReadError::NoCode));
        assert_eq!(
            Symbol::new(&"A".repeat(5000)).map(|s| s.version()),
            Err(DrawError::TooLong)
        );
    }
}
