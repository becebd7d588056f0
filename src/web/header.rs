//! The top of the page: the title, the scenario picker, playback (play, step, reset, run to
//! the end, A/B, speed, seed) and the clock; below it the banners, the live region and the
//! A/B bar.

use web_sys::HtmlSelectElement;
use yew::html::Scope;
use yew::prelude::*;

use super::controls::CommitField;
use super::{App, Msg};
use crate::app::embed::Panel;
use crate::app::pacing::SPEEDS;
use crate::app::page::Action;
use crate::app::presets::PRESETS;

fn act(action: Action) -> Msg {
    Msg::Act(action)
}

/// The top bar.
pub fn view(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let o = &page.options;
    html! {
        <header class="topbar">
            <div class="brand">
                if o.embed {
                    <p class="embed-title"><strong>{ "Outage Lab" }</strong>{ format!(" · {}", page.title()) }</p>
                } else {
                    <h1>{ "Outage Lab" }</h1>
                    <p class="tagline">{ "Watch a web service fail under load, and learn what fixes it." }</p>
                }
            </div>
            if o.shows(Panel::Presets) { { preset_picker(app, link) } }
            if o.shows(Panel::Controls) && !o.pins_settings() { { settings_toggle(app, link, "settings-toggle") } }
            if o.shows(Panel::Transport) { { transport(app, link) } }
            { clock(app) }
        </header>
    }
}

/// The button that opens and closes the settings drawer.
fn settings_toggle(app: &App, link: &Scope<App>, testid: &'static str) -> Html {
    let open = app.page.settings_open;
    html! {
        <button type="button" class="secondary settings-toggle" data-testid={testid}
                aria-expanded={open.to_string()} aria-controls="settings"
                onclick={link.callback(move |_| act(Action::ShowSettings(!open)))}>
            { if open { "Hide settings" } else { "Settings" } }
        </button>
    }
}

/// On a phone: Play, Step and the clock in a bar fixed at the bottom of the screen, within
/// reach of a thumb, and the settings sheet's button.
pub fn phone_transport(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let o = &page.options;
    if !o.shows(Panel::Transport) {
        return html! {};
    }
    let a = &page.pair.a;
    let (playing, finished) = (a.is_playing(), a.sim().is_finished());
    html! {
        <div class="phone-transport" role="group" aria-label="Playback (phone)">
            <button type="button" class="primary play" data-testid="phone-play" onclick={link.callback(|_| act(Action::PlayPause))}
                    aria-pressed={playing.to_string()}>
                { if playing { "❚❚ Pause" } else if finished { "▶ Again" } else { "▶ Play" } }
            </button>
            <button type="button" class="secondary" data-testid="phone-step" onclick={link.callback(|_| act(Action::Step))} disabled={finished}>{ "Step" }</button>
            <span class="phone-clock">{ format!("t = {:.0} s", a.sim().now().as_secs_f64()) }</span>
            if o.shows(Panel::Controls) && !o.pins_settings() { { settings_toggle(app, link, "phone-settings") } }
        </div>
    }
}

fn preset_picker(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let on_preset = link.callback(|e: Event| {
        act(Action::Preset(
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        ))
    });
    html! {
        <div class="preset-picker">
            <label for="preset">{ "Scenario" }</label>
            <select id="preset" data-testid="preset" onchange={on_preset} disabled={page.options.locked}>
                <optgroup label="Lessons">
                    { for PRESETS.iter().map(|p| html! {
                        <option value={p.id} selected={p.id == page.preset.id && page.imported.is_none() && page.challenge.is_none() && page.drill.is_none() && page.quiz.is_none() && page.guide.is_none()}>{ p.title }</option>
                    }) }
                </optgroup>
                <optgroup label="Course: guided lessons">
                    { for crate::app::guide::GUIDES.iter().enumerate().map(|(i, g)| html! {
                        <option value={format!("guide:{}", g.id)} selected={page.guide.as_ref().is_some_and(|r| r.id == g.id)}>
                            { format!("{}{}. {}", if page.progress.lessons_completed.iter().any(|l| l == g.id) { "✓ " } else { "" }, i + 1, g.title) }
                        </option>
                    }) }
                </optgroup>
                <optgroup label="Challenges">
                    { for crate::app::challenges::CHALLENGES.iter().map(|c| html! {
                        <option value={format!("challenge:{}", c.id)} selected={page.challenge.is_some_and(|x| x.id == c.id)}>
                            { format!("{}Challenge (level {}): {}",
                                if page.progress.challenges_passed.iter().any(|id| id == c.id) { "✓ passed · " } else { "" },
                                c.level, c.title) }
                        </option>
                    }) }
                </optgroup>
                <optgroup label="Drills">
                    <option value="quiz" selected={page.quiz.is_some()}>{ "Quick drill: which status code?" }</option>
                    <option value="drill:new" selected={page.drill.is_some()}>
                        { match page.progress.drill_best.len() {
                            0 => "Incident drill: find a hidden cause".to_string(),
                            n => format!("Incident drill ({n}/{} causes diagnosed)", crate::app::drills::CAUSES.len()),
                        } }
                    </option>
                </optgroup>
                if page.imported.is_some() {
                    <option value="" selected=true disabled=true>{ format!("{} (imported)", page.title()) }</option>
                }
            </select>
        </div>
    }
}

fn transport(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let a = &page.pair.a;
    let (playing, finished, locked) = (a.is_playing(), a.sim().is_finished(), page.options.locked);
    let comparing = page.pair.b.is_some();
    let on_speed = link.callback(|e: Event| {
        act(Action::Speed(
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        ))
    });
    let seed_problem = page.problems.iter().any(|p| p.path == "seed");
    // A docs page's embed keeps the transport short: A/B and the seed only in the full layout.
    let full = !page.options.embed || page.options.layout == crate::app::embed::Layout::Full;
    html! {
        <div class={classes!("transport", super::guide::focus(page, crate::app::guide::Region::Transport))} role="group" aria-label="Playback">
            <button type="button" class="primary play" data-testid="play" onclick={link.callback(|_| act(Action::PlayPause))}
                    aria-pressed={playing.to_string()}>
                { if playing { "❚❚ Pause" } else if finished { "▶ Play again" } else { "▶ Play" } }
            </button>
            <button type="button" class="secondary" data-testid="step" onclick={link.callback(|_| act(Action::Step))} disabled={finished}>{ "Step 1 s" }</button>
            <button type="button" data-testid="reset" class={classes!("secondary", (!page.pending.is_empty()).then_some("attention"))}
                    onclick={link.callback(|_| act(Action::Reset))}>
                { if page.pending.is_empty() { "Reset" } else { "Reset to apply" } }
            </button>
            <button type="button" class="secondary" data-testid="run-to-end" data-run={page.generation.to_string()} onclick={link.callback(|_| act(Action::RunToEnd))}>{ "Run to the end" }</button>
            if !locked && full {
                <button type="button" class="secondary" data-testid="compare" aria-pressed={comparing.to_string()}
                        onclick={link.callback(move |_| act(Action::Compare(!comparing)))}>
                    { if comparing { "Leave A/B" } else { "Compare A/B" } }
                </button>
            }
            <label for="speed">{ "Speed" }</label>
            <select id="speed" data-testid="speed" onchange={on_speed}>
                { for SPEEDS.iter().map(|s| html! {
                    <option value={s.as_param()} selected={*s == a.speed}>{ s.label() }</option>
                }) }
            </select>
            if !locked && full {
                <label for="seed">{ "Seed" }</label>
                <CommitField id="seed" testid="seed" inputmode="numeric"
                             value={AttrValue::from(page.scenario.seed.to_string())}
                             invalid={seed_problem} describedby={AttrValue::from("seed-help")}
                             on_commit={app.callbacks.seed.clone()} />
                <span id="seed-help" class="sr-only">{ "A new seed restarts the run with other random draws." }</span>
            }
        </div>
    }
}

fn clock(app: &App) -> Html {
    let page = &app.page;
    let a = &page.pair.a;
    let sim = a.sim();
    let (now_s, end_s) = (sim.now().as_secs_f64(), sim.end().as_secs_f64());
    let playing = a.is_playing();
    let achieved = a.achieved_speed();
    let lag_why = "the simulation needs more CPU than a frame allows, so it runs slower than asked";
    let speed_note = if playing && a.is_lagging() {
        format!("running at {achieved:.1}x (slower than asked)")
    } else if playing {
        format!("running at {achieved:.1}x")
    } else if sim.is_finished() {
        "finished".into()
    } else {
        "paused".into()
    };
    // A docs embed's speed menu shows the speed already: the clock keeps to one line with the title.
    let speed_words = if page.options.is_docs_embed() {
        format!(" · {speed_note}")
    } else {
        format!(" · {} · {speed_note}", a.speed.label())
    };
    html! {
        <div class="clock" data-testid="clock" data-now-s={format!("{now_s:.3}")} data-playing={playing.to_string()}
             data-b-lags={page.pair.b_lags().to_string()} data-achieved-speed={format!("{achieved:.3}")} data-lagging={a.is_lagging().to_string()}
             data-sim-ms={format!("{:.3}", page.last_sim_ms)} data-charts-ms={format!("{:.3}", app.charts.last_draw_ms)}>
            <span class="clock-time">{ format!("t = {now_s:.1} s") }</span>
            <span class="quiet">{ format!(" of {end_s:.0} s") }</span>
            <span class="speed-note" data-testid="speed-note" title={(playing && a.is_lagging()).then_some(lag_why)}>{ speed_words }</span>
        </div>
    }
}

/// The banners under the top bar, the live region and, in A/B mode, the A/B bar.
pub fn banners(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let seed_problem = page.problems.iter().find(|p| p.path == "seed");
    html! {
        <>
            if let Some(p) = seed_problem {
                <p class="banner error" role="alert" data-testid="seed-error">{ p.to_string() }</p>
            }
            if let Some((reachable, fits)) = page.too_fast {
                <div class="banner" role="status" data-testid="heavy-notice">
                    { format!("At its peak this scenario needs more work than the page can do at {}: it will run at about {:.2}x there. ", page.pair.a.speed.label(), reachable) }
                    if let Some(fits) = fits {
                        <button type="button" data-testid="run-slower"
                                onclick={let p = fits.as_param(); link.callback(move |_| act(Action::Speed(p.clone())))}>
                            { format!("Run at {}", fits.label()) }
                        </button>
                    }
                </div>
            }
            if let Some(notice) = &page.notice {
                <p class="banner error" role="alert" data-testid="link-error">{ notice.to_string() }</p>
            }
            <div class="sr-only" aria-live="assertive" data-testid="announcer">{ &page.announcement }</div>
            if page.pair.b.is_some() { { ab_bar(app, link) } }
        </>
    }
}

fn ab_bar(app: &App, link: &Scope<App>) -> Html {
    let page = &app.page;
    let editing_b = page.pair.editing_b;
    html! {
        <div class="ab-bar" role="group" aria-label="A/B comparison">
            <strong>{ "A/B" }</strong>
            <span class="quiet small">{ "Same seed, same arrivals, one clock. Settings edit:" }</span>
            <button type="button" data-testid="edit-a" class={classes!("side", (!editing_b).then_some("on"))}
                    aria-pressed={(!editing_b).to_string()} onclick={link.callback(|_| act(Action::EditSide(false)))}>{ "A" }</button>
            <button type="button" data-testid="edit-b" class={classes!("side", editing_b.then_some("on"))}
                    aria-pressed={editing_b.to_string()} onclick={link.callback(|_| act(Action::EditSide(true)))}>{ "B" }</button>
            if !page.differs.is_empty() {
                <span class="small" data-testid="ab-differs">{ format!("B differs in: {}", page.differs.join(", ")) }</span>
            }
        </div>
    }
}
