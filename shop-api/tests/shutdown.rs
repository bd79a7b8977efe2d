//! A restart as a service manager does it: SIGTERM while sixteen clients write as fast as the
//! server takes them and the queue delivers events to a slow receiver. The server must stop
//! taking connections, answer every request it took, settle the job it was delivering, and
//! exit within its grace period; afterwards every acknowledged write is stored once and no
//! write is stored that its client never heard about. On PostgreSQL when `DATABASE_URL` is set.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::{Instance, Outcome, request, shop_api};
use serde_json::json;
use shop_api::db::Value;
use tempfile::TempDir;

const SECRET: &str = "shutdown-secret";
const CLIENTS: usize = 16;
const GRACE_SECS: u64 = 10;

/// A merchant endpoint that takes a second to answer each event, and counts the deliveries it
/// has received and those it is still answering.
struct SlowReceiver {
    url: String,
    received: Arc<AtomicUsize>,
    answering: Arc<AtomicUsize>,
}

fn slow_receiver() -> SlowReceiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let received = Arc::new(AtomicUsize::new(0));
    let answering = Arc::new(AtomicUsize::new(0));
    let (counted, open) = (received.clone(), answering.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let (counted, open) = (counted.clone(), open.clone());
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer);
                counted.fetch_add(1, Ordering::SeqCst);
                open.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(1));
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    SlowReceiver {
        url,
        received,
        answering,
    }
}

/// A request whose body is still arriving when the signal comes: its head and half its body
/// are sent now, the rest by [`HalfSent::finish`].
struct HalfSent {
    stream: TcpStream,
    rest: String,
}

impl HalfSent {
    fn start(addr: std::net::SocketAddr, key: &str) -> Self {
        let body = json!({ "type": "nps", "score": 10, "campaign": "shutdown" }).to_string();
        let (first, rest) = body.split_at(body.len() / 2);
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /api/v1/feedback HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nIdempotency-Key: {key}\r\nConnection: close\r\n\r\n{first}",
            body.len()
        )
        .unwrap();
        stream.flush().unwrap();
        Self {
            stream,
            rest: rest.to_owned(),
        }
    }

    /// Sends the rest and reads the answer's status line.
    fn finish(mut self) -> String {
        self.stream.write_all(self.rest.as_bytes()).unwrap();
        let mut answer = String::new();
        self.stream.read_to_string(&mut answer).unwrap();
        answer.lines().next().unwrap_or_default().to_owned()
    }
}

/// One write: an anonymous NPS answer, or every third a guest's play of the demo wheel.
fn write(addr: std::net::SocketAddr, key: &str, n: usize) -> Outcome {
    let headers = [("idempotency-key", key.to_owned())];
    if n % 3 == 0 {
        let body = json!({ "email": format!("{key}@example.no"), "marketing_consent": false });
        request(
            addr,
            "POST",
            "/api/v1/campaigns/vinterhjulet/play",
            &headers,
            Some(&body),
        )
    } else {
        let body = json!({ "type": "nps", "score": 7, "campaign": "shutdown" });
        request(addr, "POST", "/api/v1/feedback", &headers, Some(&body))
    }
}

#[test]
fn sigterm_answers_every_request_it_took_and_loses_no_acknowledged_write() {
    let dir = TempDir::new().unwrap();
    let target = common::fresh_target(dir.path());
    let receiver = slow_receiver();
    let added = shop_api(&target, SECRET)
        .args(["webhook", "add", &receiver.url, "--allow-private"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let grace = GRACE_SECS.to_string();
    let mut command = shop_api(&target, SECRET);
    command.args(["--no-rate-limits", "--shutdown-grace-secs", &grace]);
    let mut instance = Instance::start(command);
    let addr = instance.addr;

    let outcomes = Mutex::new(Vec::new());
    let acknowledged = AtomicUsize::new(0);
    let signalled = AtomicBool::new(false);
    let answered_after_signal = AtomicUsize::new(0);
    let (exit, took) = std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (outcomes, acknowledged) = (&outcomes, &acknowledged);
            let (signalled, answered_after_signal) = (&signalled, &answered_after_signal);
            scope.spawn(move || {
                for n in 0.. {
                    let key = format!("shutdown-{client:02}-{n:05}");
                    let outcome = write(addr, &key, n);
                    match &outcome {
                        Outcome::Refused => break,
                        Outcome::Answered(status, _) if (200..300).contains(status) => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                            if signalled.load(Ordering::SeqCst) {
                                answered_after_signal.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        _ => {}
                    }
                    outcomes.lock().unwrap().push((key, n, outcome));
                }
            });
        }
        // Under load, with an event being delivered and a request half received.
        while acknowledged.load(Ordering::SeqCst) < 300
            || receiver.answering.load(Ordering::SeqCst) == 0
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let half_sent = HalfSent::start(addr, "shutdown-half-sent");
        std::thread::sleep(Duration::from_millis(100));
        let signalled_at = Instant::now();
        signalled.store(true, Ordering::SeqCst);
        instance.terminate();
        std::thread::sleep(Duration::from_millis(200));
        let status_line = half_sent.finish();
        assert!(
            status_line.starts_with("HTTP/1.1 201"),
            "the half-sent answer: {status_line:?}"
        );
        let exit = loop {
            if let Some(status) = instance.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                signalled_at.elapsed() < Duration::from_secs(GRACE_SECS + 5),
                "still running {GRACE_SECS} s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        (exit, signalled_at.elapsed())
    });
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    assert!(took < Duration::from_secs(GRACE_SECS), "took {took:?}");

    let outcomes = outcomes.into_inner().unwrap();
    let db = common::open(&target).unwrap();
    let stored = |key: &str, n: usize| -> i64 {
        let sql = if n % 3 == 0 {
            "SELECT count(*) FROM plays WHERE idempotency_key = ?1"
        } else {
            "SELECT count(*) FROM feedback WHERE idempotency_key = ?1"
        };
        let rows = common::rows(&db, sql, vec![Value::from(key)]);
        match rows[0][0] {
            Value::Integer(count) => count,
            ref other => panic!("{other:?}"),
        }
    };
    let mut unanswered = 0;
    for (key, n, outcome) in &outcomes {
        match outcome {
            Outcome::Answered(status, body) => {
                assert!((200..300).contains(status), "{key}: {status} {body}");
                assert_eq!(stored(key, *n), 1, "{key} was acknowledged");
            }
            // Taken by the kernel but never by the server (its listener was closed): nothing
            // may have been done with it.
            Outcome::Unanswered(why) => {
                unanswered += 1;
                assert_eq!(stored(key, *n), 0, "{key} was stored but cut off: {why}");
            }
            Outcome::Refused => {}
        }
    }
    assert_eq!(stored("shutdown-half-sent", 1), 1);
    let after = answered_after_signal.load(Ordering::SeqCst);
    // The delivery under way when the signal came was finished and recorded: every event the
    // receiver got is settled, and no job is left leased by the stopped process.
    let delivered = common::count(
        &db,
        "SELECT count(*) FROM work_queue WHERE kind = 'event.deliver' AND state = 'done'",
    );
    assert_eq!(delivered, receiver.received.load(Ordering::SeqCst) as i64);
    assert_eq!(
        common::count(
            &db,
            "SELECT count(*) FROM work_queue WHERE lease_until IS NOT NULL"
        ),
        0,
        "a job was left half-worked"
    );
    eprintln!(
        "{} writes acknowledged ({after} after SIGTERM), {unanswered} never taken, {delivered} events delivered; exited {took:?} after the signal",
        acknowledged.load(Ordering::SeqCst)
    );
}
