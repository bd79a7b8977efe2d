//! TLS to PostgreSQL, as libpq's `sslmode` and `sslrootcert` say it, read from `DATABASE_URL`:
//!
//! - `disable`: plain TCP;
//! - `prefer` (the default, as in libpq): TLS when the server offers it, nothing verified;
//! - `require`: TLS or no connection, nothing verified (as libpq: with `sslrootcert` given, the
//!   chain is verified as in `verify-ca`);
//! - `verify-ca`: TLS with a certificate chain to a trusted root, any host name;
//! - `verify-full`: that, and the certificate names the host connected to.
//!
//! The roots are the `sslrootcert` file's (PEM), or the system's with `sslrootcert=system` or
//! none given. rustls does the TLS (the ring provider reqwest already brings, no OpenSSL), and
//! `tokio-postgres-rustls` hands it to the client. A certificate that fails verification is an
//! error at start that says which check failed and what to set.

use std::path::PathBuf;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How much TLS a connection needs, in libpq's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where the trusted roots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Roots {
    System,
    File(PathBuf),
}

/// The TLS half of a `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    /// `sslrootcert`, when given.
    pub roots: Option<Roots>,
}

impl Tls {
    /// What the client negotiates: whether TLS is tried, and whether it is a must.
    pub fn client_mode(&self) -> postgres::config::SslMode {
        match self.mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        }
    }

    /// Which roots are used (for messages).
    pub fn roots_name(&self) -> String {
        match &self.roots {
            Some(Roots::File(path)) => format!("sslrootcert={}", path.display()),
            _ => "the system's trusted roots".into(),
        }
    }

    /// The connector for this mode, with its roots loaded.
    pub fn connector(&self) -> Result<MakeRustlsConnect, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verified = match (self.mode, &self.roots) {
            (SslMode::VerifyCa | SslMode::VerifyFull, _) | (SslMode::Require, Some(_)) => {
                let roots = Arc::new(self.root_store()?);
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                    .build()
                    .map_err(|e| format!("TLS roots: {e}"))?;
                match self.mode {
                    SslMode::VerifyFull => webpki as Arc<dyn ServerCertVerifier>,
                    _ => Arc::new(ChainOnly(webpki)),
                }
            }
            _ => Arc::new(Unverified(provider.clone())),
        };
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verified)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    fn root_store(&self) -> Result<RootCertStore, String> {
        let mut store = RootCertStore::empty();
        match &self.roots {
            Some(Roots::File(path)) => {
                let certificates = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("sslrootcert={}: {e}", path.display()))?;
                let (added, _) = store.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(format!(
                        "sslrootcert={}: no certificate in it (a PEM file of the CA that signed the server's certificate)",
                        path.display()
                    ));
                }
            }
            _ => {
                let found = rustls_native_certs::load_native_certs();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    return Err(format!(
                        "no trusted roots on this system ({:?}); set sslrootcert=FILE in DATABASE_URL",
                        found.errors
                    ));
                }
            }
        }
        Ok(store)
    }
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other}: use disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }
}

/// Splits `url` into the connection string without `sslmode` and `sslrootcert` (which the
/// client library does not take) and what they say. Both forms of a connection string are
/// read: `postgres://…?sslmode=verify-full&sslrootcert=/etc/ca.pem` and
/// `host=db sslmode=verify-full sslrootcert=/etc/ca.pem`.
pub fn split(url: &str) -> Result<(String, Tls), String> {
    let mut mode = None;
    let mut roots = None;
    let mut take = |key: &str, value: String| -> Result<bool, String> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" if value == "system" => roots = Some(Roots::System),
            "sslrootcert" => roots = Some(Roots::File(PathBuf::from(value))),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&') {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let value = percent_decode_str(value)
                        .decode_utf8()
                        .map_err(|e| format!("{key}: {e}"))?
                        .into_owned();
                    if !take(key, value)? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_owned(),
        }
    } else {
        let mut kept = String::new();
        for (raw, key, value) in key_values(url)? {
            if !take(key, value)? {
                kept.push_str(raw);
                kept.push(' ');
            }
        }
        kept.trim_end().to_owned()
    };
    Ok((
        rest,
        Tls {
            mode: mode.unwrap_or(SslMode::Prefer),
            roots,
        },
    ))
}

/// `key=value` pairs of a libpq key/value string, each with its text as written; a value may
/// be in single quotes, with `\'` and `\\` inside.
fn key_values(text: &str) -> Result<Vec<(&str, &str, String)>, String> {
    let mut pairs = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let start = rest;
        let equals = rest
            .find('=')
            .ok_or_else(|| format!("{rest:?} is not key=value"))?;
        let key = rest[..equals].trim();
        rest = rest[equals + 1..].trim_start();
        let mut value = String::new();
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '\'' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end.ok_or_else(|| format!("{key}: an unclosed quote"))?;
            rest = &quoted[end..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            value.push_str(&rest[..end]);
            rest = &rest[end..];
        }
        let raw = &start[..start.len() - rest.len()];
        pairs.push((raw, key, value));
        rest = rest.trim_start();
    }
    Ok(pairs)
}

/// `require` and `prefer`: the handshake's signatures are checked (so the session key is the
/// server's), the certificate is not.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: webpki's checks without the host name. webpki checks the chain before the
/// name, so a name mismatch means the chain was good.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// What to tell the operator when a TLS handshake failed: the rustls error behind `error`, if
/// that is what failed, with what to change.
pub fn explain(error: &(dyn std::error::Error + 'static), tls: &Tls, host: &str) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        let rustls = current.downcast_ref::<rustls::Error>().or_else(|| {
            current
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls) = rustls {
            let hint = match rustls {
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                ) => format!(
                    "the server's certificate is not issued for {host:?}: connect with a name it lists, or use sslmode=verify-ca to check the chain alone"
                ),
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
                    "the server's certificate is not signed by a CA in {}: set sslrootcert=FILE to the CA that signed it",
                    tls.roots_name()
                ),
                rustls::Error::InvalidCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. },
                ) => "the server's certificate has expired".to_owned(),
                _ => "the TLS handshake failed".to_owned(),
            };
            return Some(format!("TLS to {host}: {hint} ({rustls})"));
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_settings_are_read_from_both_forms_of_a_connection_string() {
        let cases = [
            (
                "postgres://lojal@db/shop?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem&options=-csearch_path%3Dx",
                "postgres://lojal@db/shop?options=-csearch_path%3Dx",
                SslMode::VerifyFull,
                Some(Roots::File("/etc/ca x.pem".into())),
            ),
            (
                "postgresql://db/shop?sslmode=require",
                "postgresql://db/shop",
                SslMode::Require,
                None,
            ),
            (
                "postgres://db/shop",
                "postgres://db/shop",
                SslMode::Prefer,
                None,
            ),
            (
                "host=db user=lojal sslmode=verify-ca sslrootcert='/etc/my ca\\'s.pem' dbname=shop",
                "host=db user=lojal dbname=shop",
                SslMode::VerifyCa,
                Some(Roots::File("/etc/my ca's.pem".into())),
            ),
            (
                "host=db sslrootcert=system sslmode=disable",
                "host=db",
                SslMode::Disable,
                Some(Roots::System),
            ),
        ];
        for (url, rest, mode, roots) in cases {
            assert_eq!(
                split(url),
                Ok((rest.to_owned(), Tls { mode, roots })),
                "{url}"
            );
        }
        assert!(
            split("postgres://db/shop?sslmode=allow")
                .unwrap_err()
                .contains("verify-full")
        );
        assert!(split("host=db sslrootcert='/unclosed").is_err());
    }
}
