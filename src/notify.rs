//! LISTEN / NOTIFY: the hub that carries notifications between the sessions of one gateway.
//!
//! Listening is gateway session state, as in PostgreSQL where it is backend-process state:
//! no backend connection is involved, so it works on every backend and pins nothing.
//! A session collects its NOTIFYs and LISTEN/UNLISTENs in a [`Pending`] for the length of
//! its transaction and hands them to the hub at commit ([`Pending::commit`]); a rollback
//! drops them. The hub puts each notification in the inbox of every session that listens
//! on its channel, in commit order (one lock around a publish). A session sends what its
//! inbox holds when it is idle outside a transaction: at once when it waits for its
//! client (the session loop selects on [`Inbox::recv`]), else before its next
//! ReadyForQuery, as PostgreSQL does.
//!
//! The IRIS side (code inside IRIS) reaches the same hub through [`Hub::publish`]: the
//! gateway polls a queue table the IRIS side writes (src/python/notify_poll.rs).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::error::{sqlstate, PgError, PgResult};

/// PostgreSQL's NOTIFY_PAYLOAD_MAX_LENGTH (8000) less the terminating NUL: 7999 bytes at most.
pub const MAX_PAYLOAD_BYTES: usize = 7999;
/// NAMEDATALEN - 1: the longest channel name.
pub const MAX_CHANNEL_BYTES: usize = 63;
/// What one session's inbox may hold before a NOTIFY that would add to it fails (PostgreSQL's
/// whole queue is 8 GB; a session that never reads must not grow the gateway without bound).
const MAX_QUEUED_BYTES: usize = 256 * 1024 * 1024;

/// One notification as it travels: shared by every inbox it goes to.
#[derive(Debug, PartialEq, Eq)]
pub struct Notification {
    /// The notifying session's BackendKeyData pid (0 for notifications from IRIS).
    pub pid: i32,
    pub channel: String,
    pub payload: String,
}

impl Notification {
    fn size(&self) -> usize {
        self.channel.len() + self.payload.len() + 64
    }
}

/// Check a channel name and payload as `pg_notify()` does (NOTIFY's channel is an
/// identifier, already folded and truncated by then).
pub fn check(channel: &str, payload: &str) -> PgResult<()> {
    if channel.is_empty() {
        return Err(PgError::new(sqlstate::INVALID_PARAMETER_VALUE, "channel name cannot be empty"));
    }
    if channel.len() > MAX_CHANNEL_BYTES {
        return Err(PgError::new(sqlstate::INVALID_PARAMETER_VALUE, "channel name too long"));
    }
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(PgError::new(sqlstate::INVALID_PARAMETER_VALUE, "payload string too long"));
    }
    Ok(())
}

/// What one commit sends one session: its notifications arrive together, so a listener
/// writes them in one go (as PostgreSQL's do).
type Batch = Vec<Arc<Notification>>;

/// A session's way into the hub.
struct Subscriber {
    tx: mpsc::UnboundedSender<Batch>,
    queued: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Inner {
    subscribers: HashMap<u64, Subscriber>,
    /// channel -> the subscribers listening on it.
    channels: HashMap<String, HashSet<u64>>,
    next_id: u64,
}

/// The notification hub of one server.
#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
}

impl Hub {
    /// Deliver `notifications`, in order, to every session listening on their channels.
    pub fn publish(&self, notifications: &[Arc<Notification>]) {
        let inner = self.inner.lock().unwrap();
        let mut batches: HashMap<u64, Batch> = HashMap::new();
        for n in notifications {
            for id in inner.channels.get(&n.channel).into_iter().flatten() {
                batches.entry(*id).or_default().push(n.clone());
            }
        }
        for (id, batch) in batches {
            if let Some(s) = inner.subscribers.get(&id) {
                s.queued.fetch_add(batch.iter().map(|n| n.size()).sum(), Ordering::Relaxed);
                let _ = s.tx.send(batch);
            }
        }
    }

    /// 54000 when a listener of these channels holds too much unread already (checked
    /// before the notifying transaction commits, as PostgreSQL checks its queue).
    fn check_room(&self, notifications: &[Arc<Notification>]) -> PgResult<()> {
        let inner = self.inner.lock().unwrap();
        let mut adding: HashMap<u64, usize> = HashMap::new();
        for n in notifications {
            for id in inner.channels.get(&n.channel).into_iter().flatten() {
                *adding.entry(*id).or_default() += n.size();
            }
        }
        for (id, more) in adding {
            let queued = inner.subscribers.get(&id).map_or(0, |s| s.queued.load(Ordering::Relaxed));
            if queued + more > MAX_QUEUED_BYTES {
                return Err(PgError::new(
                    sqlstate::PROGRAM_LIMIT_EXCEEDED,
                    "too many notifications in the NOTIFY queue",
                )
                .with_detail("a listening session has not read its notifications"));
            }
        }
        Ok(())
    }

    /// Sessions listening now on `channel`.
    #[cfg(test)]
    pub fn listeners(&self, channel: &str) -> usize {
        self.inner.lock().unwrap().channels.get(channel).map_or(0, |s| s.len())
    }

    fn subscribe(self: &Arc<Self>) -> Inbox {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let mut inner = self.inner.lock().unwrap();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.subscribers.insert(id, Subscriber { tx, queued: queued.clone() });
        Inbox { hub: self.clone(), id, rx, pending: Vec::new(), queued, channels: Vec::new() }
    }

    fn set_listening(&self, id: u64, channel: &str, on: bool) {
        let mut inner = self.inner.lock().unwrap();
        if on {
            inner.channels.entry(channel.to_owned()).or_default().insert(id);
        } else if let Some(ids) = inner.channels.get_mut(channel) {
            ids.remove(&id);
            if ids.is_empty() {
                inner.channels.remove(channel);
            }
        }
    }
}

/// What a session listens on and what it has been sent; leaves the hub when dropped.
pub struct Inbox {
    hub: Arc<Hub>,
    id: u64,
    rx: mpsc::UnboundedReceiver<Batch>,
    queued: Arc<AtomicUsize>,
    /// Batches `ready` took off the channel, for `drain`.
    pending: Vec<Batch>,
    /// The channels listened on, in LISTEN order (`pg_listening_channels()`).
    channels: Vec<String>,
}

impl Inbox {
    pub fn channels(&self) -> &[String] {
        &self.channels
    }

    fn listen(&mut self, channel: &str) {
        if !self.channels.iter().any(|c| c == channel) {
            self.channels.push(channel.to_owned());
            self.hub.set_listening(self.id, channel, true);
        }
    }

    fn unlisten(&mut self, channel: &str) {
        if let Some(i) = self.channels.iter().position(|c| c == channel) {
            self.channels.remove(i);
            self.hub.set_listening(self.id, channel, false);
        }
    }

    /// Wait until notifications arrive (cancel-safe: a select may drop it; they stay
    /// queued for `drain`).
    pub async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.rx.poll_recv_many(cx, &mut self.pending, usize::MAX)).await;
    }

    /// Notifications waiting, without blocking.
    pub fn drain(&mut self) -> Vec<Arc<Notification>> {
        while let Ok(batch) = self.rx.try_recv() {
            self.pending.push(batch);
        }
        let mut out = Vec::new();
        for batch in std::mem::take(&mut self.pending) {
            for n in batch {
                self.queued.fetch_sub(n.size(), Ordering::Relaxed);
                // Queued before an UNLISTEN committed: not delivered (PostgreSQL checks the
                // listen set when it reads its queue).
                if self.channels.iter().any(|c| *c == n.channel) {
                    out.push(n);
                }
            }
        }
        out
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut inner = self.hub.inner.lock().unwrap();
        inner.subscribers.remove(&self.id);
        for c in &self.channels {
            if let Some(ids) = inner.channels.get_mut(c) {
                ids.remove(&self.id);
                if ids.is_empty() {
                    inner.channels.remove(c);
                }
            }
        }
    }
}

/// LISTEN / UNLISTEN as they wait for commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenOp {
    Listen(String),
    Unlisten(String),
    UnlistenAll,
}

/// A session's notification state: its inbox (once it has listened) and what its open
/// transaction will do at commit.
#[derive(Default)]
pub struct Pending {
    inbox: Option<Inbox>,
    ops: Vec<ListenOp>,
    notifies: Vec<Arc<Notification>>,
    /// (channel, payload) already in `notifies`: duplicates within a transaction fold.
    seen: HashSet<(String, String)>,
}

impl Pending {
    pub fn inbox(&mut self) -> Option<&mut Inbox> {
        self.inbox.as_mut()
    }

    /// The channels this session listens on (committed LISTENs only, as in PostgreSQL).
    pub fn channels(&self) -> &[String] {
        self.inbox.as_ref().map_or(&[], |i| i.channels())
    }

    pub fn listen(&mut self, op: ListenOp) {
        self.ops.push(op);
    }

    /// NOTIFY: queued until commit, a duplicate of one already queued dropped.
    pub fn notify(&mut self, pid: i32, channel: &str, payload: &str) -> PgResult<()> {
        check(channel, payload)?;
        if self.seen.insert((channel.to_owned(), payload.to_owned())) {
            self.notifies.push(Arc::new(Notification {
                pid,
                channel: channel.to_owned(),
                payload: payload.to_owned(),
            }));
        }
        Ok(())
    }

    /// Anything for commit to do.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.notifies.is_empty()
    }

    /// Before the backend commits: fail the transaction if a listener's inbox is full.
    pub fn pre_commit(&self, hub: &Hub) -> PgResult<()> {
        if self.notifies.is_empty() {
            return Ok(());
        }
        hub.check_room(&self.notifies)
    }

    /// The transaction committed: LISTENs take effect, then the notifications go out (so a
    /// session that listens and notifies in one transaction hears itself, as in PostgreSQL).
    pub fn commit(&mut self, hub: &Arc<Hub>) {
        for op in std::mem::take(&mut self.ops) {
            match op {
                ListenOp::Listen(c) => self.inbox.get_or_insert_with(|| hub.subscribe()).listen(&c),
                ListenOp::Unlisten(c) => {
                    if let Some(i) = self.inbox.as_mut() {
                        i.unlisten(&c)
                    }
                }
                ListenOp::UnlistenAll => {
                    for c in self.channels().to_vec() {
                        self.inbox.as_mut().expect("listening").unlisten(&c);
                    }
                }
            }
        }
        if !self.notifies.is_empty() {
            hub.publish(&std::mem::take(&mut self.notifies));
            self.seen.clear();
        }
    }

    /// The transaction rolled back: nothing it did here happens.
    pub fn rollback(&mut self) {
        self.ops.clear();
        self.notifies.clear();
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening(hub: &Arc<Hub>, channels: &[&str]) -> Pending {
        let mut p = Pending::default();
        for c in channels {
            p.listen(ListenOp::Listen(c.to_string()));
        }
        p.commit(hub);
        p
    }

    fn received(p: &mut Pending) -> Vec<(i32, String, String)> {
        p.inbox()
            .map_or(Vec::new(), |i| i.drain())
            .iter()
            .map(|n| (n.pid, n.channel.clone(), n.payload.clone()))
            .collect()
    }

    #[test]
    fn delivers_at_commit_in_order_and_folds_duplicates() {
        let hub = Arc::new(Hub::default());
        let mut a = listening(&hub, &["c", "d"]);
        let mut b = Pending::default();
        b.notify(7, "c", "1").unwrap();
        b.notify(7, "d", "2").unwrap();
        b.notify(7, "c", "1").unwrap();
        b.notify(7, "e", "3").unwrap();
        assert!(received(&mut a).is_empty(), "nothing before commit");
        b.commit(&hub);
        assert_eq!(received(&mut a), vec![(7, "c".into(), "1".into()), (7, "d".into(), "2".into())]);
        // A new transaction may send the same notification again.
        b.notify(7, "c", "1").unwrap();
        b.commit(&hub);
        assert_eq!(received(&mut a).len(), 1);
    }

    #[test]
    fn rollback_drops_notifications_and_listens() {
        let hub = Arc::new(Hub::default());
        let mut a = Pending::default();
        a.listen(ListenOp::Listen("c".into()));
        a.rollback();
        a.commit(&hub);
        assert_eq!(hub.listeners("c"), 0);
        let mut a = listening(&hub, &["c"]);
        let mut b = Pending::default();
        b.notify(1, "c", "x").unwrap();
        b.rollback();
        b.commit(&hub);
        assert!(received(&mut a).is_empty());
    }

    #[test]
    fn unlisten_all_and_queued_notifications() {
        let hub = Arc::new(Hub::default());
        let mut a = listening(&hub, &["c", "d"]);
        assert_eq!(a.channels(), ["c", "d"]);
        let mut b = Pending::default();
        b.notify(1, "c", "x").unwrap();
        b.commit(&hub);
        a.listen(ListenOp::UnlistenAll);
        a.commit(&hub);
        assert!(a.channels().is_empty());
        assert_eq!(hub.listeners("c"), 0);
        assert!(received(&mut a).is_empty(), "queued before UNLISTEN: not delivered");
        drop(a);
        assert!(hub.inner.lock().unwrap().subscribers.is_empty());
    }

    #[test]
    fn limits() {
        let mut p = Pending::default();
        assert!(p.notify(1, "c", &"x".repeat(MAX_PAYLOAD_BYTES)).is_ok());
        let e = p.notify(1, "c", &"x".repeat(MAX_PAYLOAD_BYTES + 1)).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("22023", "payload string too long"));
        assert_eq!(p.notify(1, "", "").unwrap_err().message, "channel name cannot be empty");
        assert_eq!(p.notify(1, &"c".repeat(64), "").unwrap_err().message, "channel name too long");
    }
}
