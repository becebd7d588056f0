//! The host's control beyond the transport: change a setting, inject a fault, run to a time,
//! subscribe to each second's figures; and the `second` messages themselves.

use serde_json::{json, Value as Json};

use super::{Effect, Page};
use crate::app::embed::{message, Command};
use crate::app::knobs::knob;
use outage_lab_engine::scenario::Fault;
use outage_lab_engine::SimTime;

impl Page {
    /// Carries out `set`, `fault`, `run_to` and `subscribe`; a refused one is answered with an
    /// `error` naming the field and the reason. False when nothing changed.
    pub(super) fn obey_control(&mut self, command: Command, origin: &str) -> bool {
        let error = |text: String| Effect::Reply {
            origin: origin.to_string(),
            message: message("error", json!({ "message": text })),
        };
        match command {
            Command::Set { setting, value } => {
                let Some(k) = knob(&setting) else {
                    let text = format!("set: \"{setting}\" is not a setting");
                    self.effects.push(error(text));
                    return false;
                };
                self.set_knob(k.id, &value);
                if let Some(p) = self.problems.first() {
                    let text = format!("set: {}: {}", p.path, p.message);
                    self.effects.push(error(text));
                    return true;
                }
            }
            Command::Fault(mut f) => {
                if let Some(obj) = f.as_object_mut() {
                    obj.entry("start_s").or_insert(json!(0.0));
                }
                let fault: Fault = match serde_json::from_value(f) {
                    Ok(fault) => fault,
                    Err(e) => {
                        self.effects.push(error(format!("fault: {e}")));
                        return false;
                    }
                };
                match self.pair.inject(&fault) {
                    Ok(_) => {
                        self.generation += 1;
                        self.state_changed();
                    }
                    Err(problems) => {
                        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                        self.effects
                            .push(error(format!("fault: {}", text.join("; "))));
                        return false;
                    }
                }
            }
            Command::RunTo(t_s) => {
                let t = SimTime::from_micros((t_s * 1e6) as u64);
                self.pair.a.pause_at = Some(t);
                if self.pair.a.sim().now() < t && !self.pair.a.is_playing() {
                    self.update_play();
                }
            }
            Command::Subscribe(on) => {
                self.subscribed = on;
                self.seconds_posted = self.pair.a.sim().seconds().len();
            }
            _ => return false,
        }
        true
    }

    /// Opens a learning link a host loads (`guide=`, `drill=`, `quiz=`); `None` when the link
    /// is none of those (a scenario link), else whether it opened (an error is answered).
    pub(super) fn load_learning_link(&mut self, query: &str, origin: &str) -> Option<bool> {
        let opened = if let Some(r) = Page::guide_in_query(query) {
            r.map(|id| self.open_guide(id))
        } else if let Some(r) = Page::drill_in_query(query) {
            r.map(|(spec, answer)| self.open_drill(spec, answer))
                .map_err(|e| e.to_string())
        } else {
            Page::quiz_in_query(query)?.map(|i| self.open_quiz(i))
        };
        Some(match opened {
            Ok(()) => true,
            Err(text) => {
                self.effects.push(Effect::Reply {
                    origin: origin.to_string(),
                    message: message("error", json!({ "message": text })),
                });
                false
            }
        })
    }

    /// Posts a `second` message for each second closed since the last post, when subscribed.
    pub(super) fn post_seconds(&mut self) {
        if !self.subscribed {
            return;
        }
        let rows = self.pair.a.sim().seconds();
        if rows.len() < self.seconds_posted {
            // The run started over.
            self.seconds_posted = 0;
        }
        let new: Vec<Json> = rows[self.seconds_posted..]
            .iter()
            .map(|r| {
                json!({
                    "t_s": r.t_s,
                    "requests": r.requests,
                    "ok": r.status.ok_200,
                    "rate_5xx": r.status.rate_5xx(),
                    "failed_share": r.status.rate_failed(),
                    "p99_ms": r.latency_p99_ms,
                    "threads_busy": r.threads_busy,
                    "pool_waiters": r.pool_waiters,
                })
            })
            .collect();
        self.seconds_posted = rows.len();
        for figures in new {
            self.effects.push(Effect::Post {
                message: message("second", figures),
                carries_state: false,
            });
        }
    }
}
