//! What a template runs against, and the built-in variables it gives (`BaseURL`, `Hostname`...).

use thiserror::Error;
use url::Url;

use crate::dsl::{Value, Vars};

/// A target that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid target {input:?}: {reason}")]
pub struct TargetError {
    /// The text given.
    pub input: String,
    /// What is wrong.
    pub reason: String,
}

/// A URL (`https://portal.example.gov.vn/app`) or `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The text given.
    pub input: String,
    /// `http` or `https` (for `host:port`: `https` on 443, else `http`).
    pub scheme: String,
    /// Host name or IP (IPv6 without brackets).
    pub host: String,
    /// Port (the scheme's default when absent).
    pub port: u16,
    /// Path of the URL (`/` when none).
    pub path: String,
    /// Query, without `?`.
    pub query: Option<String>,
}

/// Second-level suffixes under which the registrable name has three labels.
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "gov.vn",
    "com.vn",
    "edu.vn",
    "org.vn",
    "net.vn",
    "ac.vn",
    "info.vn",
    "biz.vn",
    "name.vn",
    "pro.vn",
    "health.vn",
    "int.vn",
    "co.uk",
    "org.uk",
    "gov.uk",
    "ac.uk",
    "com.au",
    "co.jp",
];

impl Target {
    /// Parses a URL or `host:port`.
    pub fn parse(input: &str) -> Result<Target, TargetError> {
        let input = input.trim();
        let error = |reason: &str| TargetError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else if input.ends_with(":443") {
            format!("https://{input}")
        } else {
            format!("http://{input}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| error(&e.to_string()))?;
        let host = url.host_str().ok_or_else(|| error("no host"))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| error("no port"))?;
        Ok(Target {
            input: input.to_owned(),
            scheme: url.scheme().to_owned(),
            host: host.trim_matches(['[', ']']).to_owned(),
            port,
            path: url.path().to_owned(),
            query: url.query().map(str::to_owned),
        })
    }

    /// `host:port` (IPv6 in brackets).
    pub fn hostname(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn default_port(&self) -> bool {
        (self.scheme == "http" && self.port == 80) || (self.scheme == "https" && self.port == 443)
    }

    /// `scheme://host[:port]`.
    pub fn root_url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.default_port() {
            format!("{}://{host}", self.scheme)
        } else {
            format!("{}://{host}:{}", self.scheme, self.port)
        }
    }

    /// The built-in variables, as nuclei names them.
    pub fn variables(&self) -> Vars {
        let mut vars = Vars::new();
        let mut set = |name: &str, value: String| {
            vars.insert(name.to_owned(), Value::Str(value));
        };
        let root = self.root_url();
        let trimmed_path = self.path.trim_end_matches('/');
        let mut base = format!("{root}{trimmed_path}");
        if let Some(query) = &self.query {
            base.push('?');
            base.push_str(query);
        }
        let (dir, file) = match trimmed_path.rsplit_once('/') {
            Some((dir, file)) => (dir.to_owned(), file.to_owned()),
            None => (String::new(), String::new()),
        };
        set("BaseURL", base);
        set("RootURL", root);
        set("Hostname", self.hostname());
        set("Host", self.host.clone());
        set("Port", self.port.to_string());
        set("Path", dir);
        set("File", file);
        set("Query", self.query.clone().unwrap_or_default());
        set("Scheme", self.scheme.clone());
        set("Input", self.input.clone());
        set("FQDN", self.host.clone());
        let (sd, dn, tld) = split_domain(&self.host);
        let rdn = if dn.is_empty() {
            tld.clone()
        } else {
            format!("{dn}.{tld}")
        };
        set("RDN", rdn);
        set("DN", dn);
        set("TLD", tld);
        set("SD", sd);
        vars
    }
}

/// (subdomain, domain label, public suffix) of a host name; IPs have only a "domain".
fn split_domain(host: &str) -> (String, String, String) {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return (String::new(), host.to_owned(), String::new());
    }
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let suffix_labels = if labels.len() >= 3
        && TWO_LABEL_SUFFIXES.contains(&labels[labels.len() - 2..].join(".").as_str())
    {
        2
    } else {
        1
    };
    if labels.len() <= suffix_labels {
        return (String::new(), String::new(), labels.join("."));
    }
    let tld = labels[labels.len() - suffix_labels..].join(".");
    let dn = labels[labels.len() - suffix_labels - 1].to_owned();
    let sd = labels[..labels.len() - suffix_labels - 1].join(".");
    (sd, dn, tld)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(vars: &Vars, name: &str) -> String {
        vars[name].to_string()
    }

    #[test]
    fn built_in_variables_follow_nuclei_example() {
        let vars = Target::parse("http://localhost:9001/test/123")
            .unwrap()
            .variables();
        assert_eq!(var(&vars, "BaseURL"), "http://localhost:9001/test/123");
        assert_eq!(var(&vars, "RootURL"), "http://localhost:9001");
        assert_eq!(var(&vars, "Hostname"), "localhost:9001");
        assert_eq!(var(&vars, "Host"), "localhost");
        assert_eq!(var(&vars, "Port"), "9001");
        assert_eq!(var(&vars, "Path"), "/test");
        assert_eq!(var(&vars, "File"), "123");
        assert_eq!(var(&vars, "Scheme"), "http");
    }

    #[test]
    fn domain_parts_know_vietnamese_government_suffixes() {
        let vars = Target::parse("https://dichvucong.hanoi.gov.vn/")
            .unwrap()
            .variables();
        assert_eq!(var(&vars, "BaseURL"), "https://dichvucong.hanoi.gov.vn");
        assert_eq!(var(&vars, "TLD"), "gov.vn");
        assert_eq!(var(&vars, "DN"), "hanoi");
        assert_eq!(var(&vars, "RDN"), "hanoi.gov.vn");
        assert_eq!(var(&vars, "SD"), "dichvucong");
        assert_eq!(var(&vars, "Port"), "443");
        let plain = Target::parse("127.0.0.1:8080").unwrap();
        assert_eq!(plain.scheme, "http");
        assert_eq!(plain.hostname(), "127.0.0.1:8080");
        assert!(Target::parse("http://").is_err());
    }
}
