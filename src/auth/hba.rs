//! Access rules in pg_hba.conf's format (`--hba-file`): `host`, `hostssl` and
//! `hostnossl` lines; database and user columns with `all` and comma lists; a CIDR
//! address (or `all`, or an address and a netmask); methods `trust`, `reject`,
//! `scram-sha-256`, `password` and `cert`. The first line that matches decides.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Trust,
    Reject,
    ScramSha256,
    Password,
    Cert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnType {
    Host,
    HostSsl,
    HostNoSsl,
}

#[derive(Debug, Clone)]
struct Rule {
    conn: ConnType,
    databases: Option<Vec<String>>,
    users: Option<Vec<String>>,
    net: Option<(IpAddr, u8)>,
    method: Method,
    line: usize,
}

#[derive(Debug, Clone)]
pub struct Hba {
    rules: Vec<Rule>,
}

/// The rule a connection matched, for the log and the error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub method: Method,
    pub line: usize,
}

fn names(field: &str) -> Option<Vec<String>> {
    if field == "all" {
        return None;
    }
    Some(field.split(',').map(|s| s.trim_matches('"').to_string()).collect())
}

fn prefix_of_mask(mask: IpAddr) -> Option<u8> {
    let bits: u128 = match mask {
        IpAddr::V4(m) => (u32::from(m) as u128) << 96,
        IpAddr::V6(m) => u128::from(m),
    };
    let ones = bits.leading_ones();
    // A netmask is ones then zeros only.
    (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

fn in_net(addr: IpAddr, net: IpAddr, prefix: u8) -> bool {
    // An IPv4 client on an IPv6 socket arrives as ::ffff:a.b.c.d: compare it as IPv4.
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    };
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix as u32) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix as u32) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl Hba {
    /// The rules without --hba-file: trust from loopback, nothing else.
    pub fn loopback_trust() -> Hba {
        Hba::parse("host all all 127.0.0.0/8 trust\nhost all all ::1/128 trust\n").expect("built-in rules parse")
    }

    pub fn load(path: &str) -> Result<Hba, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read hba file {path}: {e}"))?;
        Hba::parse(&text).map_err(|e| format!("hba file {path}: {e}"))
    }

    pub fn parse(text: &str) -> Result<Hba, String> {
        let mut rules = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let content = raw.split('#').next().unwrap_or("");
            let fields: Vec<&str> = content.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let err = |msg: String| format!("line {line}: {msg}");
            let conn = match fields[0] {
                "host" => ConnType::Host,
                "hostssl" => ConnType::HostSsl,
                "hostnossl" => ConnType::HostNoSsl,
                "local" => {
                    return Err(err(
                        "local (Unix-socket) lines are not supported: the gateway listens on TCP only".into()
                    ))
                }
                other => return Err(err(format!("invalid connection type \"{other}\""))),
            };
            if fields.len() < 4 {
                return Err(err("expected: type database user address method".into()));
            }
            let (databases, users) = (names(fields[1]), names(fields[2]));
            if fields[1..3]
                .iter()
                .any(|f| f.split(',').any(|n| n.starts_with('+') || n.starts_with('@') || n.starts_with('/')))
            {
                return Err(err("+group, @file and /regex names are not supported".into()));
            }
            let (net, rest) = if fields[3] == "all" {
                (None, &fields[4..])
            } else if let Some((addr, bits)) = fields[3].split_once('/') {
                let addr: IpAddr = addr.parse().map_err(|_| err(format!("invalid IP address \"{addr}\"")))?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let bits: u8 = bits
                    .parse()
                    .ok()
                    .filter(|&b| b <= max)
                    .ok_or_else(|| err(format!("invalid CIDR mask in address \"{}\"", fields[3])))?;
                (Some((addr, bits)), &fields[4..])
            } else {
                let addr: IpAddr =
                    fields[3].parse().map_err(|_| err(format!("invalid IP address \"{}\"", fields[3])))?;
                let mask_field = fields.get(4).copied().unwrap_or_default();
                let mask: IpAddr = mask_field.parse().map_err(|_| err(format!("invalid IP mask \"{mask_field}\"")))?;
                let bits = prefix_of_mask(mask)
                    .filter(|_| mask.is_ipv4() == addr.is_ipv4())
                    .ok_or_else(|| err(format!("invalid IP mask \"{mask_field}\"")))?;
                (Some((addr, bits)), &fields[5..])
            };
            let method = match rest.first().copied() {
                Some("trust") => Method::Trust,
                Some("reject") => Method::Reject,
                Some("scram-sha-256") => Method::ScramSha256,
                Some("password") => Method::Password,
                Some("cert") => Method::Cert,
                Some(other) => return Err(err(format!("invalid authentication method \"{other}\""))),
                None => return Err(err("end-of-line before authentication method".into())),
            };
            if rest.len() > 1 {
                return Err(err(format!("authentication options are not supported: \"{}\"", rest[1..].join(" "))));
            }
            if method == Method::Cert && conn != ConnType::HostSsl {
                return Err(err("cert authentication is only supported on hostssl connections".into()));
            }
            rules.push(Rule { conn, databases, users, net, method, line });
        }
        Ok(Hba { rules })
    }

    /// The first rule matching this connection, or None (refused).
    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn decide(&self, addr: IpAddr, tls: bool, database: &str, user: &str) -> Option<Decision> {
        let listed = |list: &Option<Vec<String>>, name: &str| list.as_ref().is_none_or(|l| l.iter().any(|n| n == name));
        self.rules
            .iter()
            .find(|r| {
                match r.conn {
                    ConnType::HostSsl if !tls => return false,
                    ConnType::HostNoSsl if tls => return false,
                    _ => {}
                }
                listed(&r.databases, database)
                    && listed(&r.users, user)
                    && r.net.is_none_or(|(net, bits)| in_net(addr, net, bits))
            })
            .map(|r| Decision { method: r.method, line: r.line })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn first_match_decides() {
        let hba = Hba::parse(
            "# comment\n\
             hostssl all  alice     127.0.0.1/32 cert\n\
             host    app  bob,carol 127.0.0.0/8  scram-sha-256  # inline\n\
             hostnossl all all      127.0.0.2/32 reject\n\
             host    all  all       10.0.0.0 255.0.0.0 password\n\
             host    all  all       ::1/128      trust\n",
        )
        .unwrap();
        let d = |a: &str, tls: bool, db: &str, u: &str| hba.decide(ip(a), tls, db, u).map(|d| (d.method, d.line));
        assert_eq!(d("127.0.0.1", true, "x", "alice"), Some((Method::Cert, 2)));
        assert_eq!(d("127.0.0.1", false, "x", "alice"), None);
        assert_eq!(d("127.0.0.5", false, "app", "carol"), Some((Method::ScramSha256, 3)));
        assert_eq!(d("127.0.0.2", false, "other", "bob"), Some((Method::Reject, 4)));
        assert_eq!(d("127.0.0.2", true, "other", "bob"), None);
        assert_eq!(d("10.1.2.3", true, "db", "x"), Some((Method::Password, 5)));
        assert_eq!(d("::ffff:10.1.2.3", true, "db", "x"), Some((Method::Password, 5)));
        assert_eq!(d("::1", false, "db", "x"), Some((Method::Trust, 6)));
        assert_eq!(d("192.168.0.1", false, "db", "x"), None);
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for (text, msg) in [
            ("local all all trust", "local"),
            ("host all all 127.0.0.1/33 trust", "CIDR"),
            ("host all all 127.0.0.1/32 md5", "method"),
            ("host all all 127.0.0.1", "mask"),
            ("host all all", "expected"),
            ("host all all 127.0.0.1/32", "end-of-line"),
            ("host all +admins 127.0.0.1/32 trust", "+group"),
            ("host all all 127.0.0.1/32 cert", "hostssl"),
            ("host all all 127.0.0.1 255.0.255.0 trust", "mask"),
            ("host all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full", "options"),
        ] {
            let e = Hba::parse(text).unwrap_err();
            assert!(e.contains(msg) && e.contains("line 1"), "{text}: {e}");
        }
        let lo = Hba::loopback_trust();
        assert!(lo.decide(ip("127.0.0.2"), false, "d", "u").is_some());
        assert!(lo.decide(ip("192.0.2.1"), false, "d", "u").is_none());
    }
}
