//! A message as the pickers show it.

use recall::types::{DataState, MessageKind, MessageStatus, StepInfo, VariantInfo};
use serde::{Deserialize, Serialize};

/// A message as the pickers show it: enough to choose it and its steps or
/// variants, and to see whether its data is still hot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChoice {
    pub id: i64,
    pub name: String,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub data_state: DataState,
    pub variants: Vec<VariantInfo>,
    pub steps: Vec<StepInfo>,
}

/// "Campaign" or "Canvas", capitalised for labels.
pub fn kind_label(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Campaign => "Campaign",
        MessageKind::Canvas => "Canvas",
    }
}
