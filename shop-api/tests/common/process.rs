//! A real `shop-api` process on a free port, and HTTP requests to it over real sockets, one
//! connection per request: for what only a process shows (several instances on one database,
//! signals, backups of a live file).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::Target;

/// `--db FILE` or `--database-url URL` for `target`.
pub fn database_args(target: &Target) -> Vec<String> {
    match target {
        Target::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
        Target::Postgres(url) => vec!["--database-url".into(), url.clone()],
    }
}

/// The `shop-api` binary on `target`, signing with `secret`.
pub fn shop_api(target: &Target, secret: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shop-api"));
    command
        .env_remove("DATABASE_URL")
        .env("LOJAL_SHOP_SECRET", secret)
        .args(database_args(target));
    command
}

/// A running `shop-api` process, killed when dropped.
pub struct Instance {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Instance {
    /// Starts `command` with `--addr 127.0.0.1:0` and waits for its `listening on` line.
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .args(["--addr", "127.0.0.1:0", "--log", "warn"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "shop-api exited");
            if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                break addr.parse().unwrap();
            }
        };
        Self { child, addr }
    }

    /// Sends SIGTERM, as a service manager does to stop it.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What became of one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A whole answer: its status and JSON body.
    Answered(u16, Value),
    /// Nobody listens on the port: nothing was sent.
    Refused,
    /// The connection was taken but the answer never came whole: why.
    Unanswered(String),
}

/// One request over a new connection; `body` as JSON when given.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&Value>,
) -> Outcome {
    let body = body.map(Value::to_string).unwrap_or_default();
    request_text(addr, method, path, headers, &body)
}

/// [`request`] with the body's bytes as given (a signed webhook's).
pub fn request_text(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Outcome {
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Outcome::Refused,
        Err(e) => return Outcome::Unanswered(format!("connect: {e}")),
    };
    if let Err(e) = stream.write_all(text.as_bytes()) {
        return Outcome::Unanswered(format!("write: {e}"));
    }
    let mut response = Vec::new();
    if let Err(e) = stream.read_to_end(&mut response) {
        return Outcome::Unanswered(format!("read: {e}"));
    }
    let response = String::from_utf8_lossy(&response);
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        return Outcome::Unanswered(format!("no whole head: {response:?}"));
    };
    let Some(status) = head.get(9..12).and_then(|s| s.parse().ok()) else {
        return Outcome::Unanswered(format!("no status: {head:?}"));
    };
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    if length.is_some_and(|length| length != body.len()) {
        return Outcome::Unanswered(format!("a cut body: {response:?}"));
    }
    Outcome::Answered(status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A `POST` that must be answered: its status and body.
pub fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
    body: &Value,
) -> (u16, Value) {
    match request(addr, "POST", path, headers, Some(body)) {
        Outcome::Answered(status, body) => (status, body),
        other => panic!("POST {path}: {other:?}"),
    }
}
