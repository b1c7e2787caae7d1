//! The trend chart of the report page: each unit's points over the
//! quarters of a year, one line per unit, drawn on the server as SVG (no
//! script, no CDN, prints like the table). Colours are CSS classes
//! (`s0`…`s7`), since the CSP allows no inline style; the legend and the
//! figures are HTML beside it, readable at any width.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 60.0;
/// Room for half of the last quarter's label, centred on its point.
const RIGHT: f64 = 48.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;
/// Distinct line colours before they repeat.
pub const COLOURS: usize = 8;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One unit's line: its name and its points per quarter (none: not yet).
pub struct Series {
    pub unit: String,
    pub points: Vec<Option<Decimal>>,
}

/// `quarters`: the x labels; every series has one value per quarter.
pub fn lines(title: &str, quarters: &[String], series: &[Series]) -> String {
    let values = series.iter().flat_map(|s| s.points.iter().flatten());
    let max = values.clone().copied().max().unwrap_or_default().max(Decimal::new(5, 2));
    let min = values.copied().min().unwrap_or_default().min(Decimal::ZERO);
    let span = (max - min).to_f64().unwrap_or(1.0).max(f64::EPSILON);
    let plot = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |i: usize| LEFT + if quarters.len() > 1 { plot.0 * i as f64 / (quarters.len() - 1) as f64 } else { plot.0 / 2.0 };
    let y = |v: Decimal| TOP + plot.1 * (max - v).to_f64().unwrap_or(0.0) / span;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}"><title>{t}</title>"##,
        t = escape(title)
    );
    // Grid at the bottom, the middle and the top of the scale.
    for step in 0..=2 {
        let v = min + (max - min) * Decimal::from(step) / Decimal::from(2);
        let gy = y(v);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" y1="{gy:.1}" x2="{x2}" y2="{gy:.1}"/><text class="tick" x="{tx}" y="{ty:.1}" text-anchor="end">{v}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 8.0,
            ty = gy + 6.0,
            v = v.round_dp(3).normalize(),
        );
    }
    for (i, q) in quarters.iter().enumerate() {
        let _ = write!(svg, r##"<text class="tick quarter" x="{:.1}" y="{}" text-anchor="middle">{}</text>"##, x(i), HEIGHT - 12.0, escape(q));
    }
    for (n, s) in series.iter().enumerate() {
        let class = format!("series s{}", n % COLOURS);
        let known: Vec<(f64, f64)> = s.points.iter().enumerate().filter_map(|(i, p)| p.map(|p| (x(i), y(p)))).collect();
        let path: Vec<String> = known.iter().map(|(px, py)| format!("{px:.1},{py:.1}")).collect();
        let _ = write!(svg, r##"<g class="{class}"><title>{}</title><polyline points="{}"/>"##, escape(&s.unit), path.join(" "));
        for (px, py) in &known {
            let _ = write!(svg, r##"<circle cx="{px:.1}" cy="{py:.1}" r="5"/>"##);
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_unit_through_the_quarters_it_has() {
        let quarters: Vec<String> = (1..=4).map(|n| format!("2021Q{n}")).collect();
        let series = [
            Series { unit: "中兴街道".into(), points: vec![Some(Decimal::new(7, 2)), Some(Decimal::ZERO), None, None] },
            Series { unit: "A&B".into(), points: vec![Some(Decimal::new(-5, 2)), Some(Decimal::new(2, 2)), None, None] },
        ];
        let svg = lines("趋势", &quarters, &series);
        assert_eq!((svg.matches("<polyline").count(), svg.matches("<circle").count()), (2, 4));
        assert!(svg.contains("series s0") && svg.contains("series s1") && svg.contains("A&amp;B") && svg.contains(">2021Q4<"), "{svg}");
        assert!(svg.contains(">-0.05<") || svg.contains(">-0.05"), "a refund puts zero above the bottom: {svg}");
    }
}
