//! The words an issue page puts around each move: its heading, its note
//! field, its button's look and id, and what it asks before a destructive
//! move. Labels and evidence stay the workflow's ([`super::actions`]); a
//! move with no words here is not made from an issue page.
//!
//! The ids are what the pages' tests and the unit's links (`#report`) know
//! a form by, so they do not follow the labels.

use crate::core::correction::Undo;
use crate::core::state::Action;
use crate::core::{Points, Quarter};

pub struct Words {
    pub key: &'static str,
    pub heading: &'static str,
    pub explain: &'static [&'static str],
    /// (id, label, placeholder) of the note field; `None`: no note.
    pub note: Option<(&'static str, &'static str, &'static str)>,
    /// The move may carry photos (the workflow says how many it must).
    pub photos: bool,
    pub button: &'static str,
    pub class: &'static str,
    pub passed: &'static str,
    /// Asked before the move is made; empty: not asked.
    pub confirm: &'static str,
    /// Where the page goes after the move; empty: back to the issue.
    pub back: &'static str,
    /// A correction: set apart from the path's own forms.
    pub danger: bool,
    /// Folded until opened: rare, final, and on every page of 攻坚办's.
    pub folded: bool,
    /// The note field's error when the workflow needs a note and there is none.
    pub missing_note: &'static str,
}

const PLAIN: Words = Words {
    key: "",
    heading: "",
    explain: &[],
    note: None,
    photos: false,
    button: "",
    class: "primary big",
    passed: "",
    confirm: "",
    back: "",
    danger: false,
    folded: false,
    missing_note: "请填写说明",
};

const RECHECK_NOTE: Option<(&str, &str, &str)> = Some(("note", "复核意见", "不通过时必须写明原因"));
const RECHECK_MISSING: &str = "复核不通过时，请写明原因，便于责任单位整改";

pub fn of(action: Action) -> Option<Words> {
    Some(match action {
        Action::Dispatch => return None,
        Action::Accept => Words {
            key: "accept",
            heading: "签收",
            explain: &["签收即表示本单位已收到交办，开始整改。时限从交办日起算。"],
            button: "accept-button",
            class: "primary wide big",
            ..PLAIN
        },
        Action::Report => Words {
            key: "report",
            heading: "反馈整改情况",
            note: Some(("note", "整改说明", "做了哪些整改、现场现状")),
            photos: true,
            button: "report-button",
            class: "primary wide big",
            missing_note: "请填写整改说明：做了哪些整改、现场现状",
            ..PLAIN
        },
        Action::RecheckPass | Action::RecheckFail => Words {
            key: "recheck",
            heading: "现场复核",
            note: RECHECK_NOTE,
            photos: true,
            button: if action == Action::RecheckPass { "pass-button" } else { "fail-button" },
            class: if action == Action::RecheckPass { "primary big" } else { "danger big" },
            passed: if action == Action::RecheckPass { "true" } else { "false" },
            back: "/recheck",
            missing_note: RECHECK_MISSING,
            ..PLAIN
        },
        Action::Close => Words { key: "close", heading: "销号", note: Some(("note", "销号说明", "")), button: "close-button", ..PLAIN },
        Action::Return => Words {
            key: "return",
            heading: "退回攻坚办",
            explain: &["不属于本单位职责的问题，可退回攻坚办，由攻坚办改派或驳回。"],
            note: Some(("return-note", "退回理由", "如：该排口位于竹行街道辖区，不属于本单位")),
            button: "return-button",
            class: "danger big",
            confirm: "确认退回？退回后由攻坚办裁定：改派给其他单位，或驳回交还本单位（时限不停止计算）。",
            danger: true,
            missing_note: "请写明退回理由",
            ..PLAIN
        },
        Action::Reassign => Words {
            key: "reassign",
            heading: "改派",
            note: Some(("reassign-note", "改派说明", "")),
            button: "reassign-button",
            confirm: "确认改派？将作为一次新的交办：新单位从今天起算时限，原单位的这次交办作废、不计分。",
            danger: true,
            ..PLAIN
        },
        Action::RejectReturn => Words {
            key: "reject-return",
            heading: "驳回退回",
            explain: &["退回理由不成立时驳回。"],
            note: Some(("reject-return-note", "驳回理由", "如：经核实，该点位属本单位辖区")),
            button: "reject-return-button",
            class: "danger big",
            confirm: "确认驳回？问题交还原单位，交办日期不变，时限照常计算。",
            danger: true,
            missing_note: "请写明驳回理由",
            ..PLAIN
        },
        Action::Withdraw => Words {
            key: "withdraw",
            heading: "撤销问题",
            explain: &["问题重复、不属实或登记有误时撤销。撤销是最终的：此后不再计分、不再提醒，也不能恢复。"],
            note: Some(("withdraw-note", "撤销理由", "如：与 W-2021-012 重复")),
            button: "withdraw-button",
            class: "danger big",
            confirm: "确认撤销？撤销后不能恢复。",
            danger: true,
            folded: true,
            missing_note: "请写明撤销理由",
            ..PLAIN
        },
    })
}

/// What withdrawing (or revoking) a charge would do to points today:
/// `charge` is its quarter and points when it is final, `undo` what the
/// core would do with it now.
pub fn take_back_effect(charge: Option<(Quarter, Points)>, undo: Option<Undo>) -> String {
    match (charge, undo) {
        (None, _) => "尚未定分：撤销后不再计分。".to_string(),
        (Some((q, p)), Some(Undo::Remove(_))) => format!("已计扣分 {p}（{q}，尚未封存）：撤销后从 {q} 删除这笔扣分。"),
        (Some((q, p)), Some(Undo::Correct(c))) => format!("已计扣分 {p}（{q}，已封存）：{q} 不变，在 {} 记一笔更正 {}。", c.quarter, c.points),
        (Some((q, p)), _) => format!("已计扣分 {p}（{q}，已封存）：扣分为零，无需更正。"),
    }
}
