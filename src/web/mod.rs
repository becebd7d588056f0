//! The web app (wasm only): a Yew component over [`Page`], the page's state and reducer. This
//! file turns browser events into [`Action`]s, carries out the [`Effect`]s they leave, keeps
//! the animation-frame loop and draws the charts after each render; the views live in one file
//! per region of the page.

mod architecture;
mod browser;
mod canvas;
mod chart_panel;
mod controls;
mod drill;
mod embed;
mod fault_panel;
mod files;
mod guide;
mod header;
mod panels;
mod quiz;
mod share;
mod stage;
mod theme;

use gloo_events::EventListener;
use gloo_render::AnimationFrame;
use yew::prelude::*;

use crate::app::embed::Command;
use crate::app::page::{Action, Effect, Page};
use chart_panel::Charts;

pub use browser::crash_for_test;

/// Mounts the app on the page's body, with a panic hook that keeps a crash from losing the
/// page: `boot.js` shows the message, a "copy report" button and "reopen the last working
/// state", which starts a fresh instance of the app on that state without a reload.
pub fn start() {
    browser::install_panic_hook();
    yew::Renderer::<App>::new().render();
}

/// The component's messages: a page action, or what only the browser layer handles.
pub enum Msg {
    /// Something done to the page.
    Act(Action),
    /// An animation frame at this timestamp (ms).
    Frame(f64),
    /// The window was resized: the charts measure themselves again.
    Resized,
    /// A file was picked or dropped: read it (the page gets its text).
    ImportFile(web_sys::File),
}

/// Callbacks made once, so child components' props stay equal between frames and the frame
/// loop does not redraw them (nor overwrite what a person is typing).
struct Callbacks {
    knob: Callback<(&'static str, String)>,
    seed: Callback<String>,
    fault_duration: Callback<String>,
    query_age: Callback<String>,
    log_filter: Callback<String>,
    select_log: Callback<u64>,
}

/// The page in the browser.
pub struct App {
    page: Page,
    host: embed::Host,
    callbacks: Callbacks,
    charts: Charts,
    /// The next animation frame asked for, if one is (dropping it cancels it).
    frame: Option<AnimationFrame>,
    /// A file being read, if one is (dropping it cancels the read).
    reading: Option<gloo_file::callbacks::FileReader>,
    _on_resize: Option<EventListener>,
    _on_theme: Option<EventListener>,
    /// How the architecture is drawn for the window's width.
    drawing: architecture::Drawing,
}

/// How the architecture is drawn in a window this wide, so its text stays at 11 px or more:
/// top to bottom up to 640 CSS pixels (a phone), dense from there to 800 on a page and to
/// 1 000 in a frame (a docs column), wide beyond.
fn window_drawing(embed: bool) -> architecture::Drawing {
    let width = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .unwrap_or(1280.0);
    let dense_up_to = if embed { 1000.0 } else { 800.0 };
    if width <= 640.0 {
        architecture::Drawing::Vertical
    } else if width <= dense_up_to {
        architecture::Drawing::Dense
    } else {
        architecture::Drawing::Wide
    }
}

impl App {
    /// Does what the page's last actions left to do.
    fn carry_out(&mut self, ctx: &Context<Self>) {
        for effect in self.page.take_effects() {
            match effect {
                Effect::WriteAddress(query) => browser::write_query(&query),
                Effect::RememberQuery(query) => browser::remember_working_query(query),
                Effect::RequestFrame => self.request_frame(ctx),
                Effect::Post {
                    message,
                    carries_state,
                } => self.host.post(&message, carries_state),
                Effect::Reply { origin, message } => self.host.reply(&origin, &message),
                Effect::Copy(text) => browser::copy_text(&text),
                Effect::Download { name, mime, text } => {
                    let _ = files::download_text(&name, mime, &text);
                }
                Effect::DownloadChart { index, svg, name } => {
                    self.charts.download(&self.page, index, svg, &name);
                }
                Effect::RedrawCharts => self.charts.invalidate(),
                Effect::Store { key, value } => browser::store(&key, &value),
                Effect::Theme(t) => {
                    theme::apply(t);
                    self.charts.invalidate();
                    self.request_frame(ctx);
                }
            }
        }
    }

    fn request_frame(&mut self, ctx: &Context<Self>) {
        if self.frame.is_none() {
            let link = ctx.link().clone();
            self.frame = Some(gloo_render::request_animation_frame(move |ts| {
                link.send_message(Msg::Frame(ts))
            }));
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let page = Page::new(
            &browser::read_query(),
            &browser::address_query(),
            Box::new(browser::BrowserEnv),
        );
        let link = ctx.link();
        let callbacks = Callbacks {
            knob: link.callback(|(id, text)| Msg::Act(Action::Knob(id, text))),
            seed: link.callback(|text| Msg::Act(Action::Seed(text))),
            fault_duration: link.callback(|text| Msg::Act(Action::FaultDuration(text))),
            query_age: link.callback(|text| Msg::Act(Action::QueryAge(text))),
            log_filter: link.callback(|text| Msg::Act(Action::LogFilter(text))),
            select_log: link.callback(|seq| Msg::Act(Action::SelectLog(seq))),
        };
        let on_command = link.callback(|(c, o): (Command, String)| Msg::Act(Action::Command(c, o)));
        let host = embed::Host::connect(page.options.clone(), on_command);
        let on_resize = web_sys::window().map(|w| {
            let link = link.clone();
            EventListener::new(&w, "resize", move |_| link.send_message(Msg::Resized))
        });
        theme::apply_options(&page.options);
        let embed = page.options.embed;
        let on_theme = {
            let link = link.clone();
            theme::on_system_change(move || link.send_message(Msg::Resized))
        };
        let mut app = App {
            page,
            host,
            callbacks,
            charts: Charts::default(),
            frame: None,
            reading: None,
            _on_resize: on_resize,
            _on_theme: on_theme,
            drawing: window_drawing(embed),
        };
        app.carry_out(ctx);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let render = match msg {
            Msg::Act(action) => self.page.reduce(action),
            Msg::Frame(ts) => {
                self.frame = None;
                if browser::crashed() {
                    return false;
                }
                self.page.reduce(Action::Frame(ts))
            }
            Msg::Resized => {
                self.drawing = window_drawing(self.page.options.embed);
                self.charts.invalidate();
                true
            }
            Msg::ImportFile(file) => {
                let link = ctx.link().clone();
                self.reading = files::read_text(file, move |name, read| {
                    link.send_message(Msg::Act(match read {
                        Ok(text) => Action::Imported(name, text),
                        Err(problem) => Action::ImportFailed(name, problem),
                    }))
                });
                false
            }
        };
        self.carry_out(ctx);
        render
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        self.charts.draw(&self.page);
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let o = &self.page.options;
        html! {
            <div class={classes!("app", o.embed.then_some("embed"), o.embed.then(|| format!("layout-{}", o.layout.name())))}>
                if !o.embed { <a class="skip" href="#stage">{ "Skip to the simulation" }</a> }
                { header::view(self, ctx.link()) }
                { header::banners(self, ctx.link()) }
                <div class={classes!("layout", (!o.shows(crate::app::embed::Panel::Controls) || o.pins_settings() || !self.page.settings_open).then_some("no-settings"))}>
                    { stage::settings(self, ctx.link()) }
                    <main id="stage" class="stage">
                        { stage::view(self, ctx.link()) }
                        { chart_panel::view(self, ctx.link()) }
                        { fault_panel::view(self, ctx.link()) }
                        { fault_panel::operator(self, ctx.link()) }
                        { stage::panels(self) }
                        { share::view(self, ctx.link()) }
                    </main>
                </div>
                { header::phone_transport(self, ctx.link()) }
            </div>
        }
    }
}
