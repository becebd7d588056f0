//! What the page asks of the browser beyond rendering: the clock and the address, the
//! clipboard, and the crash handling (a panic hook, the last working state to reopen).

use wasm_bindgen::{JsCast, JsValue};

use crate::app::page::Env;

thread_local! {
    /// The address query of the last state the page showed without error: what "reopen the
    /// last working state" opens after a crash (kept in memory, as storage may be unavailable).
    static LAST_WORKING_QUERY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    /// Set by the panic hook: this instance stops its frame loop (a fresh one may take over).
    static CRASHED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The page's surroundings in a browser.
pub struct BrowserEnv;

impl Env for BrowserEnv {
    fn now_ms(&self) -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }

    fn page_url(&self) -> Option<String> {
        let l = web_sys::window()?.location();
        Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
    }

    fn stored(&self, key: &str) -> Option<String> {
        local_storage()?.get_item(key).ok()?
    }
}

/// The page's local storage, unless the browser refuses it (a sandboxed frame, private mode).
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Keeps `value` under `key` in local storage when there is one; without it, nothing is kept
/// and nothing fails.
pub fn store(key: &str, value: &str) {
    if let Some(s) = local_storage() {
        let _ = s.set_item(key, value);
    }
}

/// Installs the panic hook: it stops this instance's frame loop and hands the message and the
/// last working state to `boot.js`, which shows the crash banner.
pub fn install_panic_hook() {
    // boot.js numbers the app instances it starts; a crash of an older one is not shown.
    let instance = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"outageLabInstance".into()).ok())
        .unwrap_or(JsValue::UNDEFINED);
    // Yew installs its own hook on render unless given one.
    yew::set_custom_panic_hook(Box::new(move |info| {
        let message = info.to_string();
        let _ = CRASHED.try_with(|c| c.set(true));
        web_sys::console::error_1(&message.clone().into());
        let query = LAST_WORKING_QUERY
            .try_with(|q| q.try_borrow().map(|q| q.clone()).unwrap_or_default())
            .unwrap_or_default();
        let crashed = web_sys::window().and_then(|w| {
            js_sys::Reflect::get(&w, &"outageLabCrashed".into())
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()
        });
        if let Some(f) = crashed {
            let _ = f.call3(&JsValue::NULL, &message.into(), &query.into(), &instance);
        }
    }));
}

/// Whether this instance has crashed (its frame loop stops).
pub fn crashed() -> bool {
    CRASHED.try_with(std::cell::Cell::get).unwrap_or(true)
}

/// Panics on purpose, so browser tests can check that a crash shows the banner and that the
/// last working state reopens. Nothing in the page calls it.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn crash_for_test(reason: String) {
    panic!("crash requested for a test: {reason}");
}

/// Remembers `query` as the last state shown without error.
pub fn remember_working_query(query: String) {
    let _ = LAST_WORKING_QUERY.try_with(|q| q.replace(query));
}

/// The state to open: the one `boot.js` hands over when it reopens the app after a crash
/// (taken once), or the address query.
pub fn read_query() -> String {
    let Some(w) = web_sys::window() else {
        return String::new();
    };
    let key: JsValue = "outageLabReopen".into();
    if let Some(query) = js_sys::Reflect::get(&w, &key)
        .ok()
        .and_then(|v| v.as_string())
    {
        let _ = js_sys::Reflect::delete_property(&w, &key);
        return query;
    }
    address_query()
}

/// The address's own query (embedding options are read from it, even after a crash).
pub fn address_query() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Puts `query` in the address bar without adding to the history.
pub fn write_query(query: &str) {
    if let Some(w) = web_sys::window() {
        let path = w.location().pathname().unwrap_or_default();
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(
                &JsValue::NULL,
                "",
                Some(&format!("{path}?{query}")),
            );
        }
    }
}

/// Puts `text` on the clipboard; a refusal (no permission, a sandbox) is ignored, the text
/// being shown in a field next to the button as well.
pub fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let promise = w.navigator().clipboard().write_text(text);
        let ignore =
            wasm_bindgen::closure::Closure::wrap(Box::new(|_: JsValue| {}) as Box<dyn FnMut(_)>);
        let _ = promise.catch(&ignore);
        ignore.forget();
    }
}
