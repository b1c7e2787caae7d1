//! States, actions and roles: the vocabulary of the path.
//!
//! The states and actions are enums because the charging rules give each a
//! meaning (dispatch starts the clock, a report is a candidate completion…);
//! which action leads from which state to which, and who may take it, is the
//! move table of the workflow file ([`crate::core::Workflow::transition`]).

use std::fmt;
use std::str::FromStr;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} `{}` (expected one of: {})",
                        stringify!($name).to_lowercase(),
                        text,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// Where an issue stands.
    State {
        Registered = "registered",
        Assigned = "assigned",
        Rectifying = "rectifying",
        Reported = "reported",
        Rechecked = "rechecked",
        Closed = "closed",
        /// 退回待定: the unit returned it; 攻坚办 is to rule on it.
        Returned = "returned",
        /// 已撤销: a final state; nothing is owed or charged for it any more.
        Withdrawn = "withdrawn",
    }
);

named_enum!(
    /// A move an issue can make.
    Action {
        Dispatch = "dispatch",
        Accept = "accept",
        Report = "report",
        RecheckPass = "recheck_pass",
        RecheckFail = "recheck_fail",
        Close = "close",
        /// 退回: the unit says the issue is not its own.
        Return = "return",
        /// 改派: a new assignment, to another unit, with a new dispatch date.
        Reassign = "reassign",
        /// 驳回: back to the same unit, with the same dispatch date.
        RejectReturn = "reject_return",
        /// 撤销: the issue should never have been registered.
        Withdraw = "withdraw",
    }
);

named_enum!(
    /// Who a user is.
    Role {
        Admin = "admin",
        Dispatcher = "dispatcher",
        Unit = "unit",
        Rechecker = "rechecker",
        Assessor = "assessor",
    }
);

impl State {
    /// The unit still has work to do: the state in which tier reminders are
    /// owed and in which the start of the overdue day makes the charge final.
    pub fn with_unit(self) -> bool {
        matches!(self, State::Assigned | State::Rectifying)
    }

    /// Dispatched and not yet passed by a recheck (nor withdrawn).
    pub fn is_open(self) -> bool {
        matches!(self, State::Assigned | State::Rectifying | State::Reported | State::Returned)
    }
}

impl Action {
    /// The action name used by the API and the timeline: both recheck moves
    /// are `recheck` with a `passed` flag there.
    pub fn api_name(self) -> &'static str {
        match self {
            Action::RecheckPass | Action::RecheckFail => "recheck",
            other => other.as_str(),
        }
    }

    pub fn recheck(passed: bool) -> Action {
        if passed { Action::RecheckPass } else { Action::RecheckFail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_explained() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>().unwrap(), *state);
        }
        let err = "done".parse::<State>().unwrap_err();
        assert!(err.contains("unknown state `done`"), "{err}");
        assert_eq!(Action::recheck(false).api_name(), "recheck");
    }
}
