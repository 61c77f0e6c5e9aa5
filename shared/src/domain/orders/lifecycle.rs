//! The life of an order, written once: which step may follow which state. Everything that
//! moves an order asks here first, then writes the new state on the condition that the
//! order is still as it was read, so two people acting at once end with one step taken.
//!
//! ```text
//! pending ──approve──▶ completed                (the change applied at once)
//!    │  └───approve──▶ provisioning ──activate──▶ completed
//!    │                   │      ▲
//!    │                  halt  resubmit (the customer)
//!    │                   ▼      │
//!    │                  halted ─┘
//!    ├──reject──▶ rejected ──undo──▶ pending
//!    └──withdraw (the customer)──▶ withdrawn
//! ```

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Waiting for the provider's approval.
    Pending,
    Rejected,
    /// Approved; someone is fulfilling it by hand.
    Provisioning,
    /// Provisioning stopped; the reason says what the customer must change.
    ProvisioningHalted,
    /// Done: the change is in effect.
    Completed,
    /// The customer took it back before it was decided.
    Withdrawn,
}

/// A step someone takes on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Approve; `needs_hands` when the order cannot be fulfilled automatically.
    Approve {
        needs_hands: bool,
    },
    Reject,
    UndoRejection,
    /// Fulfilled by hand: the service is active, billing starts.
    Activate,
    Halt,
    /// The customer sends a halted order back to provisioning.
    Resubmit,
    /// Provisioning details changed; the state stays.
    UpdateDetails,
    /// The customer takes back an order still waiting for approval.
    Withdraw,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Approve { .. } => "approve",
            Step::Reject => "reject",
            Step::UndoRejection => "undo the rejection of",
            Step::Activate => "activate",
            Step::Halt => "halt",
            Step::Resubmit => "resubmit",
            Step::UpdateDetails => "update",
            Step::Withdraw => "withdraw",
        }
    }
}

/// The state `step` leads to from `from`, or None when it may not be taken.
pub fn next(from: OrderState, step: Step) -> Option<OrderState> {
    use OrderState::*;
    match (from, step) {
        (Pending, Step::Approve { needs_hands: false }) => Some(Completed),
        (Pending, Step::Approve { needs_hands: true }) => Some(Provisioning),
        (Pending, Step::Reject) => Some(Rejected),
        (Rejected, Step::UndoRejection) => Some(Pending),
        (Pending, Step::Withdraw) => Some(Withdrawn),
        (Provisioning, Step::Activate) => Some(Completed),
        (Provisioning, Step::Halt) => Some(ProvisioningHalted),
        (Provisioning, Step::UpdateDetails) => Some(Provisioning),
        (ProvisioningHalted, Step::UpdateDetails) => Some(ProvisioningHalted),
        (ProvisioningHalted, Step::Resubmit) => Some(Provisioning),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::OrderState::*;
    use super::*;

    const ALL_STATES: [OrderState; 6] = [
        Pending,
        Rejected,
        Provisioning,
        ProvisioningHalted,
        Completed,
        Withdrawn,
    ];
    const ALL_STEPS: [Step; 9] = [
        Step::Approve { needs_hands: false },
        Step::Approve { needs_hands: true },
        Step::Reject,
        Step::UndoRejection,
        Step::Activate,
        Step::Halt,
        Step::Resubmit,
        Step::UpdateDetails,
        Step::Withdraw,
    ];

    #[test]
    fn the_drawn_paths_are_the_only_ones() {
        let allowed: Vec<(OrderState, Step, OrderState)> = ALL_STATES
            .iter()
            .flat_map(|s| ALL_STEPS.iter().map(move |t| (*s, *t)))
            .filter_map(|(s, t)| next(s, t).map(|n| (s, t, n)))
            .collect();
        assert_eq!(allowed.len(), 10, "{allowed:?}");
        // A completed or withdrawn order is final; a rejected one only comes back through
        // an undo; only a pending one can be withdrawn.
        assert!(ALL_STEPS.iter().all(|t| next(Completed, *t).is_none()));
        assert!(ALL_STEPS.iter().all(|t| next(Withdrawn, *t).is_none()));
        assert_eq!(
            ALL_STATES
                .iter()
                .filter(|s| next(**s, Step::Withdraw).is_some())
                .collect::<Vec<_>>(),
            [&Pending]
        );
        assert_eq!(
            ALL_STEPS
                .iter()
                .filter_map(|t| next(Rejected, *t))
                .collect::<Vec<_>>(),
            vec![Pending]
        );
    }

    #[test]
    fn a_halted_order_goes_back_to_provisioning_not_to_approval() {
        assert_eq!(next(ProvisioningHalted, Step::Resubmit), Some(Provisioning));
        assert_eq!(
            next(ProvisioningHalted, Step::Approve { needs_hands: true }),
            None
        );
        assert_eq!(next(Provisioning, Step::Resubmit), None);
    }
}
