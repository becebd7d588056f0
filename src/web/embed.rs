//! The frame side of the embedding protocol: messages to the host page (ready, resize,
//! events, state) and commands from it, checked for origin and shape.

use gloo_events::EventListener;
use serde_json::{json, Value as Json};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, ResizeObserver, Window};
use yew::Callback;

use crate::app::embed::{message, parse_command, Command, EmbedOptions};

/// The connection to the host page, if the app runs in a frame.
pub struct Host {
    options: EmbedOptions,
    parent: Option<Window>,
    _on_message: Option<EventListener>,
    _on_resize: Option<Closure<dyn FnMut()>>,
    _observer: Option<ResizeObserver>,
}

/// A JSON value as a plain JavaScript value, for `postMessage`. Through JSON text, not
/// serde-wasm-bindgen: measured, that crate adds 8.5 KB to the bundle for these few messages.
fn to_js(value: &Json) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

impl Host {
    /// Connects to the parent window (nothing happens when the page is not in a frame):
    /// commands from allowed origins go to `on_command`, the page's height is reported.
    pub fn connect(options: EmbedOptions, on_command: Callback<(Command, String)>) -> Host {
        let window = web_sys::window();
        let parent = window
            .as_ref()
            .and_then(|w| w.parent().ok().flatten())
            .filter(|p| window.as_ref().is_some_and(|w| !js_sys::Object::is(p, w)));
        let mut host = Host {
            options,
            parent,
            _on_message: None,
            _on_resize: None,
            _observer: None,
        };
        let (Some(window), Some(_)) = (window, host.parent.as_ref()) else {
            return host;
        };
        let options = host.options.clone();
        let parent = host.parent.clone();
        let on_message = EventListener::new(&window, "message", move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let origin = event.origin();
            if !options.allows(&origin) {
                return;
            }
            let data = js_sys::JSON::stringify(&event.data())
                .ok()
                .and_then(|s| s.as_string())
                .and_then(|s| serde_json::from_str::<Json>(&s).ok());
            let Some(data) = data else { return };
            match parse_command(&data) {
                Ok(Some(command)) => on_command.emit((command, origin)),
                Ok(None) => {}
                Err(problem) => {
                    if let Some(p) = &parent {
                        let reply = message("error", json!({ "message": problem }));
                        let _ = p.post_message(&to_js(&reply), &origin);
                    }
                }
            }
        });
        host._on_message = Some(on_message);

        let parent = host.parent.clone();
        let origins = host.options.origins.clone();
        let last_height = std::cell::Cell::new(0);
        let doc = window.document();
        let on_resize = Closure::wrap(Box::new(move || {
            // The body's own height, not the root's scroll height: that one is never below the
            // frame's, so a frame could grow but never shrink back.
            let Some(body) = doc.as_ref().and_then(|d| d.body()) else {
                return;
            };
            let height = body.get_bounding_client_rect().height().ceil() as i32;
            if height == last_height.get() {
                return;
            }
            last_height.set(height);
            if let Some(p) = &parent {
                post_to(
                    p,
                    &origins,
                    &message("resize", json!({ "height": height })),
                    false,
                );
            }
        }) as Box<dyn FnMut()>);
        if let Ok(observer) = ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            if let Some(body) = window.document().and_then(|d| d.body()) {
                observer.observe(&body);
            }
            host._observer = Some(observer);
        }
        host._on_resize = Some(on_resize);
        host.post(&message("ready", json!({})), false);
        host
    }

    /// Posts a message to the host. One that `carries_state` (settings, a link) goes only to
    /// the allowed origins; others go to them, or to any host when none is given.
    pub fn post(&self, msg: &Json, carries_state: bool) {
        if let Some(p) = &self.parent {
            post_to(p, &self.options.origins, msg, carries_state);
        }
    }

    /// Replies to one allowed origin.
    pub fn reply(&self, origin: &str, msg: &Json) {
        if let Some(p) = &self.parent {
            if self.options.allows(origin) {
                let _ = p.post_message(&to_js(msg), origin);
            }
        }
    }
}

fn post_to(parent: &Window, origins: &[String], msg: &Json, carries_state: bool) {
    let value = to_js(msg);
    if origins.is_empty() {
        if !carries_state {
            let _ = parent.post_message(&value, "*");
        }
        return;
    }
    for origin in origins {
        let _ = parent.post_message(&value, origin);
    }
}
