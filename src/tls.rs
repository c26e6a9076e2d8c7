//! TLS with rustls (ring provider): the server certificate and key (reloadable on
//! SIGHUP), optional client-certificate verification, the stream a session reads
//! (plain TCP or TLS), and the `tls-server-end-point` channel-binding data.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use rustls::crypto::ring::default_provider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256, Sha384, Sha512};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// ALPN protocol name of PostgreSQL 17 (required for direct TLS).
pub const ALPN_POSTGRESQL: &[u8] = b"postgresql";

/// Where the certificate and key come from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: String,
    pub key: String,
    pub client_ca: Option<String>,
}

/// One loaded certificate: the acceptor and the channel-binding data it implies.
struct Loaded {
    acceptor: TlsAcceptor,
    end_point: Vec<u8>,
}

/// The server's TLS state; `reload()` swaps it for new connections, live ones keep theirs.
pub struct Tls {
    files: TlsFiles,
    current: RwLock<Arc<Loaded>>,
}

/// What a session knows of its TLS connection.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// tls-server-end-point data: the server certificate's hash (RFC 5929).
    pub end_point: Vec<u8>,
    /// The client certificate's subject CN, when it sent a certificate the CA signed.
    pub client_cn: Option<String>,
}

fn load(files: &TlsFiles) -> Result<Loaded, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("cannot read certificate file {}: {e}", files.cert))?;
    let Some(leaf) = chain.first() else {
        return Err(format!("certificate file {} has no certificate", files.cert));
    };
    let end_point = end_point_hash(leaf)?;
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| format!("cannot read key file {}: {e}", files.key))?;
    let provider = Arc::new(default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in
                CertificateDer::pem_file_iter(ca).map_err(|e| format!("cannot read client CA file {ca}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("client CA file {ca}: {e}"))?;
                roots.add(cert).map_err(|e| format!("client CA file {ca}: {e}"))?;
            }
            // Clients without a certificate still connect; only the `cert` method needs one.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("client CA file {ca}: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("certificate {} and key {}: {e}", files.cert, files.key))?;
    config.alpn_protocols = vec![ALPN_POSTGRESQL.to_vec()];
    Ok(Loaded { acceptor: TlsAcceptor::from(Arc::new(config)), end_point })
}

/// RFC 5929 tls-server-end-point: the certificate hashed with its signature's hash
/// algorithm, SHA-256 for MD5 and SHA-1 (what PostgreSQL and libpq compute).
fn end_point_hash(cert: &CertificateDer<'_>) -> Result<Vec<u8>, String> {
    use x509_cert::der::Decode;
    let parsed = x509_cert::Certificate::from_der(cert.as_ref())
        .map_err(|e| format!("cannot parse the server certificate: {e}"))?;
    let oid = parsed.signature_algorithm().oid.to_string();
    Ok(match oid.as_str() {
        // sha384WithRSAEncryption, ecdsa-with-SHA384
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => Sha384::digest(cert.as_ref()).to_vec(),
        // sha512WithRSAEncryption, ecdsa-with-SHA512
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => Sha512::digest(cert.as_ref()).to_vec(),
        _ => Sha256::digest(cert.as_ref()).to_vec(),
    })
}

fn common_name(cert: &CertificateDer<'_>) -> Option<String> {
    use x509_cert::der::Decode;
    let parsed = x509_cert::Certificate::from_der(cert.as_ref()).ok()?;
    let cn = parsed.tbs_certificate().subject().common_name().ok()??;
    Some(cn.value().into_owned())
}

impl Tls {
    pub fn new(files: TlsFiles) -> Result<Tls, String> {
        let loaded = load(&files)?;
        Ok(Tls { files, current: RwLock::new(Arc::new(loaded)) })
    }

    /// Re-read the certificate, key and CA; on error the old ones stay in use.
    pub fn reload(&self) -> Result<(), String> {
        let loaded = load(&self.files)?;
        *self.current.write().unwrap() = Arc::new(loaded);
        Ok(())
    }

    /// The TLS handshake on an accepted socket; `direct` requires ALPN `postgresql`.
    pub async fn accept(&self, tcp: TcpStream, direct: bool) -> io::Result<(Stream, TlsInfo)> {
        let loaded = self.current.read().unwrap().clone();
        let tls = loaded.acceptor.accept(tcp).await?;
        let (_, state) = tls.get_ref();
        if direct && state.alpn_protocol() != Some(ALPN_POSTGRESQL) {
            // PostgreSQL 17 refuses direct TLS without ALPN, so a non-PostgreSQL client
            // (an HTTPS probe) cannot get this far.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "direct TLS connection without ALPN \"postgresql\"",
            ));
        }
        let client_cn = state.peer_certificates().and_then(|c| c.first()).and_then(common_name);
        let info = TlsInfo { end_point: loaded.end_point.clone(), client_cn };
        Ok((Stream::Tls(Box::new(tls)), info))
    }
}

/// The socket a session reads and writes: plain TCP or TLS over it.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// While the plain socket is handed to the TLS handshake.
    Detached,
}

impl Stream {
    /// Take the plain socket out for a TLS handshake (None if it is not plain).
    pub fn take_plain(&mut self) -> Option<TcpStream> {
        match std::mem::replace(self, Stream::Detached) {
            Stream::Plain(tcp) => Some(tcp),
            other => {
                *self = other;
                None
            }
        }
    }

    /// Wait until a read would find data. A TLS stream may hold decrypted bytes already
    /// (rustls buffers records), so it never waits here: its reads wait instead.
    pub async fn readable(&self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.readable().await,
            Stream::Tls(_) | Stream::Detached => Ok(()),
        }
    }
}

fn detached() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "socket detached")
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Detached => Poll::Ready(Err(detached())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Detached => Poll::Ready(Err(detached())),
        }
    }
}
