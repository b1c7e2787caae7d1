//! A horizontal bar chart of points per unit, drawn on the server as SVG:
//! no script, no CDN, and it prints as crisply as the table beside it.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

const WIDTH: f64 = 640.0;
const LABEL: f64 = 170.0;
const VALUE: f64 = 56.0;
const BAR: f64 = 26.0;
const GAP: f64 = 10.0;
const TOP: f64 = 24.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `bars`: (unit, points, points as shown). The scale is only geometry;
/// the figures written beside the bars are the exact decimals.
pub fn bars(title: &str, bars: &[(String, Decimal, String)]) -> String {
    let max = bars.iter().map(|(_, p, _)| *p).max().unwrap_or_default().max(Decimal::new(5, 2));
    let scale = (WIDTH - LABEL - VALUE) / max.to_f64().unwrap_or(1.0);
    let height = TOP + bars.len() as f64 * (BAR + GAP) + 26.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}"><title>{t}</title>"##,
        t = escape(title)
    );
    for (i, (unit, points, shown)) in bars.iter().enumerate() {
        let y = TOP + i as f64 * (BAR + GAP);
        // A refund (a quarter of corrections only) is no charge: a stub in
        // green, its figure beside it; the scale starts at zero.
        let w = (points.to_f64().unwrap_or(0.0) * scale).max(if points.is_zero() { 0.0 } else { 2.0 });
        let class = match points {
            p if p.is_zero() => "bar zero",
            p if p.is_sign_negative() => "bar refund",
            _ => "bar",
        };
        let _ = write!(
            svg,
            r##"<text class="unit" x="{lx}" y="{ty}" text-anchor="end">{u}</text><rect class="{class}" x="{LABEL}" y="{y}" width="{w:.1}" height="{BAR}" rx="3"/><text class="value" x="{vx:.1}" y="{ty}">{v}</text>"##,
            lx = LABEL - 8.0,
            ty = y + BAR * 0.68,
            u = escape(unit),
            vx = LABEL + w + 6.0,
            v = escape(shown),
        );
    }
    let axis_y = TOP + bars.len() as f64 * (BAR + GAP);
    let _ = write!(svg, r##"<line class="axis" x1="{LABEL}" y1="{a}" x2="{LABEL}" y2="{b}"/>"##, a = TOP - 6.0, b = axis_y);
    for step in 0..=2 {
        let value = max * Decimal::from(step) / Decimal::from(2);
        let x = LABEL + value.to_f64().unwrap_or(0.0) * scale;
        let _ =
            write!(svg, r##"<text class="tick" x="{x:.1}" y="{y:.1}" text-anchor="middle">{v}</text>"##, y = axis_y + 16.0, v = value.round_dp(3).normalize());
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_bar_per_unit_with_escaped_names_and_exact_figures() {
        let svg = bars("扣分", &[("中兴街道".into(), Decimal::new(7, 2), "0.07".into()), ("A&B<".into(), Decimal::ZERO, "0.00".into())]);
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("中兴街道") && svg.contains("A&amp;B&lt;") && svg.contains(">0.07<"));
        assert!(!svg.contains("A&B<"));
    }

    #[test]
    fn a_refund_is_a_green_stub_with_its_negative_figure() {
        let svg = bars("扣分", &[("中兴街道".into(), Decimal::new(-5, 2), "-0.05".into())]);
        assert!(svg.contains(r#"class="bar refund""#) && svg.contains(r#"width="2.0""#) && svg.contains(">-0.05<"), "{svg}");
    }
}
