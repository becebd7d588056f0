//! Downloads (a generated file, saved by the browser) and reading a file the person picked or
//! dropped.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, File, FileReader, HtmlAnchorElement, Url};
use yew::Callback;

/// Offers `text` as a file named `name`.
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let result = download_url(name, &url);
    Url::revoke_object_url(&url)?;
    result
}

/// Offers the resource at `url` (an object or data URL) as a file named `name`.
pub fn download_url(name: &str, url: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let anchor: HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    anchor.set_href(url);
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// The largest file read, in bytes (a scenario may be at most 1 MiB).
pub const FILE_BYTES_MAX: f64 = 1_048_576.0;

/// Reads `file`'s bytes and decodes them as the command line does
/// ([`outage_lab_engine::config::scenario_text`]: UTF-8, a byte-order mark dropped, anything
/// else refused), then hands (name, text) to `done`, or (name, the problem) to `failed`.
pub fn read_text(file: File, done: Callback<(String, String)>, failed: Callback<(String, String)>) {
    let name = file.name();
    if file.size() > FILE_BYTES_MAX {
        failed.emit((
            name,
            format!(
                "(file): is {} bytes; a scenario may be at most 1048576 bytes",
                file.size()
            ),
        ));
        return;
    }
    let Ok(reader) = FileReader::new() else {
        failed.emit((name, "(file): this browser cannot read files".into()));
        return;
    };
    let handle = reader.clone();
    let failed_load = failed.clone();
    let on_load = Closure::once_into_js(move || {
        let bytes = handle
            .result()
            .ok()
            .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec());
        match bytes
            .as_deref()
            .map(outage_lab_engine::config::scenario_text)
        {
            Some(Ok(text)) => done.emit((name, text.to_string())),
            Some(Err(problem)) => failed_load.emit((name, problem.to_string())),
            None => failed_load.emit((name, "(file): could not be read".into())),
        }
    });
    reader.set_onload(Some(on_load.unchecked_ref()));
    if reader.read_as_array_buffer(&file).is_err() {
        failed.emit((file.name(), "(file): could not be read".into()));
    }
}
