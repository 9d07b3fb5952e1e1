//! Stacked bar charts as inline SVG, drawn on the server: no chart library, no script, the same
//! picture in every browser, and readable by tests as markup.

use std::fmt::Write as _;

use time::Date;

use crate::html::escape;

/// One series of a stacked bar chart: its label, colour and a value per day.
pub(crate) struct Series {
    /// The legend's label.
    pub(crate) label: String,
    /// A CSS colour.
    pub(crate) colour: &'static str,
    /// One value per day of the chart.
    pub(crate) values: Vec<u64>,
}

/// Colours for up to eight series, distinguishable in print and for common colour blindness.
pub(crate) const PALETTE: [&str; 8] = [
    "#0b5cad", "#e08a00", "#1f7a3a", "#b3261e", "#6b4fa3", "#00838f", "#8d6e63", "#5b6b7b",
];

const WIDTH: u32 = 960;
const HEIGHT: u32 = 260;
const LEFT: u32 = 56;
const BOTTOM: u32 = 28;
const TOP: u32 = 12;

/// A round axis maximum at or above `max` (1, 2 or 5 times a power of ten).
fn nice_max(max: u64) -> u64 {
    if max <= 1 {
        return 1;
    }
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if let Some(candidate) = step.checked_mul(m)
                && candidate >= max
            {
                return candidate;
            }
        }
        match step.checked_mul(10) {
            Some(s) => step = s,
            None => return u64::MAX,
        }
    }
}

/// A stacked bar per day, with a y axis, day labels and a legend. `id` names the `<svg>`; `empty`
/// is written across a chart without any value.
pub(crate) fn stacked_bars(
    id: &str,
    title: &str,
    empty: &str,
    days: &[Date],
    series: &[Series],
) -> String {
    let totals: Vec<u64> = (0..days.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = nice_max(totals.iter().copied().max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - 8;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = f64::from(plot_w) / days.len().max(1) as f64;
    let bar = (slot * 0.75).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" data-max="{max}" xmlns="http://www.w3.org/2000/svg">"#,
        id = escape(id),
        title = escape(title),
    );
    // Grid lines and y labels: quarters of the maximum, or every whole number below 4.
    let steps = max.min(4);
    for q in 0..=steps {
        let value = max * q / steps;
        let y = f64::from(TOP) + f64::from(plot_h) * (1.0 - value as f64 / max as f64);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#d9e1e8"/><text x="{lx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#5b6b7b">{value}</text>"##,
            x2 = WIDTH - 8,
            lx = LEFT - 6,
            ty = y + 4.0,
        );
    }
    if totals.iter().all(|t| *t == 0) {
        let _ = write!(
            svg,
            r##"<text x="{cx}" y="{cy}" text-anchor="middle" font-size="14" fill="#5b6b7b" class="empty">{empty}</text>"##,
            cx = LEFT + plot_w / 2,
            cy = TOP + plot_h / 2,
            empty = escape(empty),
        );
    }
    let label_every = (days.len() / 10).max(1);
    for (i, day) in days.iter().enumerate() {
        let x = f64::from(LEFT) + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = f64::from(TOP + plot_h);
        for s in series {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = f64::from(plot_h) * v as f64 / max as f64;
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{c}" data-day="{day}" data-value="{v}"><title>{day} {label}: {v}</title></rect>"#,
                c = s.colour,
                label = escape(&s.label),
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r##"<text x="{cx:.1}" y="{ty}" text-anchor="middle" font-size="11" fill="#5b6b7b">{m:02}-{d:02}</text>"##,
                cx = x + bar / 2.0,
                ty = HEIGHT - 10,
                m = u8::from(day.month()),
                d = day.day(),
            );
        }
    }
    svg.push_str("</svg>");
    let legend = series
        .iter()
        .map(|s| {
            format!(
                r#"<span class="key"><i style="background:{}"></i>{}</span>"#,
                s.colour,
                escape(&s.label)
            )
        })
        .collect::<String>();
    format!(r#"<figure>{svg}<figcaption class="legend">{legend}</figcaption></figure>"#)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(201), 500);
        assert_eq!(nice_max(5000), 5000);
    }

    #[test]
    fn bars_stack_and_carry_their_values() {
        let days = [date!(2026 - 03 - 01), date!(2026 - 03 - 02)];
        let svg = stacked_bars(
            "c",
            "t",
            "none",
            &days,
            &[
                Series {
                    label: "a".into(),
                    colour: PALETTE[0],
                    values: vec![3, 0],
                },
                Series {
                    label: "<b>".into(),
                    colour: PALETTE[1],
                    values: vec![2, 4],
                },
            ],
        );
        assert!(svg.contains(r#"data-max="5""#), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 3, "zero values draw nothing");
        assert!(svg.contains(r#"data-day="2026-03-02" data-value="4""#));
        assert!(
            svg.contains("&lt;b&gt;") && !svg.contains("<b>"),
            "labels are escaped"
        );
    }
}
