//! The builder's drafts: wire form both ways, what is missing, what the
//! shared parser refuses and where, and the filters in words.

use recall::types::{DataState, MessageKind, MessageStatus, StepInfo, VariantInfo};
use serde_json::json;

use super::*;

fn choice() -> MessageChoice {
    MessageChoice {
        id: 7,
        name: "Spring sale".into(),
        kind: MessageKind::Campaign,
        status: MessageStatus::Stopped,
        data_state: DataState::Available,
        variants: vec![VariantInfo {
            key: "a".into(),
            name: "Variant A".into(),
            is_control: false,
        }],
        steps: vec![StepInfo {
            key: "step-1".into(),
            name: "Welcome".into(),
        }],
    }
}

fn lookup(id: i64) -> Option<MessageChoice> {
    (id == 7).then(choice)
}

#[test]
fn a_draft_sends_only_the_parameters_its_kind_takes() {
    let draft = FilterDraft {
        kind: FilterKind::Opened,
        message_id: Some(7),
        link: "leftover".into(),
        tag: "promo".into(),
        exclude_machine_opens: true,
        negate: true,
        ..FilterDraft::default()
    };
    assert_eq!(
        draft.to_json(),
        json!({"filter": "opened", "message_id": 7, "exclude_machine_opens": true, "negate": true})
    );
}

#[test]
fn days_go_as_numbers_and_anything_else_goes_as_typed() {
    let mut draft = FilterDraft {
        kind: FilterKind::LastEngagedAny,
        days_mode: DaysMode::MoreThan,
        days: " 14 ".into(),
        ..FilterDraft::default()
    };
    assert_eq!(
        draft.to_json(),
        json!({"filter": "last_engaged_any", "more_than_days": 14})
    );
    draft.days = "soon".into();
    assert_eq!(draft.to_json()["more_than_days"], json!("soon"));
}

#[test]
fn the_wire_form_round_trips_and_unknown_filters_are_counted() {
    let wire = json!({"all": [
        {"any": [{"filter": "received", "message_id": 7, "step": "step-1"}]},
        {"any": [{"filter": "opened", "message_id": 7, "negate": true}, {"filter": "teleported"}]},
        {"any": [{"filter": "last_received_with_tag", "tag": "promo", "within_days": 7}]}
    ]});
    let (draft, unknown) = AudienceDraft::from_json(&wire);
    assert_eq!(unknown, 1);
    assert_eq!(draft.groups.len(), 3);
    assert_eq!(
        draft.to_json(),
        json!({"all": [
            {"any": [{"filter": "received", "message_id": 7, "step": "step-1"}]},
            {"any": [{"filter": "opened", "message_id": 7, "negate": true}]},
            {"any": [{"filter": "last_received_with_tag", "tag": "promo", "within_days": 7}]}
        ]})
    );
    assert_eq!(draft.message_ids(), vec![7]);
}

#[test]
fn what_is_missing_is_found_before_asking_the_engine() {
    let mut draft = AudienceDraft {
        groups: vec![
            vec![FilterDraft {
                message_id: Some(7),
                ..FilterDraft::default()
            }],
            vec![FilterDraft {
                kind: FilterKind::ReceivedWithTag,
                ..FilterDraft::default()
            }],
        ],
    };
    assert_eq!(
        draft.missing(),
        Some(Missing {
            group: 1,
            filter: 0,
            what: "Choose a tag"
        })
    );
    draft.groups[1][0].tag = "promo".into();
    assert_eq!(draft.missing(), None);
}

#[test]
fn filters_read_as_words() {
    let draft = AudienceDraft {
        groups: vec![
            vec![FilterDraft {
                message_id: Some(7),
                step: "step-1".into(),
                ..FilterDraft::default()
            }],
            vec![
                FilterDraft {
                    kind: FilterKind::Opened,
                    message_id: Some(7),
                    negate: true,
                    exclude_machine_opens: true,
                    ..FilterDraft::default()
                },
                FilterDraft {
                    kind: FilterKind::ReceivedVariant,
                    message_id: Some(9),
                    variant: "b".into(),
                    ..FilterDraft::default()
                },
            ],
            vec![FilterDraft {
                kind: FilterKind::LastEngagedAny,
                days: "30".into(),
                ..FilterDraft::default()
            }],
        ],
    };
    assert_eq!(
        draft.describe(&lookup),
        vec![
            "received “Spring sale” at step “Welcome”",
            "did not open “Spring sale” (excluding machine opens), or received b of message 9",
            "last engaged with any message less than 30 days ago",
        ]
    );
}

#[test]
fn the_shared_parser_points_at_the_row_before_the_server_is_asked() {
    let mut draft = AudienceDraft {
        groups: vec![
            vec![FilterDraft {
                message_id: Some(7),
                ..FilterDraft::default()
            }],
            vec![
                FilterDraft {
                    kind: FilterKind::LastReceivedAny,
                    ..FilterDraft::default()
                },
                FilterDraft {
                    kind: FilterKind::LastEngagedAny,
                    days: "0".into(),
                    ..FilterDraft::default()
                },
            ],
        ],
    };
    let err = draft.checked_json().expect_err("0 days");
    assert_eq!(
        Complaint::from(&err),
        Complaint {
            group: Some(1),
            filter: Some(1),
            text: "within_days must be 1 to 3650".into()
        }
    );
    // The engine's text for the same mistake is unchanged.
    assert_eq!(
        err.to_string(),
        "all[1].any[1]: within_days must be 1 to 3650"
    );
    draft.groups[1][1].days = "soon".into();
    assert_eq!(
        draft.checked_json().map_err(|e| e.reason),
        Err("within_days must be 1 to 3650".to_string())
    );
    draft.groups[1][1].days = "30".into();
    assert_eq!(draft.checked_json(), Ok(draft.to_json()));

    draft.groups = vec![vec![FilterDraft::default()]; 21];
    let err = draft.checked_json().expect_err("too many groups");
    assert_eq!(
        Complaint::from(&err),
        Complaint::unplaced("all: at most 20 groups")
    );
}

#[test]
fn every_kind_has_a_label_and_a_family_the_picker_shows() {
    for kind in FilterKind::ALL {
        assert!(!kind.label().is_empty());
        assert!(Family::ALL.contains(&kind.family()));
        let draft = FilterDraft {
            kind,
            ..FilterDraft::default()
        };
        assert_eq!(draft.to_json()["filter"], json!(kind.name()));
    }
}
