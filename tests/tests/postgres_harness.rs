//! The harness's PostgreSQL (`comptoir_tests::postgres`): one cluster per test process, a
//! database of its own per test, and no server left behind when the process ends.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use comptoir_tests::postgres::{EXTERNAL_ENV, PgCluster, with_database};

/// Connects to `url` on a thread of its own (the sync client runs a runtime of its own).
fn query_one(url: &str, sql: &str) -> Result<String, String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| format!("{url}: {e}"))?;
        let row = client.query_one(&sql, &[]).map_err(|e| format!("{sql}: {e}"))?;
        row.try_get::<_, String>(0).map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "the client thread panicked".to_owned())?
}

fn execute(url: &str, sql: &str) -> Result<(), String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).map_err(|e| format!("{url}: {e}"))?;
        client.batch_execute(&sql).map_err(|e| format!("{sql}: {e}"))
    })
    .join()
    .map_err(|_| "the client thread panicked".to_owned())?
}

#[test]
fn two_databases_are_distinct_and_reachable() {
    let cluster = PgCluster::shared().unwrap();
    assert!(std::ptr::eq(cluster, PgCluster::shared().unwrap()), "one cluster per process");
    let first = cluster.database().unwrap();
    let second = cluster.database().unwrap();
    assert_ne!(first, second);

    let first_name = query_one(&first, "SELECT current_database()::text").unwrap();
    let second_name = query_one(&second, "SELECT current_database()::text").unwrap();
    assert_ne!(first_name, second_name);
    assert!(first.contains(&first_name) && second.contains(&second_name), "{first} {second}");

    // What one test writes, the other does not see.
    execute(&first, "CREATE TABLE marker (note text NOT NULL); INSERT INTO marker VALUES ('first')").unwrap();
    assert_eq!(query_one(&first, "SELECT note FROM marker").unwrap(), "first");
    let missing = query_one(&second, "SELECT note FROM marker").unwrap_err();
    assert!(missing.contains("marker"), "{missing}");
    assert_eq!(query_one(&second, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'marker'").unwrap(), "0");
}

#[test]
fn databases_of_concurrent_tests_do_not_collide() {
    let cluster = PgCluster::shared().unwrap();
    let urls: Vec<String> = std::thread::scope(|scope| {
        let made: Vec<_> = (0..8).map(|_| scope.spawn(|| cluster.database())).collect();
        made.into_iter().map(|handle| handle.join().unwrap().unwrap()).collect()
    });
    let mut names: Vec<String> =
        urls.iter().map(|url| query_one(url, "SELECT current_database()::text").unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 8);
}

#[test]
fn a_cluster_of_ours_listens_on_a_unix_socket_only() {
    if std::env::var_os(EXTERNAL_ENV).is_some() {
        // The server is not ours: nothing of its set-up to check.
        return;
    }
    let cluster = PgCluster::shared().unwrap();
    let url = cluster.database().unwrap();
    let dir = cluster.dir().unwrap();
    assert!(url.starts_with("postgresql://postgres@/") && url.ends_with(&format!("?host={}", dir.display())), "{url}");
    assert!(dir.join(".s.PGSQL.5432").exists());
    assert_eq!(query_one(&url, "SELECT current_setting('listen_addresses')").unwrap(), "");
    assert_eq!(query_one(&url, "SELECT current_setting('fsync')").unwrap(), "off");
    assert_eq!(query_one(&url, "SELECT current_setting('max_connections')").unwrap(), "300");
    // The key=value form of the same database works too.
    let name = query_one(&url, "SELECT current_database()::text").unwrap();
    let key_value = format!("host={} user=postgres dbname={name}", dir.display());
    assert_eq!(query_one(&key_value, "SELECT current_database()::text").unwrap(), name);
}

#[test]
fn an_external_url_names_each_test_database() {
    assert_eq!(
        with_database("postgres://u:p@db:5432/main?sslmode=disable", "t1"),
        "postgres://u:p@db:5432/t1?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://u@db", "t1"), "postgresql://u@db/t1");
    assert_eq!(with_database("postgresql://u@/x?host=/run/pg", "t1"), "postgresql://u@/t1?host=/run/pg");
    assert_eq!(with_database("host=/run/pg user=u dbname=x", "t1"), "host=/run/pg user=u dbname=x dbname=t1");
}

/// Run in a child process by [`the_cluster_stops_when_the_test_process_ends`]: starts a
/// cluster, says where, waits for its standard input to close, and ends without stopping
/// anything.
#[test]
#[ignore = "a child process of the_cluster_stops_when_the_test_process_ends"]
#[allow(clippy::print_stdout, reason = "what the parent test reads")]
fn start_a_cluster_and_end() {
    let cluster = PgCluster::shared().unwrap();
    cluster.database().unwrap();
    println!("cluster-dir={}", cluster.dir().unwrap().display());
    println!("cluster-pid={}", cluster.server_pid().unwrap());
    // Until the parent has seen the cluster run.
    std::io::stdin().read_line(&mut String::new()).unwrap();
}

#[test]
fn the_cluster_stops_when_the_test_process_ends() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "start_a_cluster_and_end", "--ignored", "--nocapture", "--test-threads=1"])
        .env_remove(EXTERNAL_ENV)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut go_on = child.stdin.take();
    let (mut dir, mut pid) = (None, None);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        // libtest writes "test NAME ... " before what the test prints, on the same line.
        if let Some((_, found)) = line.split_once("cluster-dir=") {
            dir = Some(PathBuf::from(found));
        }
        if let Some((_, found)) = line.split_once("cluster-pid=") {
            pid = Some(found.parse::<u32>().unwrap());
            let dir: &PathBuf = dir.as_ref().unwrap();
            assert!(cluster_processes(dir).len() >= 2, "the postmaster and the supervisor run while the process does");
            go_on = None;
        }
    }
    assert!(go_on.is_none(), "the child said no pid");
    assert!(child.wait().unwrap().success());
    let (dir, pid) = (dir.unwrap(), pid.unwrap());

    // The supervisor stops the server and removes the folder once the process is gone.
    let begun = Instant::now();
    let postmaster = PathBuf::from(format!("/proc/{pid}"));
    while (dir.exists() || postmaster.exists() || !cluster_processes(&dir).is_empty())
        && begun.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!postmaster.exists(), "the postmaster {pid} still runs");
    assert!(cluster_processes(&dir).is_empty(), "processes of {} still run", dir.display());
    assert!(!dir.exists(), "{} is still there", dir.display());
}

/// The processes whose command line names `dir` (the postmaster, its supervisor).
fn cluster_processes(dir: &std::path::Path) -> Vec<u32> {
    let dir = dir.to_string_lossy();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline).contains(dir.as_ref()).then_some(pid)
        })
        .collect()
}
