//! The outbox worker against real stores, with a channel that fails on demand.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use canhgac_model::bulletin::{OutboxDraft, OutboxFilter, OutboxMail, OutboxState, EMAIL_CHANNEL};
use canhgac_model::{PageRequest, Scope};
use canhgac_respond::outbox::OutboxWorker;
use canhgac_respond::{Channel, DeliveryError, RetryPolicy};
use canhgac_store::testing::test_stores;

/// Answers each delivery with the next scripted outcome (success when the script is empty) and
/// records what it was asked to deliver.
#[derive(Default)]
struct Scripted {
    outcomes: Mutex<VecDeque<Result<(), DeliveryError>>>,
    delivered: Mutex<Vec<String>>,
}

#[async_trait]
impl Channel for Scripted {
    fn name(&self) -> &'static str {
        EMAIL_CHANNEL
    }
    async fn deliver(&self, mail: &OutboxMail) -> Result<(), DeliveryError> {
        let outcome = self.outcomes.lock().unwrap().pop_front().unwrap_or(Ok(()));
        if outcome.is_ok() {
            self.delivered.lock().unwrap().push(mail.subject.clone());
        }
        outcome
    }
}

fn draft(key: &str) -> OutboxDraft {
    OutboxDraft {
        channel: EMAIL_CHANNEL.into(),
        recipient: format!("{key}@example.vn"),
        recipient_name: None,
        subject: key.into(),
        body_text: "b".into(),
        body_html: None,
        dedup_key: key.into(),
        unit_id: None,
        bulletin_id: None,
    }
}

#[tokio::test]
async fn retries_with_backoff_then_delivers_or_gives_up() {
    for ts in test_stores().await {
        let store = ts.store.clone();
        store
            .enqueue_outbox(&[draft("flaky"), draft("refused")])
            .await
            .unwrap();
        let channel = Arc::new(Scripted::default());
        channel.outcomes.lock().unwrap().extend([
            Err(DeliveryError::transient("connection refused")),
            Err(DeliveryError::permanent("550 no such user")),
        ]);
        let policy = RetryPolicy {
            first_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(1),
            max_attempts: 3,
        };
        let worker = OutboxWorker::new(store.clone(), channel.clone(), policy);
        let first = worker.round().await.unwrap();
        assert_eq!(
            (first.sent, first.retrying, first.failed),
            (0, 1, 1),
            "{}",
            ts.name
        );
        // Not due yet: a second round right away does nothing.
        let early = worker.round().await.unwrap();
        assert_eq!(early.sent + early.retrying + early.failed, 0);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let later = worker.round().await.unwrap();
        assert_eq!(later.sent, 1);
        assert_eq!(*channel.delivered.lock().unwrap(), ["flaky"]);

        let listed = store
            .list_outbox(
                &Scope::All,
                &OutboxFilter::default(),
                &PageRequest::new(1, 10),
            )
            .await
            .unwrap();
        let get = |k: &str| listed.items.iter().find(|m| m.dedup_key == k).unwrap();
        assert_eq!(
            (get("flaky").state, get("flaky").attempts),
            (OutboxState::Sent, 2)
        );
        assert_eq!(get("flaky").last_error, None);
        let refused = get("refused");
        assert_eq!((refused.state, refused.attempts), (OutboxState::Failed, 1));
        assert_eq!(refused.last_error.as_deref(), Some("550 no such user"));

        // Transient failures stop after max_attempts.
        store.enqueue_outbox(&[draft("down")]).await.unwrap();
        let zero = RetryPolicy {
            first_delay: Duration::ZERO,
            ..policy
        };
        let down = Arc::new(Scripted::default());
        down.outcomes
            .lock()
            .unwrap()
            .extend((0..5).map(|_| Err(DeliveryError::transient("timed out"))));
        let worker = OutboxWorker::new(store.clone(), down.clone(), zero);
        let mut failed = 0;
        for _ in 0..5 {
            failed += worker.round().await.unwrap().failed;
        }
        assert_eq!(failed, 1);
        let down_row = store
            .list_outbox(
                &Scope::All,
                &OutboxFilter {
                    state: Some(OutboxState::Failed),
                    bulletin_id: None,
                },
                &PageRequest::new(1, 10),
            )
            .await
            .unwrap();
        let row = down_row
            .items
            .iter()
            .find(|m| m.dedup_key == "down")
            .unwrap();
        assert_eq!(row.attempts, 3);
        assert_eq!(
            down.outcomes.lock().unwrap().len(),
            2,
            "exactly 3 attempts made"
        );
    }
}
