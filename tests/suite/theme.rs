//! The colour themes: every text colour on every background it is drawn on reaches WCAG's
//! 4.5:1 in the light and the dark theme, and the dark theme is written once in effect (the
//! `prefers-color-scheme` block repeats the `data-theme="dark"` block exactly).

use std::collections::BTreeMap;

fn css() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/style.css"))
        .expect("static/style.css")
}

/// The custom properties declared in the first block opened by `selector`.
fn vars(css: &str, selector: &str) -> BTreeMap<String, String> {
    let start = css
        .find(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        + selector.len();
    let body = &css[start..];
    let end = body.find('}').expect("a closed block");
    body[..end]
        .split(';')
        .filter_map(|d| d.trim().strip_prefix("--"))
        .filter_map(|d| d.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn rgb(hex: &str) -> (f64, f64, f64) {
    let h = hex.trim_start_matches('#');
    let h = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect::<String>()
    } else {
        h.to_string()
    };
    let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).expect("hex") as f64 / 255.0;
    (c(0), c(2), c(4))
}

fn luminance(hex: &str) -> f64 {
    let lin = |c: f64| {
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = rgb(hex);
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// (text, background) pairs the stylesheet draws.
const PAIRS: &[(&str, &str)] = &[
    ("ink", "card"),
    ("ink", "paper"),
    ("muted", "card"),
    ("muted", "paper"),
    ("accent", "card"),
    ("accent", "control"),
    ("on-accent", "accent"),
    ("bad", "card"),
    ("ink", "tint-bad"),
    ("ink", "tint-ok"),
    ("ink", "tint-warn"),
    ("ink", "tint-first"),
    ("ink", "tint-info"),
    ("ink", "tint-caption"),
    ("ink", "tint-theory"),
    ("ink", "surface"),
    ("ink", "badge"),
    ("ink", "control"),
    ("ink", "node"),
    ("warn-ink", "card"),
    ("warn-ink", "tint-first"),
    ("on-full", "full"),
    ("card", "bad"),
    ("full", "control"),
];

#[test]
fn every_text_pair_reaches_4_5_to_1_in_both_themes() {
    let css = css();
    let light = vars(&css, ":root {");
    let mut dark = light.clone();
    dark.extend(vars(&css, ":root[data-theme=\"dark\"] {"));
    let mut low = Vec::new();
    for (name, theme) in [("light", &light), ("dark", &dark)] {
        for (fg, bg) in PAIRS {
            let c = contrast(&theme[*fg], &theme[*bg]);
            if c < 4.5 {
                low.push(format!("{name}: --{fg} on --{bg} is {c:.2}:1"));
            }
        }
    }
    assert!(low.is_empty(), "{low:#?}");
}

#[test]
fn the_system_dark_block_is_the_dark_theme() {
    let css = css();
    let explicit = vars(&css, ":root[data-theme=\"dark\"] {");
    let system = vars(
        &css,
        ":root:not([data-theme=\"light\"]):not([data-theme=\"dark\"]) {",
    );
    assert!(explicit.len() > 20);
    assert_eq!(explicit, system);
}

#[test]
fn theme_and_accent_parameters_are_read_or_named_and_hosts_can_switch_the_theme() {
    use outage_lab::app::embed::{parse_command, parse_options, Command, Theme};
    let (o, problems) = parse_options("?theme=dark&accent=0072B2");
    assert_eq!(
        (o.theme, o.accent.as_deref()),
        (Theme::Dark, Some("#0072b2"))
    );
    assert!(problems.is_empty());
    assert_eq!(parse_options("").0.theme, Theme::Auto);
    let (o, problems) = parse_options("?theme=blue&accent=%23zzz");
    assert_eq!((o.theme, o.accent), (Theme::Auto, None));
    assert_eq!(
        problems,
        [
            "theme: \"blue\" is not one of auto, light, dark",
            "accent: \"#zzz\" is not a colour of 3 or 6 hex digits (e.g. 2456c7)"
        ]
    );
    let m = serde_json::json!({"target": "outage-lab", "version": 1, "command": "theme", "theme": "light"});
    assert_eq!(parse_command(&m), Ok(Some(Command::SetTheme(Theme::Light))));
    let m = serde_json::json!({"target": "outage-lab", "version": 1, "command": "theme", "theme": "pink"});
    assert!(parse_command(&m).is_err_and(|e| e.starts_with("theme: needs theme")));
}
