//! Downloads (a generated file, saved by the browser) and reading a file the person picked or
//! dropped.

use gloo_file::callbacks::FileReader;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, File, HtmlAnchorElement, Url};

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
/// else refused), then hands the file's name and its text, or the problem, to `done`. The read
/// goes on while the returned handle lives (`None`: it ended already, with a problem).
pub fn read_text(
    file: File,
    done: impl FnOnce(String, Result<String, String>) + 'static,
) -> Option<FileReader> {
    let name = file.name();
    if file.size() > FILE_BYTES_MAX {
        let problem = format!(
            "(file): is {} bytes; a scenario may be at most 1048576 bytes",
            file.size()
        );
        done(name, Err(problem));
        return None;
    }
    let file = gloo_file::File::from(file);
    Some(gloo_file::callbacks::read_as_bytes(&file, move |read| {
        let text = match read {
            Ok(bytes) => outage_lab_engine::config::scenario_text(&bytes)
                .map(str::to_string)
                .map_err(|problem| problem.to_string()),
            Err(_) => Err("(file): could not be read".into()),
        };
        done(name, text);
    }))
}
