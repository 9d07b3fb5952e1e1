//! What the verification API keeps in memory: the online verifier (rebuilt when the PKI
//! changes), API keys looked up briefly, per-key token buckets, portrait handles, the credential
//! reader that answers the status reads arriving together with one query, and the audit writer
//! that batches audit rows into one transaction. Decisions in `docs/verification-api.md`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use edl_app::AnyStore;
use edl_app::pki_dir::PkiDir;
use edl_app::verification::{CredentialLookup, PortraitRef, VerificationService};
use edl_domain::{FileNumber, RegionCode};
use edl_mdoc::Purpose;
use edl_qr::Policy;
use edl_store::{CredentialState, NewVerification, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// How long an API key's lookup (key, organisation, purposes, revocation) is reused: a revoked
/// key is refused at most this long after its revocation.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(2);
/// How often the PKI directory is looked at for a new or revoked signer.
pub(crate) const PKI_CHECK_INTERVAL: Duration = Duration::from_secs(5);
/// How long a portrait handle given in a report may be fetched.
pub(crate) const PORTRAIT_HANDLE_TTL: Duration = Duration::from_secs(600);
/// The most entries each in-memory map holds before it forgets (bounded memory under a flood).
const MAX_ENTRIES: usize = 100_000;
/// Audit rows waiting to be written; a full queue makes callers wait (backpressure), never drops.
pub(crate) const AUDIT_QUEUE: usize = 16_384;
/// The most audit rows written in one transaction.
pub(crate) const AUDIT_BATCH: usize = 2_000;
/// Credential reads waiting for the reader; a full queue makes callers wait.
pub(crate) const READ_QUEUE: usize = 16_384;
/// The most credentials read by one query.
pub(crate) const READ_BATCH: usize = 512;

/// The verification API's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiLimits {
    /// Requests per second each API key (or scanner user) may make, sustained.
    pub rate: f64,
    /// How many it may make at once after a quiet spell.
    pub burst: u32,
    /// Credentials whose issuer signature the verifier remembers (0: none).
    pub signature_cache: usize,
}

impl Default for ApiLimits {
    fn default() -> ApiLimits {
        ApiLimits {
            rate: 100.0,
            burst: 200,
            signature_cache: edl_app::verification::SIGNATURE_CACHE_ENTRIES,
        }
    }
}

/// Who is calling: an API key of an organisation, or a verifier staff member's session.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) organisation_id: i64,
    pub(crate) purposes: Vec<Purpose>,
    pub(crate) api_key_id: Option<i64>,
    pub(crate) user_id: Option<i64>,
    /// Whose bucket the call draws from.
    pub(crate) bucket: i64,
}

/// What a key lookup found.
#[derive(Debug, Clone)]
pub(crate) enum KeyLookup {
    Unknown,
    Revoked,
    Valid(Caller),
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token bucket per caller, in memory (one process's view: behind N instances a key gets N
/// times the rate; documented).
pub(crate) struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(rate: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: rate.max(0.001),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The most tokens a bucket holds: the largest batch a key can ever send.
    pub(crate) fn burst(&self) -> usize {
        self.burst as usize
    }

    /// Takes `n` tokens for `key`, all or none, or says how many seconds until they are there
    /// (callers keep `n` within [`RateLimiter::burst`]).
    pub(crate) fn take(&self, key: i64, n: usize) -> Result<(), u64> {
        let n = n as f64;
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= MAX_ENTRIES && !buckets.contains_key(&key) {
            let full = Duration::from_secs_f64(self.burst / self.rate);
            buckets.retain(|_, b| now.duration_since(b.last) < full);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= n {
            bucket.tokens -= n;
            Ok(())
        } else {
            let short = n.min(self.burst) - bucket.tokens;
            Err((short / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// API key lookups, reused for [`KEY_CACHE_TTL`].
#[derive(Default)]
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<[u8; 32], (KeyLookup, Instant)>>,
}

impl KeyCache {
    /// The key whose SHA-256 is `hash`: from memory if looked up less than [`KEY_CACHE_TTL`]
    /// ago, else from the registry.
    pub(crate) async fn lookup(
        &self,
        store: &AnyStore,
        hash: &[u8; 32],
    ) -> Result<KeyLookup, StoreError> {
        if let Ok(entries) = self.entries.lock()
            && let Some((found, at)) = entries.get(hash)
            && at.elapsed() < KEY_CACHE_TTL
        {
            return Ok(found.clone());
        }
        let found = match store.api_key_by_hash(hash).await? {
            None => KeyLookup::Unknown,
            Some(key) if key.revoked_at.is_some() => KeyLookup::Revoked,
            Some(key) => match store.organisation(key.key.organisation_id).await? {
                None => KeyLookup::Unknown,
                Some(org) => KeyLookup::Valid(Caller {
                    organisation_id: org.id,
                    purposes: purposes(&org.organisation.purposes),
                    api_key_id: Some(key.id),
                    user_id: None,
                    bucket: key.id,
                }),
            },
        };
        // Unknown keys are not kept: a flood of random keys would only fill the map.
        if !matches!(found, KeyLookup::Unknown)
            && let Ok(mut entries) = self.entries.lock()
        {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(*hash, (found.clone(), Instant::now()));
        }
        Ok(found)
    }
}

/// The purposes an organisation is registered for, as the purpose table knows them.
pub(crate) fn purposes(names: &[String]) -> Vec<Purpose> {
    names
        .iter()
        .filter_map(|p| Purpose::parse(p).ok())
        .collect()
}

/// Short-lived random handles for the portraits reports refer to, each usable only by the
/// organisation that verified. Bounded: two generations of at most [`MAX_ENTRIES`] handles, the
/// older forgotten whole when the newer fills, so a handle lives until it expires or until
/// [`MAX_ENTRIES`] newer ones were given (seconds at thousands of reports a second, plenty for a
/// verifier that fetches the portrait with the report), and a full map never loses the handle it
/// has just given.
#[derive(Default)]
pub(crate) struct PortraitHandles {
    generations: Mutex<HandleGenerations>,
}

type Handles = HashMap<String, (i64, PortraitRef, Instant)>;

#[derive(Default)]
struct HandleGenerations {
    young: Handles,
    old: Handles,
}

impl PortraitHandles {
    pub(crate) fn issue(&self, organisation_id: i64, portrait: PortraitRef) -> String {
        let handle = crate::auth::hex(&crate::auth::random_token()[..16]);
        if let Ok(mut generations) = self.generations.lock() {
            if generations.young.len() >= MAX_ENTRIES {
                generations.old = std::mem::take(&mut generations.young);
            }
            generations
                .young
                .insert(handle.clone(), (organisation_id, portrait, Instant::now()));
        }
        handle
    }

    pub(crate) fn get(&self, organisation_id: i64, handle: &str) -> Option<PortraitRef> {
        let generations = self.generations.lock().ok()?;
        let (owner, portrait, at) = generations
            .young
            .get(handle)
            .or_else(|| generations.old.get(handle))?;
        (*owner == organisation_id && at.elapsed() < PORTRAIT_HANDLE_TTL).then(|| portrait.clone())
    }
}

/// The online verifier of the PKI, read again when the PKI directory changes.
pub(crate) struct Verifiers {
    pki: Option<(PkiDir, String)>,
    signature_cache: usize,
    current: RwLock<Option<(u64, Arc<VerificationService>, Instant)>>,
}

impl Verifiers {
    pub(crate) fn new(pki: Option<(PkiDir, String)>, signature_cache: usize) -> Verifiers {
        Verifiers {
            pki,
            signature_cache,
            current: RwLock::new(None),
        }
    }

    /// The verifier, or `None` when the service has no PKI (or it cannot be read).
    pub(crate) fn get(&self) -> Option<Arc<VerificationService>> {
        let (pki, public_url) = self.pki.as_ref()?;
        if let Ok(current) = self.current.read()
            && let Some((_, service, checked)) = current.as_ref()
            && checked.elapsed() < PKI_CHECK_INTERVAL
        {
            return Some(Arc::clone(service));
        }
        let fingerprint = pki.fingerprint();
        let mut current = self.current.write().ok()?;
        if let Some((held, service, checked)) = current.as_mut()
            && *held == fingerprint
        {
            *checked = Instant::now();
            return Some(Arc::clone(service));
        }
        let service = match VerificationService::from_pki(
            pki,
            public_url,
            Policy::DEFAULT,
            self.signature_cache,
        ) {
            Ok(s) => s,
            Err(error) => {
                tracing::error!(%error, "verification: the PKI cannot be read");
                return current.as_ref().map(|(_, s, _)| Arc::clone(s));
            }
        };
        let service = Arc::new(service);
        *current = Some((fingerprint, Arc::clone(&service), Instant::now()));
        Some(service)
    }
}

type ReadAnswer = Result<Option<(FileNumber, CredentialState)>, StoreError>;

/// What the credential reader's and the audit writer's tasks ask of the registry: the store, or
/// in unit tests a stand-in that fails or panics on cue.
pub(crate) trait BackgroundStore: Clone + Send + Sync + 'static {
    /// [`Store::credential_licences`].
    fn read_many(
        &self,
        places: Vec<(RegionCode, u64)>,
    ) -> impl Future<Output = Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError>> + Send;
    /// [`Store::credential_licence`].
    fn read_one(&self, region: RegionCode, index: u64) -> impl Future<Output = ReadAnswer> + Send;
    /// [`Store::record_verifications`], giving the rows back.
    fn record(
        &self,
        rows: Vec<NewVerification>,
    ) -> impl Future<Output = (Vec<NewVerification>, Result<(), StoreError>)> + Send;
}

impl BackgroundStore for AnyStore {
    async fn read_many(
        &self,
        places: Vec<(RegionCode, u64)>,
    ) -> Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError> {
        self.credential_licences(&places).await
    }

    async fn read_one(&self, region: RegionCode, index: u64) -> ReadAnswer {
        self.credential_licence(region, index).await
    }

    async fn record(
        &self,
        rows: Vec<NewVerification>,
    ) -> (Vec<NewVerification>, Result<(), StoreError>) {
        let result = self.record_verifications(&rows).await;
        (rows, result)
    }
}

/// Runs `work` as a task of its own, so that a panic in it (a bug in a store) fails only the batch
/// at hand, not the reader or writer that every later call needs: without this, one panic would
/// leave every verification answered 503 until the process restarts. `None` when it panicked
/// (logged without its message, which could carry what the store was given).
async fn contained<T: Send + 'static>(
    what: &'static str,
    work: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    match tokio::spawn(work).await {
        Ok(done) => Some(done),
        Err(error) => {
            tracing::error!(
                what,
                panicked = error.is_panic(),
                "a batch's registry work failed; the task goes on"
            );
            None
        }
    }
}

fn read_failed() -> StoreError {
    StoreError::Unavailable("the registry could not be read".into())
}

struct ReadRequest {
    place: (RegionCode, u64),
    reply: oneshot::Sender<ReadAnswer>,
}

/// Reads credentials' registry records for the online verifier: each call queues its place and
/// waits, while one task reads whatever queued meanwhile with one
/// [`Store::credential_licences`]. Every read still happens after its call arrived (a
/// suspension committed before the call is seen), but under load a hundred calls cost one query
/// instead of a hundred, each of which costs the pool's round trips to its connection.
pub(crate) struct CredentialReader {
    queue: mpsc::Sender<ReadRequest>,
    pending: Mutex<Option<(AnyStore, mpsc::Receiver<ReadRequest>)>>,
}

impl CredentialReader {
    pub(crate) fn new(store: AnyStore) -> CredentialReader {
        let (queue, pending) = mpsc::channel(READ_QUEUE);
        CredentialReader {
            queue,
            pending: Mutex::new(Some((store, pending))),
        }
    }

    /// Starts the reading task on the current runtime (once; later calls do nothing). It ends
    /// when the reader is dropped.
    fn start(&self) {
        if let Some((store, receiver)) = self.pending.lock().ok().and_then(|mut p| p.take()) {
            tokio::spawn(read_batches(store, receiver));
        }
    }
}

fn reader_stopped() -> StoreError {
    StoreError::Unavailable("the credential reader has stopped".into())
}

impl CredentialLookup for CredentialReader {
    async fn lookup_credential(&self, region: RegionCode, index: u64) -> ReadAnswer {
        self.start();
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(ReadRequest {
                place: (region, index),
                reply,
            })
            .await
            .map_err(|_| reader_stopped())?;
        answer.await.map_err(|_| reader_stopped())?
    }
}

async fn read_batches<S: BackgroundStore>(store: S, mut receiver: mpsc::Receiver<ReadRequest>) {
    let mut batch: Vec<ReadRequest> = Vec::with_capacity(READ_BATCH);
    while let Some(first) = receiver.recv().await {
        batch.push(first);
        // Let the calls that are ready run up to their own read first, so that they join this
        // batch: on one core the query would otherwise finish before any of them got there.
        tokio::task::yield_now().await;
        while batch.len() < READ_BATCH
            && let Ok(request) = receiver.try_recv()
        {
            batch.push(request);
        }
        tracing::debug!(reads = batch.len(), "credential reads: one batch");
        let places: Vec<(RegionCode, u64)> = batch.iter().map(|r| r.place).collect();
        let read = {
            let store = store.clone();
            contained(
                "credential reads",
                async move { store.read_many(places).await },
            )
            .await
        };
        match read {
            Some(Ok(found)) if found.len() == batch.len() => {
                for (request, found) in batch.drain(..).zip(found) {
                    let _ = request.reply.send(Ok(found));
                }
            }
            // The database cannot be reached, or the read panicked: each call is told so at once
            // (reading one by one would only queue more waits on it).
            None | Some(Err(StoreError::Unavailable(_))) => {
                if let Some(Err(error)) = &read {
                    tracing::warn!(%error, reads = batch.len(), "credential reads: the database is unavailable");
                }
                for request in batch.drain(..) {
                    let _ = request.reply.send(Err(read_failed()));
                }
            }
            Some(outcome) => {
                match outcome {
                    Err(error) => {
                        tracing::warn!(%error, reads = batch.len(), "credential reads: a batch failed; reading one by one");
                    }
                    Ok(found) => {
                        tracing::error!(
                            reads = batch.len(),
                            answers = found.len(),
                            "credential reads: the store answered another number of places; reading one by one"
                        );
                    }
                }
                // Each call still waiting gets its own answer or its own error.
                for request in batch.drain(..) {
                    if request.reply.is_closed() {
                        continue;
                    }
                    let (region, index) = request.place;
                    let store = store.clone();
                    let answer = contained("a credential read", async move {
                        store.read_one(region, index).await
                    })
                    .await
                    .unwrap_or_else(|| Err(read_failed()));
                    let _ = request.reply.send(answer);
                }
            }
        }
    }
}

type Waiter = oneshot::Sender<Result<(), ()>>;

enum AuditMessage {
    Row(Box<NewVerification>, Waiter),
    Close(oneshot::Sender<()>),
}

/// Writes audit rows in batches: each caller queues its row and waits until the transaction
/// holding it commits (so no answer leaves without its audit row), while one task writes
/// whatever queued meanwhile in one [`Store::record_verifications`] call. At 15,000 calls a
/// second and a few milliseconds per commit, that is a few hundred transactions a second.
pub(crate) struct AuditWriter {
    queue: mpsc::Sender<AuditMessage>,
    pending: Mutex<Option<(AnyStore, mpsc::Receiver<AuditMessage>)>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The audit could not be written: the call is answered 503, never without its row.
#[derive(Debug)]
pub(crate) struct AuditFailed;

impl AuditWriter {
    pub(crate) fn new(store: AnyStore) -> AuditWriter {
        let (queue, pending) = mpsc::channel(AUDIT_QUEUE);
        AuditWriter {
            queue,
            pending: Mutex::new(Some((store, pending))),
            task: Mutex::new(None),
        }
    }

    /// Starts the writing task on the current runtime (once; later calls do nothing).
    /// `Application::build` starts it; a router used without it starts it on the first row.
    pub(crate) fn start(&self) {
        let Some((store, receiver)) = self.pending.lock().ok().and_then(|mut p| p.take()) else {
            return;
        };
        let handle = tokio::spawn(write_batches(store, receiver));
        if let Ok(mut task) = self.task.lock() {
            *task = Some(handle);
        }
    }

    /// Queues `row` and waits until it is committed. A full queue makes the caller wait.
    pub(crate) async fn record(&self, row: NewVerification) -> Result<(), AuditFailed> {
        self.start();
        let (done, committed) = oneshot::channel();
        self.queue
            .send(AuditMessage::Row(Box::new(row), done))
            .await
            .map_err(|_| AuditFailed)?;
        committed
            .await
            .map_err(|_| AuditFailed)?
            .map_err(|()| AuditFailed)
    }

    /// Writes what is queued and stops the task (graceful shutdown).
    pub(crate) async fn close(&self) {
        let Some(task) = self.task.lock().ok().and_then(|mut t| t.take()) else {
            return;
        };
        let (done, closed) = oneshot::channel();
        if self.queue.send(AuditMessage::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
        let _ = task.await;
    }
}

async fn write_batches<S: BackgroundStore>(store: S, mut receiver: mpsc::Receiver<AuditMessage>) {
    let mut rows: Vec<NewVerification> = Vec::with_capacity(AUDIT_BATCH);
    let mut waiters: Vec<Waiter> = Vec::with_capacity(AUDIT_BATCH);
    while let Some(first) = receiver.recv().await {
        // As for the reads: the calls that are ready get to queue their rows first.
        tokio::task::yield_now().await;
        let mut closing = None;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                AuditMessage::Row(row, waiter) => {
                    rows.push(*row);
                    waiters.push(waiter);
                }
                AuditMessage::Close(done) => {
                    closing = Some(done);
                    break;
                }
            }
            if rows.len() < AUDIT_BATCH {
                next = receiver.try_recv().ok();
            }
        }
        if !rows.is_empty() {
            tracing::debug!(rows = rows.len(), "audit: one batch");
            write(&store, std::mem::take(&mut rows), &mut waiters).await;
        }
        if let Some(done) = closing {
            // Rows queued behind the close are written too, then the task ends.
            receiver.close();
            while let Some(message) = receiver.recv().await {
                if let AuditMessage::Row(row, waiter) = message {
                    rows.push(*row);
                    waiters.push(waiter);
                }
            }
            if !rows.is_empty() {
                write(&store, std::mem::take(&mut rows), &mut waiters).await;
            }
            let _ = done.send(());
            return;
        }
    }
}

/// Writes `rows` in one transaction and tells each waiter; when that fails, row by row. A row that
/// could not be written (or whose write panicked) is its caller's 503, never a silent loss.
async fn write<S: BackgroundStore>(
    store: &S,
    rows: Vec<NewVerification>,
    waiters: &mut Vec<Waiter>,
) {
    let batch = {
        let store = store.clone();
        contained("audit", async move { store.record(rows).await }).await
    };
    let rows = match batch {
        Some((_, Ok(()))) => {
            for waiter in waiters.drain(..) {
                let _ = waiter.send(Ok(()));
            }
            return;
        }
        None => {
            for waiter in waiters.drain(..) {
                let _ = waiter.send(Err(()));
            }
            return;
        }
        Some((rows, Err(error))) => {
            tracing::warn!(%error, rows = rows.len(), "audit: a batch failed; writing its rows one by one");
            rows
        }
    };
    // One bad row (a licence no longer in the registry) must not fail the others.
    for (row, waiter) in rows.into_iter().zip(waiters.drain(..)) {
        let mut result = write_one(store, row).await;
        let unknown_licence = matches!(
            &result,
            Some((row, Err(StoreError::NotFound { .. }))) if row.file_number.is_some()
        );
        if unknown_licence && let Some((mut row, _)) = result.take() {
            row.file_number = None;
            result = write_one(store, row).await;
        }
        let written = match result {
            Some((_, Ok(()))) => Ok(()),
            Some((_, Err(error))) => {
                tracing::error!(%error, "audit: a verification could not be recorded");
                Err(())
            }
            None => Err(()),
        };
        let _ = waiter.send(written);
    }
}

async fn write_one<S: BackgroundStore>(
    store: &S,
    row: NewVerification,
) -> Option<(NewVerification, Result<(), StoreError>)> {
    let store = store.clone();
    contained("an audit row", async move {
        let (mut rows, result) = store.record(vec![row]).await;
        rows.pop().map(|row| (row, result))
    })
    .await
    .flatten()
}

/// Everything the verification API keeps in memory.
pub(crate) struct VerifyState {
    pub(crate) verifiers: Verifiers,
    pub(crate) keys: KeyCache,
    pub(crate) limiter: RateLimiter,
    pub(crate) portraits: PortraitHandles,
    pub(crate) reads: CredentialReader,
    pub(crate) audit: AuditWriter,
}

impl VerifyState {
    pub(crate) fn new(
        store: AnyStore,
        pki: Option<(PkiDir, String)>,
        limits: ApiLimits,
    ) -> VerifyState {
        VerifyState {
            verifiers: Verifiers::new(pki, limits.signature_cache),
            keys: KeyCache::default(),
            limiter: RateLimiter::new(limits.rate, limits.burst),
            portraits: PortraitHandles::default(),
            reads: CredentialReader::new(store.clone()),
            audit: AuditWriter::new(store),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_with_a_wait() {
        let limiter = RateLimiter::new(1.0, 3);
        for _ in 0..3 {
            assert_eq!(limiter.take(7, 1), Ok(()));
        }
        let wait = limiter.take(7, 1).unwrap_err();
        assert!((1..=1).contains(&wait), "{wait}");
        // Another key has its own bucket.
        assert_eq!(limiter.take(8, 1), Ok(()));
    }

    #[test]
    fn a_batch_takes_a_token_per_item_all_or_none() {
        let limiter = RateLimiter::new(1.0, 5);
        assert_eq!(limiter.take(7, 3), Ok(()));
        // Two are left: three are refused, with the wait for the one missing, and none is taken.
        assert_eq!(limiter.take(7, 3), Err(1));
        assert_eq!(limiter.take(7, 2), Ok(()));
        assert!(limiter.take(7, 1).is_err());
        assert_eq!(limiter.burst(), 5);
    }

    #[test]
    fn portrait_handles_belong_to_their_organisation() {
        let handles = PortraitHandles::default();
        let portrait = PortraitRef {
            file_number: None,
            digest: [1; 16],
        };
        let h = handles.issue(3, portrait.clone());
        assert_eq!(h.len(), 32);
        assert_eq!(handles.get(3, &h), Some(portrait));
        assert_eq!(handles.get(4, &h), None);
        assert_eq!(handles.get(3, "00"), None);
    }

    #[tokio::test]
    async fn a_registry_that_cannot_be_reached_answers_every_read_of_the_batch_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = edl_app::DatabaseUrl::Sqlite(dir.path().join("registry.sqlite3"));
        let store = AnyStore::open(&url).await.unwrap();
        let reader = CredentialReader::new(store.clone());
        let region = RegionCode::from_u32(120100).unwrap();
        // Nothing at that place yet: read, and answered.
        assert!(reader.lookup_credential(region, 0).await.unwrap().is_none());
        let AnyStore::Sqlite(sqlite) = &store else {
            unreachable!("a sqlite URL opens SQLite")
        };
        sqlite.close().await;
        let (a, b) = tokio::join!(
            reader.lookup_credential(region, 0),
            reader.lookup_credential(region, 1)
        );
        for answer in [a, b] {
            // The batch's own answer, not a single read's (which would name the closed pool).
            match answer {
                Err(StoreError::Unavailable(why)) => {
                    assert_eq!(why.to_string(), "the registry could not be read");
                }
                other => panic!("expected unavailable, got {other:?}"),
            }
        }
    }

    /// A store whose first call panics, as a bug in it would; later calls answer.
    #[derive(Clone, Default)]
    struct PanicsOnce {
        calls: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl PanicsOnce {
        fn call(&self) {
            if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                panic!("a bug in the store");
            }
        }
    }

    impl BackgroundStore for PanicsOnce {
        async fn read_many(
            &self,
            places: Vec<(RegionCode, u64)>,
        ) -> Result<Vec<Option<(FileNumber, CredentialState)>>, StoreError> {
            self.call();
            Ok(vec![None; places.len()])
        }

        async fn read_one(&self, _: RegionCode, _: u64) -> ReadAnswer {
            self.call();
            Ok(None)
        }

        async fn record(
            &self,
            rows: Vec<NewVerification>,
        ) -> (Vec<NewVerification>, Result<(), StoreError>) {
            self.call();
            (rows, Ok(()))
        }
    }

    #[tokio::test]
    async fn a_panic_while_reading_fails_that_batch_and_the_reader_goes_on() {
        let (queue, receiver) = mpsc::channel(8);
        let store = PanicsOnce::default();
        tokio::spawn(read_batches(store.clone(), receiver));
        let region = RegionCode::from_u32(120100).unwrap();
        let read = |index| {
            let queue = queue.clone();
            async move {
                let (reply, answer) = oneshot::channel();
                queue
                    .send(ReadRequest {
                        place: (region, index),
                        reply,
                    })
                    .await
                    .unwrap();
                answer.await.expect("the reader answers")
            }
        };
        match read(0).await {
            Err(StoreError::Unavailable(why)) => {
                assert_eq!(why.to_string(), "the registry could not be read");
            }
            other => panic!("expected unavailable, got {other:?}"),
        }
        // Without the containment the reader would be gone and this would never be answered.
        assert!(read(1).await.unwrap().is_none());
        assert_eq!(store.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panic_while_writing_the_audit_fails_those_rows_and_the_writer_goes_on() {
        let (queue, receiver) = mpsc::channel(8);
        let store = PanicsOnce::default();
        tokio::spawn(write_batches(store.clone(), receiver));
        let row = NewVerification {
            at: time::OffsetDateTime::UNIX_EPOCH,
            organisation_id: 1,
            api_key_id: Some(1),
            user_id: None,
            purpose: "roadside".into(),
            channel: "api".into(),
            result: "valid".into(),
            file_number: None,
            region: None,
        };
        let record = |row: NewVerification| {
            let queue = queue.clone();
            async move {
                let (done, committed) = oneshot::channel();
                queue
                    .send(AuditMessage::Row(Box::new(row), done))
                    .await
                    .unwrap();
                committed.await.expect("the writer answers")
            }
        };
        // The caller is told its row was not written (its call is answered 503), and the next
        // row is written.
        assert_eq!(record(row.clone()).await, Err(()));
        assert_eq!(record(row).await, Ok(()));
        assert_eq!(store.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn a_full_map_of_portrait_handles_keeps_the_newest() {
        let handles = PortraitHandles::default();
        let portrait = PortraitRef {
            file_number: None,
            digest: [2; 16],
        };
        let first = handles.issue(1, portrait.clone());
        let mut last = String::new();
        for _ in 0..MAX_ENTRIES {
            last = handles.issue(1, portrait.clone());
        }
        // The map filled: the first handle is in the older generation, still usable.
        assert_eq!(handles.get(1, &first), Some(portrait.clone()));
        assert_eq!(handles.get(1, &last), Some(portrait.clone()));
        // Another generation later the first is forgotten; the newest never is.
        for _ in 0..MAX_ENTRIES {
            last = handles.issue(1, portrait.clone());
        }
        assert_eq!(handles.get(1, &first), None);
        assert_eq!(handles.get(1, &last), Some(portrait));
    }
}
