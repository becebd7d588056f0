//! A learner's progress on this browser: lessons completed, challenges passed, the best score
//! of each drill cause. Kept as JSON in local storage when the browser has it; a page without
//! storage (a sandboxed frame) starts empty and loses nothing else.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What is kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// Challenges passed, by id, in the order they were passed.
    pub challenges_passed: Vec<String>,
    /// Guided lessons completed, by id, in the order they were completed.
    pub lessons_completed: Vec<String>,
    /// The best score (0 to 100) of each drill cause diagnosed, by cause id.
    pub drill_best: BTreeMap<String, u32>,
}

impl Progress {
    /// Reads what was kept; text that is not progress (another version, hand-edited) gives
    /// empty progress rather than an error, since nothing the learner does depends on it.
    pub fn read(text: Option<&str>) -> Progress {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The text to keep.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("progress is plain data")
    }

    /// Marks challenge `id` passed; whether that is new.
    pub fn pass_challenge(&mut self, id: &str) -> bool {
        add(&mut self.challenges_passed, id)
    }

    /// Marks lesson `id` completed; whether that is new.
    pub fn complete_lesson(&mut self, id: &str) -> bool {
        add(&mut self.lessons_completed, id)
    }

    /// Records a drill score for `cause`; whether it is a new best.
    pub fn score_drill(&mut self, cause: &str, points: u32) -> bool {
        match self.drill_best.get(cause) {
            Some(&best) if best >= points => false,
            _ => {
                self.drill_best.insert(cause.to_string(), points);
                true
            }
        }
    }
}

fn add(list: &mut Vec<String>, id: &str) -> bool {
    if list.iter().any(|x| x == id) {
        return false;
    }
    list.push(id.to_string());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_and_unreadable_text_is_empty_progress() {
        let mut p = Progress::default();
        assert!(p.pass_challenge("stampede"));
        assert!(!p.pass_challenge("stampede"));
        assert!(p.complete_lesson("pool"));
        assert!(p.score_drill("code_bug", 70));
        assert!(!p.score_drill("code_bug", 40));
        assert_eq!(p.drill_best["code_bug"], 70);
        assert!(p.score_drill("code_bug", 90));
        assert_eq!(p.drill_best["code_bug"], 90);
        assert_eq!(Progress::read(Some(&p.to_text())), p);
        assert_eq!(Progress::read(Some("not json")), Progress::default());
        assert_eq!(Progress::read(None), Progress::default());
        // Progress kept before lessons and drills existed still reads.
        let old = Progress::read(Some(r#"{"challenges_passed":["a"]}"#));
        assert_eq!(old.challenges_passed, ["a"]);
    }
}
