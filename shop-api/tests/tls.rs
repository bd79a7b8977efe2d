//! TLS to PostgreSQL against a server this test starts with a certificate it makes: a CA of its
//! own signs a certificate for `localhost`. `verify-full` with that CA connects and migrates
//! over TLS; `require` connects without checking; `verify-ca` accepts another host name; a
//! wrong CA, the system's roots or a wrong host name are refused at start with an error that
//! says which. Runs in the PostgreSQL pass (`DATABASE_URL` set), with the same server binaries.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use shop_api::db::Db;
use tempfile::TempDir;

/// Debian's PostgreSQL server programs, newest first (as `scripts/lib.sh` finds them).
fn postgres_bin() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server programs under /usr/lib/postgresql")
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    dirs.sort_by_key(|dir| {
        let version = dir.parent().and_then(Path::file_name);
        version
            .and_then(|v| v.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
        .expect("initdb and pg_ctl under /usr/lib/postgresql/*/bin")
}

/// PostgreSQL refuses to run as root: then it runs as `postgres`, as in `scripts/lib.sh`.
fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn give_to_server_user(path: &Path) {
    if Command::new("id").arg("-u").output().unwrap().stdout == b"0\n" {
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// A certificate authority of the test's own.
fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A PostgreSQL server with TLS on, stopped when dropped.
struct Server {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
}

impl Server {
    fn start(ca: &CertifiedIssuer<'_, KeyPair>) -> Self {
        let bin = postgres_bin();
        let dir = TempDir::new().unwrap();
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let certificate = params.signed_by(&key, ca).unwrap();
        std::fs::write(dir.path().join("server.crt"), certificate.pem()).unwrap();
        std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        give_to_server_user(dir.path());
        let data = dir.path().join("data");
        let initdb = as_server_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "lojal", "-A", "trust", "--no-locale", "-E", "UTF8"])
            .output()
            .unwrap();
        assert!(initdb.status.success(), "{initdb:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on \
             -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
            dir = dir.path().display()
        );
        let started = as_server_user(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .unwrap();
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        assert!(started.status.success(), "{started:?}\n{log}");
        Self { bin, dir, port }
    }

    fn url(&self, host: &str, tls: &str) -> String {
        format!("postgres://lojal@{host}:{}/postgres?{tls}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = as_server_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// Whether the connection `db` hands out is encrypted, by the server's own account.
fn encrypted(db: &Db) -> bool {
    common::count(
        db,
        "SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
    ) == 1
}

#[test]
fn postgres_over_tls_is_verified_as_sslmode_says_and_a_bad_certificate_stops_the_start() {
    if common::postgres_url().is_none() {
        eprintln!("tls.rs runs in the PostgreSQL pass (DATABASE_URL set); skipped");
        return;
    }
    let ca = authority("lojal test CA");
    let server = Server::start(&ca);
    let files = TempDir::new().unwrap();
    let ca_file = files.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let other_file = files.path().join("other-ca.pem");
    std::fs::write(&other_file, authority("someone else's CA").pem()).unwrap();
    let root = |file: &Path| format!("sslrootcert={}", file.display());

    // verify-full with the CA that signed it: a shop, migrated, over TLS.
    let full = Db::connect(&server.url(
        "localhost",
        &format!("sslmode=verify-full&{}", root(&ca_file)),
    ))
    .unwrap();
    assert!(encrypted(&full));
    assert_eq!(common::count(&full, "SELECT count(*) FROM tiers"), 3);
    drop(full);
    // require: encrypted, nothing checked; verify-ca: the chain, not the name.
    assert!(encrypted(
        &Db::connect(&server.url("127.0.0.1", "sslmode=require")).unwrap()
    ));
    let ca_only = server.url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&{}", root(&ca_file)),
    );
    assert!(encrypted(&Db::connect(&ca_only).unwrap()));

    let refusals = [
        (
            server.url(
                "localhost",
                &format!("sslmode=verify-full&{}", root(&other_file)),
            ),
            "not signed by a CA in sslrootcert=",
        ),
        (
            server.url("localhost", "sslmode=verify-full"),
            "not signed by a CA in the system's trusted roots",
        ),
        (
            server.url(
                "127.0.0.1",
                &format!("sslmode=verify-full&{}", root(&ca_file)),
            ),
            "not issued for \"127.0.0.1\"",
        ),
        (
            server.url(
                "localhost",
                &format!("sslmode=verify-ca&{}", root(&other_file)),
            ),
            "not signed by a CA in sslrootcert=",
        ),
    ];
    for (url, says) in &refusals {
        let error = Db::connect(url)
            .err()
            .unwrap_or_else(|| panic!("{url} connected"));
        let error = error.to_string();
        assert!(error.contains(says), "{url}: {error}");
    }

    // The server refuses to start on a wrong CA, and says why.
    let start = Command::new(env!("CARGO_BIN_EXE_shop-api"))
        .env("DATABASE_URL", &refusals[0].0)
        .args(["--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!start.status.success());
    let said = String::from_utf8_lossy(&start.stderr);
    assert!(
        said.contains(
            "TLS to localhost: the server's certificate is not signed by a CA in sslrootcert="
        ),
        "{said}"
    );
    assert!(!String::from_utf8_lossy(&start.stdout).contains("listening"));
}
