//! The operator panel as data: what an on-call engineer can do to the running service
//! (restart an instance, restart them all in turn, kill long-running queries) and the form
//! beside the buttons, turned into an [`OperatorAction`] or a named problem.

use outage_lab_engine::scenario::{ActionKind, OperatorAction};

/// An operator button: the action it takes and how it is described.
pub struct OperatorButton {
    /// The action it takes.
    pub kind: ActionKind,
    /// The button's text.
    pub label: &'static str,
    /// What it does, in a few words (tooltip and screen readers).
    pub detail: &'static str,
}

impl OperatorButton {
    /// The `data-testid` of the button: `act-` and the action's scenario name.
    pub fn testid(&self) -> String {
        format!("act-{}", outage_lab_engine::config::action_name(self.kind))
    }
}

/// The operator buttons, in the order the panel shows them.
pub static OPERATOR_BUTTONS: &[OperatorButton] = &[
    OperatorButton {
        kind: ActionKind::KillQueries,
        label: "Kill long queries",
        detail: "cancel every query running longer than the age given (pg_cancel_backend): their requests fail with 500 and free their connections",
    },
    OperatorButton {
        kind: ActionKind::RestartInstance,
        label: "Restart instance",
        detail: "stop the chosen instance at once (its requests in progress are lost: 502) and start it again 10 s later with the current settings",
    },
    OperatorButton {
        kind: ActionKind::RollingRestart,
        label: "Rolling restart",
        detail: "restart every instance in turn, the next when the one before is back (10 s each)",
    },
];

/// The form beside the operator buttons.
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorForm {
    /// The age above which "kill long queries" cancels a query, in seconds, as typed.
    pub longer_than_text: String,
    /// The instance "restart instance" restarts.
    pub instance: u32,
    /// Why the last press did nothing, if it did not.
    pub problem: Option<String>,
}

impl Default for OperatorForm {
    fn default() -> OperatorForm {
        OperatorForm {
            longer_than_text: "10".into(),
            instance: 0,
            problem: None,
        }
    }
}

impl OperatorForm {
    /// The action `kind` with this form's age and instance (its time is set when it is
    /// taken), or the problem with the age typed.
    pub fn action(&self, kind: ActionKind) -> Result<OperatorAction, String> {
        let longer_than_s = match kind {
            ActionKind::KillQueries => match self.longer_than_text.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s >= 0.0 => Some(s),
                _ => {
                    return Err(format!(
                        "query age: \"{}\" is not a number of seconds from 0 up",
                        self.longer_than_text.trim()
                    ))
                }
            },
            _ => None,
        };
        Ok(OperatorAction {
            kind,
            at_s: 0.0,
            instance: (kind == ActionKind::RestartInstance).then_some(self.instance),
            longer_than_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_makes_each_action_or_names_the_bad_age() {
        let form = OperatorForm {
            longer_than_text: " 5 ".into(),
            instance: 3,
            problem: None,
        };
        let kill = form.action(ActionKind::KillQueries).expect("valid");
        assert_eq!((kill.longer_than_s, kill.instance), (Some(5.0), None));
        let restart = form.action(ActionKind::RestartInstance).expect("valid");
        assert_eq!((restart.longer_than_s, restart.instance), (None, Some(3)));
        let rolling = form.action(ActionKind::RollingRestart).expect("valid");
        assert_eq!((rolling.longer_than_s, rolling.instance), (None, None));
        for bad in ["-1", "NaN", "inf", "later", ""] {
            let form = OperatorForm {
                longer_than_text: bad.into(),
                ..OperatorForm::default()
            };
            let problem = form.action(ActionKind::KillQueries).expect_err(bad);
            assert!(problem.starts_with("query age:"), "{problem}");
            assert!(
                form.action(ActionKind::RollingRestart).is_ok(),
                "the age is not used"
            );
        }
        assert_eq!(OPERATOR_BUTTONS[0].testid(), "act-kill_queries");
    }
}
