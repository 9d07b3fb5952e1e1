//! The QR code is found in what a checker actually has: a phone camera's photo of a screen (the
//! code small, rotated, blurred, unevenly lit, JPEG-compressed, among other things on screen) and
//! a screenshot with two codes on it.

#![allow(clippy::unwrap_used)]

use edl_qr_image::{Grey, Ink, ReadError, Symbol, greyscale, read, read_grey};

/// A roadside-sized code (about 520 characters of Base45).
fn text() -> String {
    let bytes: Vec<u8> = (0..346u32).map(|i| (i * 97 + 13) as u8).collect();
    format!("EDL1:{}", edl_qr::base45::encode(&bytes))
}

/// A deterministic noise source (xorshift).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> i32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 41) as i32 - 20
    }
}

/// A phone screen (light grey, with dark "text" bars like the card's fields) holding the symbol
/// at `scale` pixels per module, then photographed: rotated by `degrees`, resampled bilinearly
/// (a blur), lit unevenly, with sensor noise; returned as a JPEG at `quality`.
fn photograph(symbol: &Symbol, scale: usize, degrees: f64, quality: u8) -> Vec<u8> {
    let png = symbol.to_png(scale as u32, Ink::Black);
    let code = greyscale(&png).unwrap();
    let (w, h) = (code.width + 400, code.height + 700);
    let mut screen = vec![235u8; w * h];
    for bar in 0..8 {
        let y0 = 40 + bar * 45;
        for y in y0..y0 + 18 {
            for x in 60..60 + 120 + (bar * 37) % 200 {
                screen[y * w + x] = 40;
            }
        }
    }
    let (ox, oy) = (200, 420);
    for y in 0..code.height {
        for x in 0..code.width {
            screen[(y + oy) * w + x + ox] = code.pixels[y * code.width + x];
        }
    }
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let at = |x: f64, y: f64| -> f64 {
        if x < 0.0 || y < 0.0 || x >= (w - 1) as f64 || y >= (h - 1) as f64 {
            return 120.0;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let p = |x: usize, y: usize| f64::from(screen[y * w + x]);
        p(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + p(x0 + 1, y0) * fx * (1.0 - fy)
            + p(x0, y0 + 1) * (1.0 - fx) * fy
            + p(x0 + 1, y0 + 1) * fx * fy
    };
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut photo = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 - cx, y as f64 - cy);
            let v = at(cx + dx * cos - dy * sin, cy + dx * sin + dy * cos);
            let light = 0.75 + 0.25 * (x as f64 / w as f64); // darker on the left
            let v = (v * light) as i32 + noise.next();
            photo[y * w + x] = v.clamp(0, 255) as u8;
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, quality)
        .encode(&photo, w as u16, h as u16, jpeg_encoder::ColorType::Luma)
        .unwrap();
    jpeg
}

#[test]
fn a_photo_of_a_phone_screen_reads_back() {
    let text = text();
    let symbol = Symbol::new(&text).unwrap();
    assert!(symbol.version() <= 15, "version {}", symbol.version());
    // Straight codes read from 3 pixels per module; rotated ones need 4 or more (a limit of the
    // detector, recorded in docs/qr-format.md: a phone held 20 cm from another gives about 8).
    for (scale, degrees, quality) in [
        (4, 0.0, 90),
        (4, 6.0, 75),
        (5, -11.0, 70),
        (3, 0.0, 85),
        (6, 20.0, 60),
    ] {
        let jpeg = photograph(&symbol, scale, degrees, quality);
        assert_eq!(
            read(&jpeg),
            Ok(vec![text.clone()]),
            "scale {scale}, {degrees}°, quality {quality}"
        );
    }
}

#[test]
fn a_screenshot_with_two_codes_gives_both_and_a_blank_screen_none() {
    let a = Symbol::new("EDL1:AAAA").unwrap();
    let b = Symbol::new("HC1:BBBB").unwrap();
    let (ga, gb) = (
        greyscale(&a.to_png(6, Ink::Black)).unwrap(),
        greyscale(&b.to_png(6, Ink::Red)).unwrap(),
    );
    let width = ga.width + gb.width;
    let height = ga.height.max(gb.height);
    let mut pixels = vec![255u8; width * height];
    for (image, x0) in [(&ga, 0), (&gb, ga.width)] {
        for y in 0..image.height {
            for x in 0..image.width {
                pixels[y * width + x0 + x] = image.pixels[y * image.width + x];
            }
        }
    }
    let both = read_grey(&Grey {
        width,
        height,
        pixels,
    })
    .unwrap();
    assert_eq!(both.len(), 2);
    assert!(both.contains(&"EDL1:AAAA".to_owned()) && both.contains(&"HC1:BBBB".to_owned()));
    let blank = Grey {
        width: 300,
        height: 300,
        pixels: vec![230; 90_000],
    };
    assert_eq!(read_grey(&blank), Err(ReadError::NoCode));
}

#[test]
fn oversized_images_are_refused_before_decoding() {
    // A PNG header claiming 100 000 × 100 000 pixels.
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, 100_000, 100_000);
        encoder.set_color(png::ColorType::Grayscale);
        let _ = encoder.write_header();
    }
    assert!(matches!(
        read(&png),
        Err(ReadError::TooManyPixels { .. } | ReadError::Damaged(_))
    ));
    assert!(matches!(
        read(&vec![0u8; edl_qr_image::MAX_IMAGE_BYTES + 1]),
        Err(ReadError::FileTooLarge(_))
    ));
}
