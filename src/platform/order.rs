//! One conversation's messages are handled in the order they arrived (a button press, then the
//! text typed right after it), different conversations in parallel: each message's task waits
//! for the one before it in its conversation.

use std::collections::HashMap;

use tokio::sync::oneshot;

/// Conversations with a message in flight, past which finished ones are forgotten.
const TRACKED: usize = 10_000;

#[derive(Default)]
pub(super) struct Order {
    last: HashMap<String, oneshot::Receiver<()>>,
}

/// A place in a conversation's line: wait for the one before, then hold `done` until finished.
pub(super) struct Place {
    before: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
}

impl Order {
    /// The next place in the line of conversation `key`.
    pub(super) fn join(&mut self, key: String) -> Place {
        if self.last.len() > TRACKED {
            // A closed or fired receiver is a finished message: nothing waits behind it.
            self.last
                .retain(|_, r| r.try_recv() == Err(oneshot::error::TryRecvError::Empty));
        }
        let (done, next) = oneshot::channel();
        Place {
            before: self.last.insert(key, next),
            done,
        }
    }
}

impl Place {
    /// Waits for the message before this one; returns what to drop when this one is done.
    pub(super) async fn wait(self) -> oneshot::Sender<()> {
        if let Some(before) = self.before {
            // Sent or dropped: either way the one before has finished.
            let _ = before.await;
        }
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_conversation_in_order_others_alongside() {
        let mut order = Order::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, key) in ["a", "a", "b", "a"].into_iter().enumerate() {
            let place = order.join(key.to_string());
            let seen = seen.clone();
            tasks.push(tokio::spawn(async move {
                let done = place.wait().await;
                // The first of "a" is the slowest: the others of "a" must still wait for it.
                if i == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                seen.lock().unwrap().push((key, i));
                drop(done);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let seen = seen.lock().unwrap().clone();
        let of_a: Vec<usize> = seen
            .iter()
            .filter(|(k, _)| *k == "a")
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(of_a, [0, 1, 3]);
        assert_eq!(seen[0], ("b", 2), "b did not wait for a");
    }
}
