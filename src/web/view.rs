//! View models shared by several pages: an issue as a row or card, a move
//! as a timeline entry, and the one-line messages after a redirect.

use super::layout::short_time;
use super::tier::{self, Badge};
use crate::app::attachments::FileId;
use crate::app::issues::{IssueView, MoveView};
use crate::core::Workflow;
use crate::core::state::State;
use serde::Deserialize;

pub struct IssueRow {
    pub id: String,
    pub code: String,
    pub title: String,
    pub unit: String,
    pub state: State,
    pub state_label: String,
    pub location: String,
    pub source: String,
    pub category: String,
    pub registered: String,
    pub dispatched: String,
    pub days: Option<i64>,
    pub points: String,
    pub charged: bool,
    pub reports: i32,
    /// How often 攻坚办 chased it (催办).
    pub chases: i32,
    pub badge: Option<Badge>,
}

impl IssueRow {
    pub fn new(wf: &Workflow, v: &IssueView, history: Option<&[MoveView]>) -> IssueRow {
        IssueRow {
            id: v.id.clone(),
            code: v.code.clone(),
            title: v.title.clone(),
            unit: v.unit.clone(),
            state: v.state,
            state_label: v.state_label.clone(),
            location: v.location.clone().unwrap_or_default(),
            source: v.source.clone().unwrap_or_default(),
            category: v.category.clone().unwrap_or_default(),
            registered: short_time(&v.registered_at),
            dispatched: v.dispatched_at.as_deref().map(|d| d.get(..10).unwrap_or(d).to_string()).unwrap_or_default(),
            days: v.days,
            // Withdrawn: nothing is owed for it any more, whatever its tier
            // would be today (a frozen charge is answered by a correction).
            points: if v.state == State::Withdrawn { crate::core::Points::ZERO.to_string() } else { v.points_so_far.clone() },
            charged: v.charged,
            reports: v.reports,
            chases: v.chases,
            badge: tier::of_issue(wf, v, history),
        }
    }

    pub fn urgency(&self) -> i64 {
        self.badge.as_ref().map_or(i64::MIN, |b| b.urgency)
    }
}

pub struct FileLink {
    pub id: String,
    pub is_image: bool,
}

pub struct Entry {
    pub action: String,
    pub label: String,
    pub actor: String,
    pub at: String,
    pub note: String,
    /// The unit the move names: where 改派 sent the issue, who returned it.
    pub detail: String,
    pub files: Vec<FileLink>,
}

/// The label a person reads for a move's action.
pub fn action_label(wf: &Workflow, action: &str) -> String {
    match action {
        "register" => "登记".to_string(),
        // Not a move of the path, so not in the workflow's list.
        "chase" => "催办".to_string(),
        other => wf.moves.iter().find(|m| m.action.as_str() == other).map_or_else(|| other.to_string(), |m| m.label.clone()),
    }
}

pub fn files_of(value: &serde_json::Value) -> Vec<FileLink> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .filter_map(FileId::parse)
                .map(|id| FileLink { is_image: id.kind().is_image(), id: id.as_str().to_string() })
                .collect()
        })
        .unwrap_or_default()
}

pub fn timeline(wf: &Workflow, history: &[MoveView]) -> Vec<Entry> {
    history
        .iter()
        .map(|m| Entry {
            label: action_label(wf, &m.action),
            action: m.action.clone(),
            actor: if m.actor_role.is_empty() { m.actor_name.clone() } else { format!("{}（{}）", m.actor_name, m.actor_role) },
            at: short_time(&m.at),
            note: m.note.clone().unwrap_or_default(),
            detail: match (m.action.as_str(), &m.unit) {
                ("reassign", Some(unit)) => format!("改派至 {unit}"),
                ("return", Some(unit)) => unit.clone(),
                _ => String::new(),
            },
            files: files_of(&m.attachments),
        })
        .collect()
}

/// `?ok=…` after a redirect: what just happened, in one sentence.
#[derive(Deserialize, Default)]
pub struct Flash {
    ok: Option<String>,
    n: Option<String>,
    code: Option<String>,
    unit: Option<String>,
}

impl Flash {
    pub fn message(&self) -> Option<String> {
        let n = self.n.as_deref().unwrap_or("");
        let code = self.code.as_deref().unwrap_or("");
        let unit = self.unit.as_deref().unwrap_or("");
        Some(match self.ok.as_deref()? {
            "registered" => format!("已登记 {code}，进入待交办池。"),
            "imported" => format!("已从 Excel 导入 {n} 个问题，进入待交办池。"),
            "dispatched" => format!("已交办 {n} 个问题，交办清单已发往各责任单位。"),
            "empty" => "待交办池是空的，没有可交办的问题。".to_string(),
            "violation" => format!("已记录{code}一次未执行调度方案或指令。"),
            "accept" => "已签收，请按时整改并反馈。".to_string(),
            "report" => "已提交整改反馈，等待现场复核。".to_string(),
            "recheck_pass" => "已复核通过，待攻坚办销号。".to_string(),
            "recheck_fail" => "复核不通过，已退回责任单位重新整改。".to_string(),
            "close" => format!("{code} 已销号。"),
            "return" => format!("已退回 {code}，等待攻坚办裁定。"),
            "reassign" => format!("{code} 已改派给 {unit}，新单位从今天起算时限。"),
            "reject_return" => format!("已驳回退回，{code} 交还 {unit}，交办日期不变。"),
            "withdraw" => format!("{code} 已撤销，不再计分。"),
            "chase" => format!("已催办（第 {n} 次），催办邮件已发往{unit}及其分管领导。"),
            "password" => "密码已修改。您在其他设备上的登录已全部退出。".to_string(),
            "session_ended" => "已退出该设备上的登录。".to_string(),
            "reset" => format!("已重置 {code} 的密码；其所有登录已退出，下次登录须先修改密码。"),
            "read" => "已标为已读。".to_string(),
            "read_all" => "全部消息已标为已读。".to_string(),
            "revoked" => format!("已撤销{unit}的这条违规记录。"),
            "unit" => format!("已新增单位 {code}。"),
            "user" => format!("已新增用户 {code}。"),
            _ => return None,
        })
    }
}

/// `path` with `?ok=…` (or `&ok=…`) appended.
pub fn with_flash(path: &str, ok: &str, extra: &[(&str, &str)]) -> String {
    let mut url = format!("{path}{}ok={ok}", if path.contains('?') { '&' } else { '?' });
    for (k, v) in extra {
        url.push_str(&format!("&{k}={}", super::layout::percent_encode(v)));
    }
    url
}
