//! The charts on the page: canvases drawn through [`CanvasPainter`] at the device's pixel
//! ratio, and PNG downloads drawn on a detached canvas. What is drawn is in `app::charts`.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::app::charts::{header, render, ChartData, ChartSpec, Painter, HEADER_PX};

/// The CSS size of a chart's canvas, in pixels. Reading it forces a layout, so the caller
/// measures once (and again after a resize), not on every redraw.
pub fn css_size(canvas: &HtmlCanvasElement) -> (f64, f64) {
    (
        canvas.client_width().max(100) as f64,
        canvas.client_height().max(80) as f64,
    )
}

/// Draws on a 2D canvas context.
pub struct CanvasPainter(pub CanvasRenderingContext2d);

impl Painter for CanvasPainter {
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        self.0.set_fill_style_str(fill);
        self.0.fill_rect(x, y, w, h);
    }

    fn line(&mut self, points: &[(f64, f64)], stroke: &str, width: f64, dash: &[f64]) {
        let ctx = &self.0;
        ctx.set_stroke_style_str(stroke);
        ctx.set_line_width(width);
        let pattern = js_sys::Array::new();
        for d in dash {
            pattern.push(&JsValue::from_f64(*d));
        }
        let _ = ctx.set_line_dash(&pattern);
        ctx.begin_path();
        for (i, (x, y)) in points.iter().enumerate() {
            if i == 0 {
                ctx.move_to(*x, *y);
            } else {
                ctx.line_to(*x, *y);
            }
        }
        ctx.stroke();
    }

    fn text(&mut self, text: &str, x: f64, y: f64, fill: &str, right: bool) {
        let ctx = &self.0;
        ctx.set_fill_style_str(fill);
        ctx.set_font("10px system-ui, sans-serif");
        ctx.set_text_align(if right { "right" } else { "left" });
        let _ = ctx.fill_text(text, x, y);
        ctx.set_text_align("left");
    }
}

/// Draws one chart on `canvas`, whose CSS box is `css_w` x `css_h`, at the device's pixel ratio.
pub fn draw(
    canvas: &HtmlCanvasElement,
    (css_w, css_h): (f64, f64),
    spec: &ChartSpec,
    data: &ChartData,
) -> Result<(), JsValue> {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (w, h) = ((css_w * ratio) as u32, (css_h * ratio) as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0)?;
    ctx.clear_rect(0.0, 0.0, css_w, css_h);
    let mut painter = CanvasPainter(ctx);
    render(&mut painter, spec, data, css_w, css_h, 0.0);
    let _ = painter.0.set_line_dash(&js_sys::Array::new());
    Ok(())
}

/// The chart as a PNG data URL (drawn at twice `w` x `h` on a detached canvas).
pub fn to_png(
    spec: &ChartSpec,
    data: &ChartData,
    w: f64,
    h: f64,
    endpoints: &[String],
) -> Result<String, JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
    let total_h = h + HEADER_PX;
    canvas.set_width((w * 2.0) as u32);
    canvas.set_height((total_h * 2.0) as u32);
    let ctx: CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    ctx.set_transform(2.0, 0.0, 0.0, 2.0, 0.0, 0.0)?;
    let mut p = CanvasPainter(ctx);
    p.rect(0.0, 0.0, w, total_h, "#ffffff");
    header(&mut p, spec, w, endpoints);
    render(&mut p, spec, data, w, h, HEADER_PX);
    canvas.to_data_url_with_type("image/png")
}
