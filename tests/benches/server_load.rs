//! Server load benchmark: the real sync server binary under many clients at once, on
//! SQLite (one process), on PostgreSQL with one instance, and on PostgreSQL with two
//! instances serving the same database.
//!
//! Two scenarios, each on its own freshly seeded companies:
//!
//! - (a) **first downloads**: each of 200 clients pulls its own company's 10,000 records,
//!   all at once, page after page until done, with the protocol client the app's engine
//!   uses ([`SyncClient::pull`], pages of [`PAGE`], the counts asked on the first page). The
//!   pages are parsed as the engine parses them, but not written to local files: the figure
//!   is the server's, not 200 SQLite copies' on the same two cores.
//! - (b) **edits**: 500 clients each push 10 edits a second (a contact's phone number, one
//!   edit per push) to 50 companies (10 clients per company, each with its own session and
//!   client id) for 30 s. Open loop: each client has a fixed schedule, and a push's latency
//!   is counted from the time it was scheduled, so that a server falling behind shows as
//!   queueing rather than as fewer requests. A client sends its pushes one after the
//!   other, as the engine does; one that falls behind sends the next at once, and stops
//!   sending (the rest counted as not sent) when the run's time is up twice over.
//!
//! Every client signs in once (its own session, over HTTP, with Argon2id) before the clock
//! starts; the servers run with rate limits raised (`--auth-per-minute`,
//! `--auth-global-per-minute`) for that. With two instances there is no load balancer: the
//! clients spread themselves round-robin over both.
//!
//! Seeding: one company of the demo's generator (a template, made once), then copied under
//! new ids through the storage's import path (`StorageTx::import_company`,
//! `CompanyTx::restore_record`: what `admin import-company` runs), with an owner per copy;
//! timed apart. The PostgreSQL database of the two-instance set-up is a copy of the
//! one-instance set-up's (`CREATE DATABASE … TEMPLATE`), taken before that set-up runs.
//! The copies keep the template's audit records (their chain names the template), which
//! no scenario reads.
//!
//! Prints figures; asserts nothing about time (it checks that every download is complete).
//! Targets (issue 17): pulls at least 100,000 records/s in total; a push's p99 under
//! 200 ms; PostgreSQL with two instances at least 3× SQLite's pushes/s.
//!
//! Environment:
//! - `COMPTOIR_LOAD_QUICK=1`: small sizes (20 pulling clients of 1,000 records; 50 pushing
//!   clients on 10 companies for 5 s), for a quick look;
//! - `COMPTOIR_LOAD_BACKENDS=sqlite,pg1,pg2` (default all), `COMPTOIR_LOAD_SCENARIOS=pull,push`;
//! - `COMPTOIR_LOAD_PULL_CLIENTS`, `COMPTOIR_LOAD_RECORDS`, `COMPTOIR_LOAD_PUSH_CLIENTS`,
//!   `COMPTOIR_LOAD_PUSH_COMPANIES`, `COMPTOIR_LOAD_PUSH_RATE` (edits a second per client),
//!   `COMPTOIR_LOAD_SECONDS`: the sizes, over the defaults above;
//! - `COMPTOIR_LOAD_PG_POOL=N`: each instance's PostgreSQL connections (`?pool_size=N`,
//!   default the server's own, 16);
//! - `COMPTOIR_TEST_POSTGRES=URL`: an existing PostgreSQL instead of the harness's cluster.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use comptoir_core::demo::DemoSize;
use comptoir_core::engine::link::PAGE;
use comptoir_core::model::{CompanyId, Contact, Role};
use comptoir_core::sync::{ClientError, Intent, LoginResponse, Mutation, Outcome, RecordBody, RecordKind, SyncClient};
use comptoir_server::storage::{
    CompanyRecord, ExportItem, LogState, SqliteStorage, Storage, StorageError, StoredChange, UserRecord, unit_of_work,
};
use comptoir_tests::postgres::{PgCluster, with_database};
use comptoir_tests::process::{ServerProcess, serve_with};
use comptoir_tests::{ms, peak_rss_mib, process_cpu_seconds};
use uuid::Uuid;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The password of every account the benchmark makes.
const PASSWORD: &str = "charge-comptoir-2026";

/// Sign-ins sent at once while the clients get their sessions (the server hashes a few at
/// a time and turns away a queue beyond 32 per core).
const SIGN_INS_AT_ONCE: usize = 16;

/// Issue 17's targets.
const TARGET_PULL_RECORDS_PER_S: f64 = 100_000.0;
const TARGET_PUSH_P99: Duration = Duration::from_millis(200);
const TARGET_PG2_OVER_SQLITE: f64 = 3.0;

/// What to run, and how big.
#[derive(Clone, Debug)]
struct Config {
    backends: Vec<Backend>,
    pull: bool,
    push: bool,
    pull_clients: usize,
    records: u32,
    push_clients: usize,
    push_companies: usize,
    push_rate: u32,
    seconds: u64,
    pg_pool: Option<u32>,
}

impl Config {
    fn from_env() -> Result<Self, BoxError> {
        let quick = std::env::var("COMPTOIR_LOAD_QUICK").is_ok_and(|v| v == "1");
        let number = |name: &str, default: u64| -> Result<u64, BoxError> {
            match std::env::var(name) {
                Ok(v) => v.trim().parse().map_err(|e| format!("{name}={v:?}: {e}").into()),
                Err(_) => Ok(default),
            }
        };
        let list = |name: &str| std::env::var(name).ok().map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
        let backends: Vec<String> =
            list("COMPTOIR_LOAD_BACKENDS").unwrap_or_else(|| vec!["sqlite".into(), "pg1".into(), "pg2".into()]);
        let backends = backends
            .iter()
            .map(|name| match name.as_str() {
                "sqlite" => Ok(Backend::Sqlite),
                "pg1" => Ok(Backend::Postgres { instances: 1 }),
                "pg2" => Ok(Backend::Postgres { instances: 2 }),
                other => Err(format!("COMPTOIR_LOAD_BACKENDS: unknown {other:?} (sqlite, pg1, pg2)")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let scenarios: Vec<String> =
            list("COMPTOIR_LOAD_SCENARIOS").unwrap_or_else(|| vec!["pull".into(), "push".into()]);
        let (pull_clients, records, push_clients, push_companies, seconds) =
            if quick { (20, 1_000, 50, 10, 5) } else { (200, 10_000, 500, 50, 30) };
        Ok(Self {
            backends,
            pull: scenarios.iter().any(|s| s == "pull"),
            push: scenarios.iter().any(|s| s == "push"),
            pull_clients: usize::try_from(number("COMPTOIR_LOAD_PULL_CLIENTS", pull_clients)?)?.max(1),
            records: u32::try_from(number("COMPTOIR_LOAD_RECORDS", records)?)?.max(10),
            push_clients: usize::try_from(number("COMPTOIR_LOAD_PUSH_CLIENTS", push_clients)?)?.max(1),
            push_companies: usize::try_from(number("COMPTOIR_LOAD_PUSH_COMPANIES", push_companies)?)?.max(1),
            push_rate: u32::try_from(number("COMPTOIR_LOAD_PUSH_RATE", 10)?)?.max(1),
            seconds: number("COMPTOIR_LOAD_SECONDS", seconds)?.max(1),
            pg_pool: std::env::var("COMPTOIR_LOAD_PG_POOL").ok().map(|v| v.trim().parse()).transpose()?,
        })
    }

    /// Companies to seed: the pulling clients' own, of which the first are pushed to.
    fn companies(&self) -> usize {
        let pulled = if self.pull { self.pull_clients } else { 0 };
        let pushed = if self.push { self.push_companies } else { 0 };
        pulled.max(pushed)
    }
}

/// Where the server keeps its data, and how many instances serve it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres { instances: usize },
}

impl Backend {
    fn label(self) -> String {
        match self {
            Self::Sqlite => "SQLite, 1 process".into(),
            Self::Postgres { instances: 1 } => "PostgreSQL, 1 instance".into(),
            Self::Postgres { instances } => format!("PostgreSQL, {instances} instances"),
        }
    }
}

/// The company every copy is made from: its log read whole.
struct Template {
    company: CompanyRecord,
    state: LogState,
    records: Vec<StoredChange>,
    keys: Vec<(String, String, Uuid)>,
    /// The template's owner, whose member record each copy gives to its own owner.
    owner: Uuid,
    /// Contacts that are not archived, for the edits.
    contacts: Vec<Contact>,
}

impl Template {
    /// Generates the demo's large company of about `records` records in a scratch SQLite
    /// storage, and reads it back whole.
    fn generate(records: u32, scratch: &Path) -> Result<Self, BoxError> {
        let storage = SqliteStorage::open(scratch)?;
        let accounts =
            comptoir_server::demo::seed(&storage, &scratch.join("work"), &DemoSize::with_records(records), None, None)?;
        let (id, _, _) = accounts.companies.get(1).cloned().ok_or("the demo made no large company")?;
        let owner = storage.user_by_email(&accounts.email)?.ok_or("the demo's owner is missing")?.id.0;
        let mut template = None;
        let (mut changes, mut keys) = (Vec::new(), Vec::new());
        storage.export_company(id, &mut |item| {
            match item {
                ExportItem::Company(company, state) => template = Some((company, state)),
                ExportItem::Record(change) => changes.push(change),
                ExportItem::Key { namespace, key, owner } => keys.push((namespace, key, owner)),
                ExportItem::Member(_) | ExportItem::Outcome { .. } => {}
            }
            Ok(())
        })?;
        let (company, state) = template.ok_or("the export named no company")?;
        let contacts = changes
            .iter()
            .filter(|c| c.kind == RecordKind::Contact)
            .filter_map(|c| match serde_json::from_str(c.body.as_deref()?) {
                Ok(RecordBody::Contact(contact)) if !contact.archived => Some(contact),
                _ => None,
            })
            .collect::<Vec<Contact>>();
        if contacts.is_empty() {
            return Err("the template has no contact to edit".into());
        }
        Ok(Self { company, state, records: changes, keys, owner, contacts })
    }

    /// The template's records as copy `id` owned by `user` holds them: its settings under
    /// its own id, its owner's member record for `user`.
    fn records_for(&self, id: CompanyId, user: &UserRecord) -> Result<Vec<StoredChange>, BoxError> {
        let mut records = self.records.clone();
        for record in &mut records {
            let renamed = match (record.kind, record.body.as_deref()) {
                (RecordKind::Settings, Some(body)) if record.id == self.company.id.0 => {
                    let RecordBody::Settings(mut settings) = serde_json::from_str(body)? else {
                        return Err("the settings record holds something else".into());
                    };
                    settings.company.id = id;
                    Some((id.0, RecordBody::Settings(settings)))
                }
                (RecordKind::Member, Some(body)) if record.id == self.owner => {
                    let RecordBody::Member(mut member) = serde_json::from_str(body)? else {
                        return Err("a member record holds something else".into());
                    };
                    member.user_id = user.id;
                    member.email.clone_from(&user.email);
                    member.display_name.clone_from(&user.display_name);
                    Some((user.id.0, RecordBody::Member(member)))
                }
                _ => None,
            };
            if let Some((new_id, body)) = renamed {
                record.id = new_id;
                record.body = Some(serde_json::to_string(&body)?);
            }
        }
        Ok(records)
    }
}

/// A seeded company and the account that owns it.
#[derive(Clone, Debug)]
struct Seeded {
    company: CompanyId,
    email: String,
}

/// Copies the template `count` times into `storage`, each with an owner of its own
/// (`load-N@comptoir.test`, all with the password hash `hash`), on `threads` threads.
fn seed_copies(
    storage: &dyn Storage,
    template: &Template,
    count: usize,
    hash: &str,
    threads: usize,
) -> Result<Vec<Seeded>, BoxError> {
    let next = AtomicUsize::new(0);
    let seeded = std::sync::Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(), BoxError> {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= count {
                            return Ok(());
                        }
                        let copy = copy_company(storage, template, index, hash)?;
                        seeded.lock().map_err(|_| "a seeding thread panicked")?.push((index, copy));
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| "a seeding thread panicked")??;
        }
        Ok::<_, BoxError>(())
    })?;
    let mut seeded = seeded.into_inner().map_err(|_| "a seeding thread panicked")?;
    seeded.sort_by_key(|(index, _)| *index);
    Ok(seeded.into_iter().map(|(_, copy)| copy).collect())
}

/// One copy of the template, its owner and membership, in one transaction.
fn copy_company(storage: &dyn Storage, template: &Template, index: usize, hash: &str) -> Result<Seeded, BoxError> {
    let id = CompanyId(Uuid::now_v7());
    let email = format!("load-{index}@comptoir.test");
    let user = UserRecord::new(&email, Some(&format!("Charge {index}")), hash.to_owned());
    let company = CompanyRecord {
        id,
        name: format!("Charge {index} SARL"),
        country: template.company.country.clone(),
        created_at: Utc::now(),
    };
    let state = LogState { epoch: Uuid::now_v7(), ..template.state.clone() };
    let records = template.records_for(id, &user)?;
    unit_of_work(storage, |tx| -> Result<(), StorageError> {
        tx.create_user(&user)?;
        tx.import_company(&company, &state)?;
        tx.set_member(id, user.id, Role::Owner)?;
        tx.in_company(id, &mut |log| {
            for record in &records {
                log.restore_record(record.kind, record.id, record.seq, record.body.as_deref())?;
            }
            for (namespace, key, owner) in &template.keys {
                if !log.claim_key(namespace, key, *owner)? {
                    return Err(StorageError::Corrupt(format!("{namespace} {key} copied twice")));
                }
            }
            Ok(())
        })
    })?;
    Ok(Seeded { company: id, email })
}

/// The server processes of a set-up; killed when dropped.
struct Instances {
    servers: Vec<ServerProcess>,
    /// One HTTP client per instance, shared by every client task talking to it.
    http: Vec<reqwest::Client>,
}

impl Instances {
    /// Starts `count` instances on the data folder `data` (and PostgreSQL `database`),
    /// each after the previous one answers its health check.
    async fn start(data: &Path, database: Option<&str>, count: usize) -> Result<Self, BoxError> {
        let binary = env!("CARGO_BIN_EXE_comptoir-sync-server");
        let mut args = vec!["--auth-per-minute", "10000000", "--auth-global-per-minute", "10000000"];
        if let Some(database) = database {
            args.extend(["--database", database]);
        }
        let mut instances = Self { servers: Vec::new(), http: Vec::new() };
        for n in 0..count {
            let log = std::fs::File::create(data.join(format!("instance-{n}.log")))?;
            let server = serve_with(binary, data, &args, &[], log)?;
            let http = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_mins(3))
                .pool_max_idle_per_host(2_048)
                .build()?;
            let started = Instant::now();
            loop {
                let health = http.get(format!("{}/v1/health", server.url)).send().await;
                if health.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                if started.elapsed() > Duration::from_mins(1) {
                    return Err(format!("instance {n} at {} is not healthy after a minute", server.url).into());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            instances.servers.push(server);
            instances.http.push(http);
        }
        Ok(instances)
    }

    /// A protocol client of instance `n % count`, on that instance's shared HTTP client.
    fn client(&self, n: usize) -> Result<SyncClient, ClientError> {
        let i = n % self.servers.len();
        SyncClient::with_http(&self.servers[i].url, self.http[i].clone())
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        for server in &mut self.servers {
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
    }
}

/// `(email, instance)` pairs signed in, `SIGN_INS_AT_ONCE` at a time: one client each.
async fn sign_in_all(instances: &Instances, who: &[(String, usize)]) -> Result<Vec<SyncClient>, BoxError> {
    let gate = Arc::new(tokio::sync::Semaphore::new(SIGN_INS_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (email, instance)) in who.iter().enumerate() {
        let mut client = instances.client(*instance)?;
        let (email, gate) = (email.clone(), Arc::clone(&gate));
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.map_err(|e| e.to_string())?;
            match client.login(&email, PASSWORD).await {
                Ok(LoginResponse::SignedIn(_)) => Ok((n, client)),
                Ok(LoginResponse::TotpRequired { .. }) => Err(format!("{email} asks for a code")),
                Err(e) => Err(format!("{email} cannot sign in: {e}")),
            }
        });
    }
    let mut clients: Vec<(usize, SyncClient)> = Vec::with_capacity(who.len());
    for result in tasks.join_all().await {
        clients.push(result?);
    }
    clients.sort_by_key(|(n, _)| *n);
    Ok(clients.into_iter().map(|(_, client)| client).collect())
}

/// CPU seconds used so far by this process (the clients), by the server instances, and
/// by the whole machine (busy time, every core), from `/proc` (in its 100 ticks a second).
#[derive(Clone, Copy, Debug)]
struct CpuSample {
    clients: f64,
    servers: f64,
    machine: f64,
    at: Instant,
}

impl CpuSample {
    fn take(instances: &Instances) -> Self {
        let servers =
            instances.servers.iter().map(|s| process_cpu_seconds(&s.child.id().to_string()).unwrap_or(0.0)).sum();
        Self {
            clients: process_cpu_seconds("self").unwrap_or(0.0),
            servers,
            machine: machine_busy(),
            at: Instant::now(),
        }
    }

    /// Where the CPU went since `self`.
    fn since(self, instances: &Instances) -> String {
        let now = Self::take(instances);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        #[allow(clippy::cast_precision_loss, reason = "a core count")]
        let available = now.at.duration_since(self.at).as_secs_f64() * cores as f64;
        let (clients, servers) = (now.clients - self.clients, now.servers - self.servers);
        let rest = (now.machine - self.machine - clients - servers).max(0.0);
        format!(
            "CPU meanwhile: clients {clients:.1} s, server instance(s) {servers:.1} s, the rest (PostgreSQL, other \
             work) {rest:.1} s, of {available:.1} s the cores had"
        )
    }
}

/// The machine's busy CPU seconds, every core together (idle and I/O wait left out).
fn machine_busy() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return 0.0 };
    let values: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|v| v.parse().ok())
        .collect();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    ticks_to_seconds(values.iter().sum::<u64>().saturating_sub(idle))
}

#[allow(clippy::cast_precision_loss, reason = "ticks far below 2^52")]
fn ticks_to_seconds(ticks: u64) -> f64 {
    ticks as f64 / 100.0
}

/// The `per_mille`th quantile of sorted durations (nearest rank).
fn quantile(sorted: &[Duration], per_mille: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * per_mille).div_ceil(1_000).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52, for a rate")]
fn per_second(count: usize, wall: Duration) -> f64 {
    count as f64 / wall.as_secs_f64().max(1e-9)
}

/// What scenario (a) measured.
#[derive(Clone, Debug)]
struct PullFigures {
    records_per_s: f64,
    client_p50: Duration,
    client_p99: Duration,
    page_p50: Duration,
    page_p99: Duration,
}

/// Scenario (a): every seeded company downloaded by its own client at once.
async fn pull_scenario(instances: &Instances, seeded: &[Seeded], expected: u64) -> Result<PullFigures, BoxError> {
    let who: Vec<(String, usize)> = seeded.iter().enumerate().map(|(n, s)| (s.email.clone(), n)).collect();
    let signing = Instant::now();
    let clients = sign_in_all(instances, &who).await?;
    println!("    {} clients signed in in {:.1} s (not measured)", clients.len(), signing.elapsed().as_secs_f64());

    let start = Arc::new(tokio::sync::Barrier::new(clients.len() + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for (client, seeded) in clients.into_iter().zip(seeded) {
        let (company, start) = (seeded.company, Arc::clone(&start));
        tasks.spawn(async move {
            start.wait().await;
            let began = Instant::now();
            let (mut after, mut epoch, mut pulled, mut pages) = (0_u64, None, 0_u64, Vec::new());
            loop {
                let asked = Instant::now();
                let page = client.pull(company, after, epoch, PAGE, epoch.is_none()).await?;
                pages.push(asked.elapsed());
                pulled += page.changes.len() as u64;
                (after, epoch) = (page.cursor.seq, Some(page.epoch));
                if !page.has_more {
                    break;
                }
            }
            Ok::<_, ClientError>((began.elapsed(), pulled, pages))
        });
    }
    let cpu = CpuSample::take(instances);
    start.wait().await;
    let began = Instant::now();
    let results = tasks.join_all().await;
    let wall = began.elapsed();
    let cpu = cpu.since(instances);
    let (mut client_times, mut page_times, mut total) = (Vec::new(), Vec::new(), 0_u64);
    for result in results {
        let (time, pulled, pages) = result?;
        if pulled < expected {
            return Err(format!("a client pulled {pulled} changes of {expected}: the download is incomplete").into());
        }
        total += pulled;
        client_times.push(time);
        page_times.extend(pages);
    }
    client_times.sort();
    page_times.sort();
    let figures = PullFigures {
        records_per_s: per_second(usize::try_from(total)?, wall),
        client_p50: quantile(&client_times, 500),
        client_p99: quantile(&client_times, 990),
        page_p50: quantile(&page_times, 500),
        page_p99: quantile(&page_times, 990),
    };
    println!(
        "    (a) {} downloads of {} changes at once: {total} records in {:.2} s = {:.0} records/s; per client p50 \
         {:.0} ms, p99 {:.0} ms, worst {:.0} ms; per page ({} pages of up to {PAGE}) p50 {:.0} ms, p99 {:.0} ms",
        client_times.len(),
        expected,
        wall.as_secs_f64(),
        figures.records_per_s,
        ms(figures.client_p50),
        ms(figures.client_p99),
        ms(client_times.last().copied().unwrap_or_default()),
        page_times.len(),
        ms(figures.page_p50),
        ms(figures.page_p99),
    );
    println!("        {cpu}");
    Ok(figures)
}

/// What scenario (b) measured.
#[derive(Clone, Debug)]
struct PushFigures {
    offered_per_s: f64,
    applied_per_s: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Answers other than "applied", and pushes never sent, by code.
    errors: BTreeMap<String, usize>,
}

/// How one push went.
enum PushAnswer {
    Applied(Duration),
    Failed(String),
}

/// Scenario (b): `push_clients` clients on the first `push_companies` companies, each
/// pushing `push_rate` edits a second for `seconds`, open loop.
#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
async fn push_scenario(
    instances: &Instances,
    seeded: &[Seeded],
    template: &Template,
    config: &Config,
) -> Result<PushFigures, BoxError> {
    let companies = &seeded[..config.push_companies.min(seeded.len())];
    let who: Vec<(String, usize)> =
        (0..config.push_clients).map(|n| (companies[n % companies.len()].email.clone(), n)).collect();
    let signing = Instant::now();
    let clients = sign_in_all(instances, &who).await?;
    println!("    {} clients signed in in {:.1} s (not measured)", clients.len(), signing.elapsed().as_secs_f64());

    let interval = Duration::from_secs(1) / config.push_rate;
    let per_client = usize::try_from(u64::from(config.push_rate) * config.seconds)?;
    let window = Duration::from_secs(config.seconds);
    // Every client's schedule, shifted evenly across one interval; starts in a second.
    let start = tokio::time::Instant::now() + Duration::from_secs(1);
    let deadline = start + window * 2;
    let count = u32::try_from(clients.len())?;
    let mut tasks = tokio::task::JoinSet::new();
    for (n, client) in clients.into_iter().enumerate() {
        let company = companies[n % companies.len()].company;
        let mut contact = template.contacts[n % template.contacts.len()].clone();
        let offset = interval * u32::try_from(n)? / count;
        tasks.spawn(async move {
            let client_id = Uuid::now_v7();
            let mut answers = Vec::with_capacity(per_client);
            let mut unsent = 0_usize;
            for i in 0..per_client {
                let scheduled = start + offset + interval * u32::try_from(i).unwrap_or(u32::MAX);
                tokio::time::sleep_until(scheduled).await;
                if tokio::time::Instant::now() > deadline {
                    // Time is up twice over: the rest are not sent.
                    unsent = per_client - i;
                    break;
                }
                contact.phone = Some(format!("+33 1 {n:04} {i:04}"));
                let mutation = Mutation {
                    client_id,
                    mutation_id: i as u64 + 1,
                    intent: Intent::UpdateContact { contact: contact.clone() },
                };
                let answer = match client.push(company, vec![mutation]).await {
                    Ok(response) => match response.results.first().map(|r| &r.outcome) {
                        Some(Outcome::Applied { .. }) => PushAnswer::Applied(scheduled.elapsed()),
                        Some(Outcome::Rejected { code, .. }) => PushAnswer::Failed(format!("rejected {code}")),
                        Some(Outcome::ClientIdTaken { .. }) => PushAnswer::Failed("client_id_taken".into()),
                        None => PushAnswer::Failed("no result".into()),
                    },
                    Err(ClientError::Busy { status, code, .. } | ClientError::Refused { status, code, .. }) => {
                        PushAnswer::Failed(format!("{status} {code}"))
                    }
                    Err(e) => PushAnswer::Failed(e.code().to_owned()),
                };
                answers.push(answer);
            }
            (answers, unsent, tokio::time::Instant::now())
        });
    }
    let cpu = CpuSample::take(instances);
    let results = tasks.join_all().await;
    let cpu = cpu.since(instances);
    let mut latencies = Vec::new();
    let mut errors = BTreeMap::new();
    let mut last = start;
    for (answers, unsent, done) in results {
        last = last.max(done);
        if unsent > 0 {
            *errors.entry("not sent (time up)".to_owned()).or_insert(0) += unsent;
        }
        for answer in answers {
            match answer {
                PushAnswer::Applied(latency) => latencies.push(latency),
                PushAnswer::Failed(code) => *errors.entry(code).or_insert(0) += 1,
            }
        }
    }
    let wall = last.duration_since(start).max(window);
    latencies.sort();
    let offered = config.push_clients * per_client;
    let figures = PushFigures {
        offered_per_s: per_second(offered, window),
        applied_per_s: per_second(latencies.len(), wall),
        p50: quantile(&latencies, 500),
        p99: quantile(&latencies, 990),
        max: latencies.last().copied().unwrap_or_default(),
        errors,
    };
    println!(
        "    (b) {} clients × {} edits/s on {} companies for {} s (offered {:.0} pushes/s, {offered} in all): {} \
         applied in {:.1} s = {:.0} pushes/s; latency from schedule p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; \
         other answers: {}",
        config.push_clients,
        config.push_rate,
        companies.len(),
        config.seconds,
        figures.offered_per_s,
        latencies.len(),
        wall.as_secs_f64(),
        figures.applied_per_s,
        ms(figures.p50),
        ms(figures.p99),
        ms(figures.max),
        tally(&figures.errors),
    );
    println!("        {cpu}");
    Ok(figures)
}

fn tally(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts.iter().map(|(code, n)| format!("{n} × {code}")).collect::<Vec<_>>().join(", ")
}

/// The figures of one set-up.
#[derive(Debug)]
struct Run {
    backend: Backend,
    pull: Option<PullFigures>,
    push: Option<PushFigures>,
}

/// The seeded data of a backend: its data folder (keys; SQLite files) and database.
struct Prepared {
    data: tempfile::TempDir,
    /// The PostgreSQL database as the harness named it, and with the pool size asked.
    raw_url: Option<String>,
    database: Option<String>,
    seeded: Vec<Seeded>,
    seeding: Duration,
}

/// Seeds the SQLite files of a new data folder.
fn prepare_sqlite(template: &Template, count: usize, hash: &str) -> Result<Prepared, BoxError> {
    let data = tempfile::tempdir()?;
    let began = Instant::now();
    let storage = SqliteStorage::open(data.path())?;
    let seeded = seed_copies(&storage, template, count, hash, 1)?;
    drop(storage);
    Ok(Prepared { data, raw_url: None, database: None, seeded, seeding: began.elapsed() })
}

/// Seeds a new PostgreSQL database of `cluster`; its URL with the pool size asked.
fn prepare_postgres(
    cluster: &PgCluster,
    template: &Template,
    count: usize,
    hash: &str,
    pool: Option<u32>,
) -> Result<Prepared, BoxError> {
    let data = tempfile::tempdir()?;
    let url = cluster.database()?;
    let began = Instant::now();
    let storage = comptoir_server::open_storage(data.path(), Some(&url))?;
    let seeded = seed_copies(storage.as_ref(), template, count, hash, 3)?;
    drop(storage);
    let seeding = began.elapsed();
    Ok(Prepared { data, database: Some(with_pool(&url, pool)), raw_url: Some(url), seeded, seeding })
}

/// `url` with `pool_size=N` when asked.
fn with_pool(url: &str, pool: Option<u32>) -> String {
    match pool {
        Some(n) if url.contains('?') => format!("{url}&pool_size={n}"),
        Some(n) => format!("{url}?pool_size={n}"),
        None => url.to_owned(),
    }
}

/// A copy of the PostgreSQL database of `prepared` (`CREATE DATABASE … TEMPLATE`), for
/// the same data folder's keys; its URL with the pool size asked. Nothing may be
/// connected to the source meanwhile.
fn clone_postgres(prepared: &Prepared, pool: Option<u32>) -> Result<String, BoxError> {
    let url = prepared.raw_url.as_deref().ok_or("not a PostgreSQL set-up")?;
    let path = url.split('?').next().unwrap_or(url);
    let source = path.rsplit('/').next().ok_or("the database URL names no database")?.to_owned();
    let copy = format!("{source}_copy");
    let admin = with_database(url, "postgres");
    let statement = format!("CREATE DATABASE {copy} TEMPLATE {source}");
    // The `postgres` crate runs a runtime of its own: on a thread of its own.
    std::thread::spawn(move || -> Result<(), String> {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).map_err(|e| e.to_string())?;
        client.batch_execute(&statement).map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "the PostgreSQL thread panicked")??;
    Ok(with_pool(&with_database(url, &copy), pool))
}

/// Starts the instances of `backend` on `prepared` and runs the scenarios asked.
async fn run_setup(
    backend: Backend,
    prepared: &Prepared,
    database: Option<&str>,
    template: &Template,
    config: &Config,
) -> Result<Run, BoxError> {
    let count = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres { instances } => instances,
    };
    println!("{} (companies seeded in {:.1} s, not measured):", backend.label(), prepared.seeding.as_secs_f64());
    if count > 1 {
        println!("    {count} instances on one database; no load balancer: the clients go round-robin to each");
    }
    let instances = Instances::start(prepared.data.path(), database, count).await?;
    let mut run = Run { backend, pull: None, push: None };
    if config.pull {
        let seeded = &prepared.seeded[..config.pull_clients.min(prepared.seeded.len())];
        run.pull = Some(pull_scenario(&instances, seeded, template.records.len() as u64).await?);
    }
    if config.push {
        run.push = Some(push_scenario(&instances, &prepared.seeded, template, config).await?);
    }
    println!("    load average now: {}; benchmark process peak memory {} MiB", load_average(), peak_rss_mib());
    drop(instances);
    Ok(run)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "unknown".into(), |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// The final table: backend × scenario, with the targets.
fn summary(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nsummary (targets from issue 17):");
    let _ = writeln!(
        out,
        "{:<26} | {:>13} {:>10} {:>10} | {:>11} {:>9} {:>9} {:>9} {:>8}",
        "set-up", "pull rec/s", "client p50", "client p99", "pushes/s", "push p50", "push p99", "push max", "errors"
    );
    for run in runs {
        let pull = run.pull.as_ref().map_or_else(
            || format!("{:>13} {:>10} {:>10}", "-", "-", "-"),
            |p| format!("{:>13.0} {:>8.0}ms {:>8.0}ms", p.records_per_s, ms(p.client_p50), ms(p.client_p99)),
        );
        let push = run.push.as_ref().map_or_else(
            || format!("{:>11} {:>9} {:>9} {:>9} {:>8}", "-", "-", "-", "-", "-"),
            |p| {
                format!(
                    "{:>11.0} {:>7.0}ms {:>7.0}ms {:>7.0}ms {:>8}",
                    p.applied_per_s,
                    ms(p.p50),
                    ms(p.p99),
                    ms(p.max),
                    p.errors.values().sum::<usize>()
                )
            },
        );
        let _ = writeln!(out, "{:<26} | {pull} | {push}", run.backend.label());
    }
    for run in runs {
        if let Some(p) = &run.pull {
            let _ = writeln!(
                out,
                "target pull ≥ {TARGET_PULL_RECORDS_PER_S:.0} records/s, {}: {:.0} → {}",
                run.backend.label(),
                p.records_per_s,
                verdict(p.records_per_s >= TARGET_PULL_RECORDS_PER_S)
            );
        }
    }
    for run in runs {
        if let Some(p) = &run.push {
            let _ = writeln!(
                out,
                "target push p99 < {} ms, {}: {:.0} ms → {} (offered {:.0}/s, applied {:.0}/s)",
                TARGET_PUSH_P99.as_millis(),
                run.backend.label(),
                ms(p.p99),
                verdict(p.p99 < TARGET_PUSH_P99 && p.errors.is_empty()),
                p.offered_per_s,
                p.applied_per_s
            );
        }
    }
    let pushes = |backend: Backend| runs.iter().find(|r| r.backend == backend).and_then(|r| r.push.as_ref());
    if let (Some(sqlite), Some(pg2)) = (pushes(Backend::Sqlite), pushes(Backend::Postgres { instances: 2 })) {
        let ratio = pg2.applied_per_s / sqlite.applied_per_s.max(1e-9);
        let _ = writeln!(
            out,
            "target PostgreSQL×2 pushes/s ≥ {TARGET_PG2_OVER_SQLITE}× SQLite's: {:.0} / {:.0} = {ratio:.2}× → {}{}",
            pg2.applied_per_s,
            sqlite.applied_per_s,
            verdict(ratio >= TARGET_PG2_OVER_SQLITE),
            if sqlite.applied_per_s + 1.0 >= sqlite.offered_per_s {
                " (SQLite kept up with the offered load: the ratio is bounded by the offer, raise it to compare)"
            } else {
                ""
            }
        );
    }
    out
}

fn main() -> Result<(), BoxError> {
    let config = Config::from_env()?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "server load benchmark: {cores} cores, load average at start {} (this machine is shared: other work runs \
         beside it); the clients, the server processes and PostgreSQL all share these cores",
        load_average()
    );
    println!(
        "sizes: (a) {} clients × their own company of ~{} records{}; (b) {} clients × {} edits/s on {} companies \
         for {} s{}",
        config.pull_clients,
        config.records,
        if config.pull { "" } else { " (not run)" },
        config.push_clients,
        config.push_rate,
        config.push_companies,
        config.seconds,
        if config.push { "" } else { " (not run)" },
    );

    let began = Instant::now();
    let scratch = tempfile::tempdir()?;
    let template = Template::generate(config.records, scratch.path())?;
    drop(scratch);
    let hash = comptoir_server::auth::hash_password(PASSWORD)?;
    println!(
        "template company: {} records (log seq {}), {} contacts to edit, generated in {:.1} s",
        template.records.len(),
        template.state.seq,
        template.contacts.len(),
        began.elapsed().as_secs_f64()
    );
    let companies = config.companies();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut runs = Vec::new();
    if config.backends.contains(&Backend::Sqlite) {
        let prepared = prepare_sqlite(&template, companies, &hash)?;
        runs.push(runtime.block_on(run_setup(Backend::Sqlite, &prepared, None, &template, &config))?);
    }
    let postgres: Vec<Backend> = config.backends.iter().copied().filter(|b| *b != Backend::Sqlite).collect();
    if !postgres.is_empty() {
        let cluster = PgCluster::shared()?;
        let prepared = prepare_postgres(cluster, &template, companies, &hash, config.pg_pool)?;
        // Both set-ups start from the same seed: the second's database is copied before
        // the first one changes its own.
        let mut databases = vec![prepared.database.clone()];
        if postgres.len() > 1 {
            let cloning = Instant::now();
            databases.push(Some(clone_postgres(&prepared, config.pg_pool)?));
            println!(
                "PostgreSQL seed database copied for the second set-up in {:.1} s",
                cloning.elapsed().as_secs_f64()
            );
        }
        for (backend, database) in postgres.into_iter().zip(databases) {
            runs.push(runtime.block_on(run_setup(backend, &prepared, database.as_deref(), &template, &config))?);
        }
    }
    println!("{}", summary(&runs));
    println!("whole run {:.0} s; load average at the end {}", began.elapsed().as_secs_f64(), load_average());
    Ok(())
}
