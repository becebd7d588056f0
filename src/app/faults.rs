//! The fault panel as data: the buttons (what each injects, in words and as a [`Fault`]) and
//! the form beside them (how long, which instance), turned into a fault or a named problem.

use outage_lab_engine::scenario::{Fault, FaultKind};

/// A fault button: what it injects and how it is described.
pub struct FaultButton {
    /// The fault it injects.
    pub kind: FaultKind,
    /// The button's text.
    pub label: &'static str,
    /// What the fault does, in a few words (tooltip and screen readers).
    pub detail: &'static str,
    /// The slow-down or spike factor, for the faults that have one.
    pub multiplier: Option<f64>,
    /// The share of calls that fail, for the faults that have one.
    pub error_rate: Option<f64>,
    /// Whether it hits the instance chosen in the form (otherwise the whole service).
    pub per_instance: bool,
    /// Whether the broken instance fails fast, for a bad deploy.
    pub fail_fast: Option<bool>,
}

impl FaultButton {
    const fn new(kind: FaultKind, label: &'static str, detail: &'static str) -> FaultButton {
        FaultButton {
            kind,
            label,
            detail,
            multiplier: None,
            error_rate: None,
            per_instance: false,
            fail_fast: None,
        }
    }

    /// The `data-testid` of the button: `fault-` and the fault's scenario name.
    pub fn testid(&self) -> String {
        format!("fault-{}", outage_lab_engine::config::kind_name(self.kind))
    }
}

/// The fault buttons, in the order the panel shows them.
pub static FAULT_BUTTONS: &[FaultButton] = &[
    FaultButton::new(
        FaultKind::UpstreamDownFast,
        "Gateway down (fast)",
        "the payment gateway refuses connections at once",
    ),
    FaultButton::new(
        FaultKind::UpstreamHang,
        "Gateway hangs",
        "the gateway accepts connections and never answers",
    ),
    FaultButton {
        multiplier: Some(10.0),
        ..FaultButton::new(
            FaultKind::UpstreamSlow,
            "Gateway slow",
            "gateway latency x10",
        )
    },
    FaultButton {
        multiplier: Some(1000.0),
        ..FaultButton::new(
            FaultKind::DbSlow,
            "Missing index",
            "every query costs x1000 (5 ms becomes 5 s)",
        )
    },
    FaultButton::new(
        FaultKind::CacheFlush,
        "Cache flush",
        "every cache entry dropped now",
    ),
    FaultButton {
        multiplier: Some(3.0),
        ..FaultButton::new(FaultKind::TrafficSpike, "Traffic spike", "arrival rate x3")
    },
    FaultButton {
        per_instance: true,
        ..FaultButton::new(
            FaultKind::InstanceCrash,
            "Instance crash",
            "the chosen instance dies (in-flight requests get 502) and restarts at the end",
        )
    },
    FaultButton {
        per_instance: true,
        fail_fast: Some(false),
        ..FaultButton::new(
            FaultKind::BadDeploy,
            "Bad deploy",
            "the chosen instance runs without its configuration and answers 500 until rolled back",
        )
    },
    FaultButton {
        error_rate: Some(0.2),
        ..FaultButton::new(
            FaultKind::CodeBug,
            "Code bug",
            "20 % of requests throw an exception nothing catches (500)",
        )
    },
];

/// The form beside the buttons.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultForm {
    /// The duration as typed, in seconds.
    pub duration_text: String,
    /// The instance per-instance faults hit.
    pub instance: u32,
    /// Why the last press injected nothing, if it did not.
    pub problem: Option<String>,
}

impl Default for FaultForm {
    fn default() -> FaultForm {
        FaultForm {
            duration_text: "60".into(),
            instance: 0,
            problem: None,
        }
    }
}

impl FaultForm {
    /// The fault `button` injects with this form's duration and instance (its start is set
    /// when it is injected), or the problem with the duration typed.
    pub fn fault(&self, button: &FaultButton) -> Result<Fault, String> {
        let duration_s = match self.duration_text.trim().parse::<f64>() {
            Ok(d) if d.is_finite() && d > 0.0 => d,
            _ => {
                return Err(format!(
                    "fault duration: \"{}\" is not a number of seconds above 0",
                    self.duration_text.trim()
                ))
            }
        };
        Ok(Fault {
            kind: button.kind,
            start_s: 0.0,
            duration_s: if button.kind == FaultKind::CacheFlush {
                0.0
            } else {
                duration_s
            },
            multiplier: button.multiplier,
            error_rate: button.error_rate,
            instance: button.per_instance.then_some(self.instance),
            fail_fast: button.fail_fast,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_button_and_the_form_make_the_fault_or_name_the_bad_duration() {
        let crash = FAULT_BUTTONS
            .iter()
            .find(|b| b.kind == FaultKind::InstanceCrash)
            .expect("a crash button");
        let form = FaultForm {
            duration_text: " 30 ".into(),
            instance: 2,
            problem: None,
        };
        let fault = form.fault(crash).expect("valid");
        assert_eq!((fault.duration_s, fault.instance), (30.0, Some(2)));
        let flush = FAULT_BUTTONS
            .iter()
            .find(|b| b.kind == FaultKind::CacheFlush)
            .expect("a flush button");
        assert_eq!(
            form.fault(flush).expect("valid").duration_s,
            0.0,
            "a flush is an instant"
        );
        assert_eq!(form.fault(flush).expect("valid").instance, None);
        for bad in ["0", "-1", "NaN", "inf", "soon"] {
            let form = FaultForm {
                duration_text: bad.into(),
                ..FaultForm::default()
            };
            let problem = form.fault(crash).expect_err(bad);
            assert!(
                problem.starts_with("fault duration:") && problem.contains(bad),
                "{problem}"
            );
        }
        assert_eq!(FAULT_BUTTONS[0].testid(), "fault-upstream_down_fast");
    }
}
