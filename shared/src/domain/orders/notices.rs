//! The mail of an order's steps: to the account's addresses in the language of the login
//! that ordered, and the provider's copy of each new order to its order-alert address.
//! Rendered when the step is taken and written to the outbox in the step's transaction.

use std::sync::Arc;

use super::lifecycle::{OrderState, Step};
use super::settings::OrderSettings;
use super::{Order, OrderError};
use crate::domain::accounts::Accounts;
use crate::domain::contact::EmailAddress;
use crate::domain::identity::mail_choices;
use crate::domain::identity::{MailTopic, SiteLinks};
use crate::domain::notifications::{self as mail, Mail, Notice, OrderFacts, OrderStep};
use crate::domain::outbox;
use crate::domain::settings;
use crate::domain::tenancy::Tenants;
use crate::ids::TenantId;
use crate::ports::Clock;
use crate::ports::table::{Table, TableError, Write};
use crate::store::CursorCodec;

pub(super) struct Notices {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    cursors: CursorCodec,
    sender: EmailAddress,
    links: SiteLinks,
}

fn unavailable(e: impl std::fmt::Display) -> OrderError {
    OrderError::Storage(TableError::Unavailable(e.to_string()))
}

impl Notices {
    pub fn new(
        table: Arc<dyn Table>,
        clock: Arc<dyn Clock>,
        cursors: CursorCodec,
        sender: EmailAddress,
        links: SiteLinks,
    ) -> Self {
        Notices {
            table,
            clock,
            cursors,
            sender,
            links,
        }
    }

    /// A new order: the customer's acknowledgement (or its completion, when it was
    /// approved and done at once) and the provider's copy.
    pub async fn submitted(
        &self,
        order: &Order,
        order_settings: &OrderSettings,
        auto_approved: bool,
    ) -> Result<Vec<Write>, OrderError> {
        let customer = match (auto_approved, order.state) {
            (true, OrderState::Completed) => OrderStep::Completed,
            (true, _) => OrderStep::Approved,
            (false, _) => OrderStep::Submitted,
        };
        let mut writes = self.to_account(order, customer).await?;
        if let Some(address) = &order_settings.alert_email
            && let Ok(address) = EmailAddress::parse(address)
        {
            writes.extend(
                self.compose(
                    order,
                    OrderStep::Received,
                    &[address],
                    None,
                    !auto_approved,
                    None,
                )
                .await?,
            );
        }
        Ok(writes)
    }

    /// The customer's mail after `step` (none for steps the customer took or that change
    /// nothing they see).
    pub async fn after(&self, order: &Order, step: Step) -> Result<Vec<Write>, OrderError> {
        let mail_step = match (step, order.state) {
            (Step::Approve { .. }, OrderState::Completed) => OrderStep::Completed,
            (Step::Approve { .. }, _) => OrderStep::Approved,
            (Step::Reject, _) => OrderStep::Rejected,
            (Step::Halt, _) => OrderStep::Halted,
            (Step::Activate, _) => OrderStep::Completed,
            _ => return Ok(Vec::new()),
        };
        self.to_account(order, mail_step).await
    }

    /// To the account's addresses in the language of the login that ordered, and to each
    /// login that chose order mail, in its own.
    async fn to_account(&self, order: &Order, step: OrderStep) -> Result<Vec<Write>, OrderError> {
        let tenant = order.tenant_id()?;
        let account = Accounts::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
            .get(&tenant, &order.account_id()?)
            .await
            .map_err(unavailable)?;
        let addressees = mail_choices::addressees(
            self.table.as_ref(),
            &tenant,
            &account,
            MailTopic::Orders,
            &order.language,
        )
        .await?;
        let mut writes = Vec::new();
        for addressee in addressees {
            writes.extend(
                self.compose(
                    order,
                    step,
                    &addressee.to,
                    Some(&addressee.name),
                    false,
                    Some(&addressee.language),
                )
                .await?,
            );
        }
        Ok(writes)
    }

    async fn compose(
        &self,
        order: &Order,
        step: OrderStep,
        to: &[EmailAddress],
        name: Option<&str>,
        waits: bool,
        language: Option<&str>,
    ) -> Result<Vec<Write>, OrderError> {
        let tenant: TenantId = order.tenant_id()?;
        let tenant_record =
            Tenants::new(self.table.clone(), self.clock.clone(), self.cursors.clone())
                .get(&tenant)
                .await
                .map_err(unavailable)?;
        let access = settings::read(self.table.as_ref(), &tenant)
            .await
            .map_err(unavailable)?;
        // The provider's copy is in its own language; the customer's in the login's.
        let language = language.unwrap_or(&access.default_language).to_owned();
        let account = format!("{} ({})", order.account_name, order.account_number);
        let message = mail::compose(
            &tenant_record,
            &access,
            &self.sender,
            to,
            Mail {
                language: &language,
                name: name.unwrap_or(&tenant_record.name),
                notice: Notice::Order {
                    step,
                    facts: OrderFacts {
                        reference: order.reference(),
                        // The customer's copy links to the order's page; the provider's
                        // copy is read in the console.
                        link: match step {
                            OrderStep::Received => None,
                            _ => Some(
                                self.links
                                    .page(&tenant_record, &format!("orders/{}", order.id)),
                            ),
                        },
                        summary: order.summary_in(&language),
                        reason: order.reason.clone(),
                        account,
                        waits,
                    },
                },
            },
        )
        .map_err(unavailable)?;
        Ok(vec![outbox::enqueue(&message, self.clock.now())])
    }
}
