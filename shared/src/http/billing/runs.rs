//! Bill runs: each day's progress, and "run now".

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::every_account;
use crate::domain::billing::dates;
use crate::domain::billing::run::RunReport;
use crate::http::access::StaffUser;
use crate::http::problem::Problem;
use crate::http::views::today;
use crate::platform::Platform;

#[derive(Debug, Serialize, ToSchema)]
pub struct RunFailureView {
    pub account: String,
    pub reason: String,
}

/// What a day's bill run came to (its latest attempt; while batches are still billing,
/// what those that finished came to).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// `2026-12-01`: the provider's date.
    pub date: String,
    /// 1 for the day's first attempt; each retry after a failure is the next.
    pub attempt: u32,
    /// The batches the attempt bills its accounts in, and how many have finished.
    pub batches: u32,
    pub batches_done: u32,
    /// Accounts whose bill day it was.
    pub due: u32,
    pub issued: u32,
    /// Already billed for the period (an earlier attempt, or "bill now").
    pub already: u32,
    /// Nothing new to bill.
    pub nothing: u32,
    pub failures: Vec<RunFailureView>,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: time::OffsetDateTime,
    /// When its last batch finished.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: time::OffsetDateTime,
}

impl From<RunReport> for RunView {
    fn from(r: RunReport) -> Self {
        RunView {
            date: dates::text(r.date),
            attempt: r.attempt,
            batches: r.batches,
            batches_done: r.batches_done,
            due: r.due,
            issued: r.issued,
            already: r.already,
            nothing: r.nothing,
            failures: r
                .failures
                .into_iter()
                .map(|f| RunFailureView {
                    account: f.account,
                    reason: f.reason,
                })
                .collect(),
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// The provider's bill runs of the last 31 days that ran, newest first.
#[utoipa::path(get, path = "/v1/console/billing/runs", tag = "console",
    responses((status = 200, body = Vec<RunView>), (status = 403, body = Problem)))]
pub async fn bill_runs(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<Json<Vec<RunView>>, Problem> {
    every_account(&staff)?;
    let runs = platform.billing().runs(&staff.session.tenant, 31).await?;
    Ok(Json(runs.into_iter().map(Into::into).collect()))
}

/// How long "run now" bills while the request waits; the function's own limit is 10 s.
const RUN_NOW_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// Run today's bill run now (again): accounts already billed are left as they are, so
/// this retries the failed ones and bills what is newly due. 200 when it finished while
/// the request waited; 202 when it had more to bill than a request can wait for (the
/// schedule carries on with the rest); 409 while an attempt is still billing.
#[utoipa::path(post, path = "/v1/console/billing/runs", tag = "console",
    responses((status = 200, body = RunView), (status = 202, body = RunView),
        (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn run_bills_now(
    State(platform): State<Platform>,
    staff: StaffUser,
) -> Result<(StatusCode, Json<RunView>), Problem> {
    every_account(&staff)?;
    let tenant = &staff.session.tenant;
    let on = today(&platform, tenant).await?;
    let (report, finished) = match platform
        .billing()
        .run_now(tenant, on, Some(RUN_NOW_BUDGET))
        .await?
    {
        Ok(ran) => ran,
        Err(_) => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "bill-run-running",
                "Today's bill run is still billing",
            )
            .detail("Its progress is on the bill runs page; run it again once it has finished."));
        }
    };
    staff
        .record(
            &platform,
            None,
            "billing.run",
            &format!("{}: {} issued", dates::text(on), report.issued),
        )
        .await?;
    let status = if finished {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(report.into())))
}
