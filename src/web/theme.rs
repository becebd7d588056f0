//! The colour theme in the browser: `data-theme` on the root element (the stylesheet's
//! variables follow it, and `auto` follows `prefers-color-scheme`), the accent colour, and the
//! charts' palette for the theme in effect. `boot.js` sets the same from the address before
//! the app loads, so the first paint already has the right colours.

use gloo_events::EventListener;

use crate::app::charts::{Palette, DARK, LIGHT};
use crate::app::embed::{EmbedOptions, Theme};

fn root() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

/// Puts `theme` on the page.
pub fn apply(theme: Theme) {
    if let Some(r) = root() {
        let _ = r.set_attribute("data-theme", theme.name());
    }
}

/// Puts the options' theme and accent on the page.
pub fn apply_options(options: &EmbedOptions) {
    apply(options.theme);
    if let (Some(c), Some(r)) = (&options.accent, root()) {
        if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(r) {
            let _ = el.style().set_property("--accent", c);
        }
    }
}

fn system_prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Whether the page is dark now (the theme set, or the system's preference under `auto`).
pub fn is_dark() -> bool {
    match root()
        .and_then(|r| r.get_attribute("data-theme"))
        .as_deref()
    {
        Some("dark") => true,
        Some("light") => false,
        _ => system_prefers_dark(),
    }
}

/// The charts' colours for the theme in effect.
pub fn chart_palette() -> &'static Palette {
    if is_dark() {
        &DARK
    } else {
        &LIGHT
    }
}

/// Calls `changed` when the system's colour preference changes (charts redraw under `auto`).
pub fn on_system_change(changed: impl Fn() + 'static) -> Option<EventListener> {
    let m = web_sys::window()?
        .match_media("(prefers-color-scheme: dark)")
        .ok()??;
    Some(EventListener::new(&m, "change", move |_| changed()))
}
