//! The queue's worker, inside every shop-api process: leases due jobs and works them, a few at
//! a time, so that one slow receiver or a provider that hangs never holds up the rest (each
//! call is bounded by [`crate::egress::TIMEOUT`], and jobs of one endpoint wait for each
//! other, not for other endpoints'). Several processes on one PostgreSQL share the queue; a
//! job is worked by one of them at a time.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::AppState;
use crate::calendar;
use crate::queue::{self, Job, Outcome};
use crate::{outbound, payout};

/// Jobs worked at once by one process.
const CONCURRENCY: usize = 8;
/// How often an idle worker looks for due jobs (a new job in this process wakes it at once).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// This process's name in `leased_by`.
fn worker_name() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("{}-{}", std::process::id(), hex::encode(bytes))
}

async fn work(state: &AppState, job: &Job) -> Outcome {
    let result = match job.kind.as_str() {
        "coupon.create" => payout::work(state, job).await,
        "event.deliver" => outbound::deliver(state, job).await,
        other => Ok(Outcome::GiveUp(format!(
            "no worker knows jobs of kind {other}"
        ))),
    };
    result.unwrap_or_else(|error| {
        // The database failed while working it: the job stays and is tried again soon.
        Outcome::RetryAt(
            calendar::now() + Duration::from_secs(5),
            format!("{error:?}"),
        )
    })
}

/// Works the queue until the server drains; then leases nothing more and returns once the jobs
/// under way are settled.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let name = worker_name();
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        let wake: Arc<Notify> = state.wake.clone();
        loop {
            let permit = tokio::select! {
                biased;
                _ = state.lifecycle.drained() => break,
                permit = slots.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else {
                return;
            };
            let leased = {
                let name = name.clone();
                state
                    .db
                    .write(move |conn| queue::lease(conn, &name, calendar::now()))
                    .await
            };
            match leased {
                Ok(Some(job)) => {
                    let state = state.clone();
                    let name = name.clone();
                    tokio::spawn(async move {
                        let outcome = work(&state, &job).await;
                        let settled = state
                            .db
                            .write(move |conn| {
                                queue::settle(conn, &job, &name, &outcome, calendar::now())
                            })
                            .await;
                        if let Err(error) = settled {
                            tracing::error!(error = %error, "queue: could not record a job's outcome");
                        }
                        drop(permit);
                        // A finished job may unblock the next one of its endpoint.
                        state.wake.notify_one();
                    });
                }
                Ok(None) => {
                    drop(permit);
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                        _ = state.lifecycle.drained() => {}
                    }
                }
                Err(error) => {
                    drop(permit);
                    tracing::error!(error = %error, "queue: cannot lease a job");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        // Every slot free again: each job under way has been worked and settled.
        let _ = slots.acquire_many(CONCURRENCY as u32).await;
    })
}
