//! Running a template against a target: the `http` and `tcp` requests, payload combinations,
//! variables flowing from one request to the next, and the hits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::client::{self, Endpoint, HttpResponse};
use crate::dns_ssl;
use crate::dsl::{self, Value, Vars};
use crate::operators::{OperatorResult, Parts};
use crate::target::Target;
use crate::template::{DnsRequest, HttpRequest, SslRequest, TcpRequest, Template};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Deadline of one exchange (connect, send, read).
    pub timeout: Duration,
    /// Requests in flight to one host.
    pub max_per_host: usize,
    /// Requests in flight overall.
    pub max_concurrent: usize,
    /// Bytes of a response body (or tcp read) kept.
    pub max_response_size: usize,
    /// `User-Agent` of path requests (and raw requests that set none).
    pub user_agent: String,
    /// Upper bound on any template's `max-redirects`.
    pub max_redirects: usize,
    /// Resolver of `dns` requests; the system's first nameserver when `None`.
    pub resolver: Option<canhgac_dns::Resolver>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            timeout: Duration::from_secs(10),
            max_per_host: 4,
            max_concurrent: 32,
            max_response_size: 1024 * 1024,
            user_agent: "canhgac-scanner/0.1".into(),
            max_redirects: 10,
            resolver: None,
        }
    }
}

/// One match of a template on a target.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateHit {
    /// The template's id.
    pub template_id: String,
    /// The named matcher that matched, if any.
    pub matcher_name: Option<String>,
    /// `http`, `tcp`, `dns` or `ssl`.
    pub protocol: &'static str,
    /// Host of the target.
    pub host: String,
    /// Port of the target.
    pub port: u16,
    /// Where it matched: the request URL, or `host:port`.
    pub matched_at: String,
    /// The request sent (text; hex for binary tcp data).
    pub request: String,
    /// The response (head and body, or data read).
    pub response: String,
    /// Values of non-internal extractors.
    pub extracted: Vec<String>,
    /// What the matchers matched (words, regex matches).
    pub matched: Vec<String>,
}

impl TemplateHit {
    /// `template-id` or `template-id:matcher-name`.
    pub fn check_id(&self) -> String {
        match &self.matcher_name {
            Some(name) => format!("{}:{name}", self.template_id),
            None => self.template_id.clone(),
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Matches.
    pub hits: Vec<TemplateHit>,
    /// Requests actually sent (redirects followed count too).
    pub requests_sent: usize,
    /// Failures (connection refused, timeouts, unresolved variables, protocols not run).
    pub errors: Vec<String>,
}

/// Runs templates. Cheap to share: one engine serves many concurrent runs and enforces the
/// concurrency limits across them.
pub struct Engine {
    options: EngineOptions,
    tls: tokio_rustls::TlsConnector,
    overall: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// What the requests of one run share: the cookie jar and the count of responses seen (the
/// `N` of `body_N`).
#[derive(Default)]
struct Session {
    cookies: Vec<(String, String)>,
    history: usize,
}

impl Session {
    /// The cookies to send with a request of `block` (none when it disables reuse).
    fn jar(&self, block: &HttpRequest) -> &[(String, String)] {
        if block.cookie_reuse {
            &self.cookies
        } else {
            &[]
        }
    }
}

/// One request of an `http` block, ready to send.
#[derive(Clone)]
struct Prepared {
    endpoint: Endpoint,
    /// `scheme://host:port/target` as written (subject of hits).
    url: String,
    bytes: Vec<u8>,
    method: String,
    headers: Vec<(String, String)>,
}

impl Engine {
    /// An engine with these options.
    pub fn new(options: EngineOptions) -> Self {
        Engine {
            overall: Arc::new(Semaphore::new(options.max_concurrent.max(1))),
            tls: client::tls_connector(),
            per_host: Mutex::new(HashMap::new()),
            options,
        }
    }

    async fn permits(&self, host: &str) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let host_semaphore = {
            let mut map = self
                .per_host
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(host.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.options.max_per_host.max(1))))
                .clone()
        };
        let overall = self.overall.clone().acquire_owned().await.ok()?;
        let one_host = host_semaphore.acquire_owned().await.ok()?;
        Some((overall, one_host))
    }

    /// Runs every request of the template against the target.
    pub async fn run(&self, template: &Template, target: &Target) -> RunOutcome {
        let mut outcome = RunOutcome::default();
        let mut vars = target.variables();
        // nuclei's per-run random string, used to prove reflection or uploads.
        vars.insert("randstr".into(), Value::Str(random_text(27)));
        for (name, value) in &template.constants {
            vars.insert(name.clone(), value.clone());
        }
        for (name, text) in &template.variables {
            let value = dsl::interpolate(text, &vars);
            vars.insert(name.clone(), Value::Str(value));
        }
        let mut session = Session::default();
        for block in &template.http {
            let stop = self
                .run_http(
                    template,
                    block,
                    target,
                    &mut vars,
                    &mut session,
                    &mut outcome,
                )
                .await;
            if stop {
                return outcome;
            }
        }
        for block in &template.tcp {
            if self
                .run_tcp(template, block, target, &mut vars, &mut outcome)
                .await
            {
                return outcome;
            }
        }
        for block in &template.dns {
            if self
                .run_dns(template, block, target, &mut vars, &mut outcome)
                .await
            {
                return outcome;
            }
        }
        for block in &template.ssl {
            if self
                .run_ssl(template, block, target, &mut vars, &mut outcome)
                .await
            {
                return outcome;
            }
        }
        outcome
    }

    async fn run_http(
        &self,
        template: &Template,
        block: &HttpRequest,
        target: &Target,
        vars: &mut Vars,
        session: &mut Session,
        outcome: &mut RunOutcome,
    ) -> bool {
        let stop_at_first = template.stop_at_first_match || block.stop_at_first_match;
        let items: Vec<(bool, &String)> = if block.raw.is_empty() {
            block.paths.iter().map(|p| (false, p)).collect()
        } else {
            block.raw.iter().map(|r| (true, r)).collect()
        };
        for combination in block.payloads.combinations() {
            let mut local = vars.clone();
            for (name, value) in &combination {
                let value = dsl::interpolate(value, &local);
                local.insert(name.clone(), Value::Str(value));
            }
            for (position, (is_raw, text)) in items.iter().enumerate() {
                let prepared = if *is_raw {
                    self.prepare_raw(text, target, &local, session.jar(block))
                } else {
                    self.prepare_path(text, block, &local, session.jar(block))
                };
                let prepared = match prepared {
                    Ok(p) => p,
                    Err(error) => {
                        outcome.errors.push(format!("{}: {error}", template.id));
                        continue;
                    }
                };
                let response = match self
                    .send_following(block, prepared.clone(), session, outcome)
                    .await
                {
                    Ok(response) => response,
                    Err(error) => {
                        outcome.errors.push(format!("{}: {error}", template.id));
                        continue;
                    }
                };
                if block.cookie_reuse {
                    remember_cookies(&response, &mut session.cookies);
                }
                session.history += 1;
                let request_text = String::from_utf8_lossy(&prepared.bytes).into_owned();
                let response_vars = http_parts(&response, &request_text);
                for (name, value) in &response_vars {
                    local.insert(format!("{name}_{}", session.history), value.clone());
                }
                let last = position + 1 == items.len();
                if block.req_condition && !last {
                    // Matchers of a req-condition block see every response, once, at the end;
                    // extractors still feed the next request.
                    let mut parts = Parts {
                        vars: local.clone(),
                        default_part: "body",
                        ..Parts::default()
                    };
                    parts.vars.extend(response_vars.clone());
                    let extract_only = crate::operators::Operators {
                        extractors: block.operators.extractors.clone(),
                        ..Default::default()
                    };
                    let result = extract_only.execute(&mut parts);
                    apply_dynamic(&result, vars, &mut local);
                    continue;
                }
                let mut parts = Parts {
                    vars: local.clone(),
                    default_part: "body",
                    ..Parts::default()
                };
                parts.vars.extend(response_vars);
                parts.raw.insert("body".into(), response.body.clone());
                let result = block.operators.execute(&mut parts);
                apply_dynamic(&result, vars, &mut local);
                if result.matched {
                    let response_text = format!(
                        "{}\r\n\r\n{}",
                        response.head,
                        String::from_utf8_lossy(&response.body)
                    );
                    let at = Hit {
                        template,
                        protocol: "http",
                        target,
                        matched_at: &prepared.url,
                    };
                    push_hits(outcome, at, request_text, response_text, result);
                    if stop_at_first {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn prepare_path(
        &self,
        path: &str,
        block: &HttpRequest,
        vars: &Vars,
        cookies: &[(String, String)],
    ) -> Result<Prepared, String> {
        let url = dsl::interpolate(path, vars);
        unresolved(&url)?;
        let (endpoint, request_target) = split_url(&url)?;
        let mut headers: Vec<(String, String)> = vec![
            ("Host".into(), host_header(&endpoint)),
            ("User-Agent".into(), self.options.user_agent.clone()),
            ("Accept".into(), "*/*".into()),
        ];
        for (name, value) in &block.headers {
            let value = dsl::interpolate(value, vars);
            unresolved(&value)?;
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value));
        }
        let body = block.body.as_ref().map(|b| dsl::interpolate(b, vars));
        if let Some(body) = &body {
            unresolved(body)?;
        }
        Ok(build_request(
            endpoint,
            url,
            &block.method,
            &request_target,
            headers,
            body.as_deref().unwrap_or_default(),
            cookies,
        ))
    }

    fn prepare_raw(
        &self,
        raw: &str,
        target: &Target,
        vars: &Vars,
        cookies: &[(String, String)],
    ) -> Result<Prepared, String> {
        let text = dsl::interpolate(raw.trim_start(), vars);
        unresolved(&text)?;
        let normalized = text.replace("\r\n", "\n");
        let (head, body) = match normalized.split_once("\n\n") {
            Some((head, body)) => (
                head.to_owned(),
                body.trim_end_matches(['\n', '\r']).to_owned(),
            ),
            None => (normalized.trim_end().to_owned(), String::new()),
        };
        let mut lines = head.lines();
        let request_line = lines.next().ok_or("empty raw request")?;
        let mut words = request_line.split(' ');
        let method = words.next().unwrap_or("GET").to_owned();
        let request_target = words
            .next()
            .ok_or("raw request without a target")?
            .to_owned();
        let (endpoint, request_target, url) =
            if request_target.starts_with("http://") || request_target.starts_with("https://") {
                let (endpoint, path) = split_url(&request_target)?;
                (endpoint, path, request_target.clone())
            } else {
                let endpoint = Endpoint {
                    tls: target.scheme == "https",
                    host: target.host.clone(),
                    port: target.port,
                };
                let url = format!("{}{}", target.root_url(), request_target);
                (endpoint, request_target, url)
            };
        let mut headers: Vec<(String, String)> = lines
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                Some((name.trim().to_owned(), value.trim().to_owned()))
            })
            .collect();
        // The Host header goes to the target we were given, whatever the template wrote.
        match headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            Some(host) => host.1 = host_header(&endpoint),
            None => headers.insert(0, ("Host".into(), host_header(&endpoint))),
        }
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        {
            headers.push(("User-Agent".into(), self.options.user_agent.clone()));
        }
        Ok(build_request(
            endpoint,
            url,
            &method,
            &request_target,
            headers,
            &body,
            cookies,
        ))
    }

    async fn send_following(
        &self,
        block: &HttpRequest,
        mut prepared: Prepared,
        session: &mut Session,
        outcome: &mut RunOutcome,
    ) -> Result<HttpResponse, String> {
        let max_body = block
            .max_size
            .unwrap_or(self.options.max_response_size)
            .min(self.options.max_response_size);
        let follow = block.redirects || block.host_redirects;
        let cap = block.max_redirects.min(self.options.max_redirects);
        let mut redirects = 0;
        loop {
            let response = {
                let _permits = self.permits(&prepared.endpoint.host).await;
                outcome.requests_sent += 1;
                client::exchange(
                    &prepared.endpoint,
                    &self.tls,
                    &prepared.bytes,
                    max_body,
                    self.options.timeout,
                )
                .await
                .map_err(|e| e.to_string())?
            };
            let location = response.header("location").map(str::to_owned);
            let is_redirect = matches!(response.status, 301 | 302 | 303 | 307 | 308);
            let (true, true, Some(location)) = (follow && redirects < cap, is_redirect, location)
            else {
                return Ok(response);
            };
            let next_url =
                match url::Url::parse(&prepared.url).and_then(|base| base.join(&location)) {
                    Ok(url) => url.to_string(),
                    Err(_) => return Ok(response),
                };
            let Ok((endpoint, request_target)) = split_url(&next_url) else {
                return Ok(response);
            };
            if block.host_redirects && !block.redirects && endpoint.host != prepared.endpoint.host {
                return Ok(response);
            }
            redirects += 1;
            let method = if response.status == 303
                || (matches!(response.status, 301 | 302) && prepared.method == "POST")
            {
                "GET".to_owned()
            } else {
                prepared.method.clone()
            };
            let headers: Vec<(String, String)> = prepared
                .headers
                .iter()
                .filter(|(k, _)| {
                    !k.eq_ignore_ascii_case("content-length")
                        && !k.eq_ignore_ascii_case("host")
                        && !k.eq_ignore_ascii_case("connection")
                })
                .cloned()
                .chain(std::iter::once(("Host".to_owned(), host_header(&endpoint))))
                .collect();
            if block.cookie_reuse {
                remember_cookies(&response, &mut session.cookies);
            }
            prepared = build_request(
                endpoint,
                next_url,
                &method,
                &request_target,
                headers,
                "",
                session.jar(block),
            );
        }
    }

    async fn run_tcp(
        &self,
        template: &Template,
        block: &TcpRequest,
        target: &Target,
        vars: &mut Vars,
        outcome: &mut RunOutcome,
    ) -> bool {
        for combination in block.payloads.combinations() {
            let mut local = vars.clone();
            for (name, value) in &combination {
                local.insert(name.clone(), Value::Str(dsl::interpolate(value, &local)));
            }
            for host in &block.hosts {
                let host = dsl::interpolate(host, &local);
                let (tls, address) = match host.strip_prefix("tls://") {
                    Some(rest) => (true, rest.to_owned()),
                    None => (false, host.clone()),
                };
                let endpoints = tcp_endpoints(&address, block, target, tls, &local);
                for endpoint in endpoints {
                    match self.tcp_exchange(block, &endpoint, &local, outcome).await {
                        Ok((request, parts_vars, raw)) => {
                            let mut parts = Parts {
                                vars: local.clone(),
                                default_part: "data",
                                ..Parts::default()
                            };
                            parts.vars.extend(parts_vars);
                            parts.raw.insert("data".into(), raw.clone());
                            parts.raw.insert("raw".into(), raw.clone());
                            let result = block.operators.execute(&mut parts);
                            apply_dynamic(&result, vars, &mut local);
                            if result.matched {
                                let address = endpoint.address();
                                let at = Hit {
                                    template,
                                    protocol: "tcp",
                                    target,
                                    matched_at: &address,
                                };
                                push_hits(outcome, at, request, printable(&raw), result);
                                if template.stop_at_first_match {
                                    return true;
                                }
                            }
                        }
                        Err(error) => outcome.errors.push(format!("{}: {error}", template.id)),
                    }
                }
            }
        }
        false
    }

    async fn run_dns(
        &self,
        template: &Template,
        block: &DnsRequest,
        target: &Target,
        vars: &mut Vars,
        outcome: &mut RunOutcome,
    ) -> bool {
        let resolver = match self.options.resolver {
            Some(resolver) => resolver,
            None => match canhgac_dns::Resolver::from_config(None) {
                Ok(resolver) => resolver.with_timeout(self.options.timeout),
                Err(error) => {
                    outcome.errors.push(format!("{}: {error}", template.id));
                    return false;
                }
            },
        };
        for combination in block.payloads.combinations() {
            let mut local = vars.clone();
            for (name, value) in &combination {
                local.insert(name.clone(), Value::Str(dsl::interpolate(value, &local)));
            }
            let name = dsl::interpolate(&block.name, &local);
            if let Err(error) = unresolved(&name) {
                outcome.errors.push(format!("{}: {error}", template.id));
                continue;
            }
            let answer = {
                let _permits = self.permits("dns").await;
                outcome.requests_sent += 1;
                dns_ssl::dns_parts(&resolver, &name, &block.record_type, block.retries).await
            };
            let answer = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    outcome
                        .errors
                        .push(format!("{}: {name}: {error}", template.id));
                    continue;
                }
            };
            let request = answer
                .get("question")
                .map(Value::to_string)
                .unwrap_or_default();
            let response = answer.get("raw").map(Value::to_string).unwrap_or_default();
            let mut parts = Parts {
                vars: local.clone(),
                default_part: "raw",
                ..Parts::default()
            };
            parts.vars.extend(answer);
            let result = block.operators.execute(&mut parts);
            apply_dynamic(&result, vars, &mut local);
            if result.matched {
                let at = Hit {
                    template,
                    protocol: "dns",
                    target,
                    matched_at: &name,
                };
                push_hits(outcome, at, request, response, result);
                if template.stop_at_first_match {
                    return true;
                }
            }
        }
        false
    }

    async fn run_ssl(
        &self,
        template: &Template,
        block: &SslRequest,
        target: &Target,
        vars: &mut Vars,
        outcome: &mut RunOutcome,
    ) -> bool {
        let address = dsl::interpolate(&block.address, vars);
        if let Err(error) = unresolved(&address) {
            outcome.errors.push(format!("{}: {error}", template.id));
            return false;
        }
        let parts_vars = {
            let _permits = self.permits(&target.host).await;
            outcome.requests_sent += 1;
            dns_ssl::ssl_parts(
                &address,
                &target.host,
                block.min_version.as_deref(),
                block.max_version.as_deref(),
                &block.cipher_suites,
                self.options.timeout,
            )
            .await
        };
        let parts_vars = match parts_vars {
            Ok(Some(found)) => found,
            // The server refused the offer: nothing to match (a finding only when accepted).
            Ok(None) => return false,
            Err(error) => {
                outcome
                    .errors
                    .push(format!("{}: {address}: {error}", template.id));
                return false;
            }
        };
        let response = parts_vars
            .get("response")
            .map(Value::to_string)
            .unwrap_or_default();
        let mut parts = Parts {
            vars: vars.clone(),
            default_part: "response",
            ..Parts::default()
        };
        parts.vars.extend(parts_vars);
        let result = block.operators.execute(&mut parts);
        let mut local = vars.clone();
        apply_dynamic(&result, vars, &mut local);
        if result.matched {
            let request = format!(
                "TLS ClientHello to {address} ({}..{})",
                block.min_version.as_deref().unwrap_or("tls10"),
                block.max_version.as_deref().unwrap_or("tls13")
            );
            let at = Hit {
                template,
                protocol: "ssl",
                target,
                matched_at: &address,
            };
            push_hits(outcome, at, request, response, result);
            return template.stop_at_first_match;
        }
        false
    }

    async fn tcp_exchange(
        &self,
        block: &TcpRequest,
        endpoint: &Endpoint,
        vars: &Vars,
        outcome: &mut RunOutcome,
    ) -> Result<(String, Vars, Vec<u8>), String> {
        let _permits = self.permits(&endpoint.host).await;
        outcome.requests_sent += 1;
        let timeout = self.options.timeout;
        let work = async {
            let mut stream = client::connect(endpoint, &self.tls)
                .await
                .map_err(|e| e.to_string())?;
            let mut sent = String::new();
            let mut named = Vars::new();
            let mut all_read = Vec::new();
            for input in &block.inputs {
                let data = dsl::interpolate(&input.data, vars);
                let bytes = if input.hex {
                    hex::decode(data.trim()).map_err(|e| format!("hex input: {e}"))?
                } else {
                    data.into_bytes()
                };
                sent.push_str(&printable(&bytes));
                stream.write_all(&bytes).await.map_err(|e| e.to_string())?;
                stream.flush().await.map_err(|e| e.to_string())?;
                if let Some(size) = input.read {
                    let read = read_some(&mut stream, size, false).await;
                    all_read.extend_from_slice(&read);
                    if let Some(name) = &input.name {
                        named.insert(
                            name.clone(),
                            Value::Str(String::from_utf8_lossy(&read).into_owned()),
                        );
                    }
                }
            }
            let final_read = read_some(
                &mut stream,
                if block.read_all {
                    self.options.max_response_size
                } else {
                    block.read_size
                },
                block.read_all,
            )
            .await;
            all_read.extend_from_slice(&final_read);
            let data = if final_read.is_empty() {
                all_read.clone()
            } else {
                final_read
            };
            named.insert(
                "data".into(),
                Value::Str(String::from_utf8_lossy(&data).into_owned()),
            );
            named.insert(
                "raw".into(),
                Value::Str(String::from_utf8_lossy(&all_read).into_owned()),
            );
            named.insert("request".into(), Value::Str(sent.clone()));
            named.insert("host".into(), Value::Str(endpoint.address()));
            Ok::<_, String>((sent, named, data))
        };
        tokio::time::timeout(timeout, work).await.map_err(|_| {
            format!(
                "timed out after {timeout:?} talking to {}",
                endpoint.address()
            )
        })?
    }
}

/// Reads up to `limit` bytes: until the limit, the end of the stream, or a pause in the data
/// (servers that answer and wait). With `until_closed`, pauses do not end the read.
async fn read_some(
    stream: &mut Box<dyn client::Stream>,
    limit: usize,
    until_closed: bool,
) -> Vec<u8> {
    let mut data = Vec::new();
    let mut chunk = vec![0u8; 8192];
    while data.len() < limit {
        let pause = if data.is_empty() || until_closed {
            Duration::from_secs(3)
        } else {
            Duration::from_millis(300)
        };
        match tokio::time::timeout(pause, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => data.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    data.truncate(limit);
    data
}

fn tcp_endpoints(
    address: &str,
    block: &TcpRequest,
    target: &Target,
    tls: bool,
    vars: &Vars,
) -> Vec<Endpoint> {
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => {
            (host.trim_matches(['[', ']']).to_owned(), port.parse().ok())
        }
        _ => (address.trim_matches(['[', ']']).to_owned(), None),
    };
    let mut ports: Vec<u16> = block
        .ports
        .iter()
        .filter_map(|p| dsl::interpolate(p, vars).trim().parse().ok())
        .collect();
    if ports.is_empty() {
        ports.push(port.unwrap_or(target.port));
    }
    ports
        .into_iter()
        .map(|port| Endpoint {
            tls,
            host: host.clone(),
            port,
        })
        .collect()
}

/// Refuses text that still holds an unresolved `{{variable}}`.
fn unresolved(text: &str) -> Result<(), String> {
    for marker in dsl::markers(text) {
        let inner = marker.trim();
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("unresolved variable {{{{{inner}}}}}"));
        }
    }
    Ok(())
}

/// Splits `scheme://authority/rest` without normalising the rest (`/../` must go out as written).
fn split_url(url: &str) -> Result<(Endpoint, String), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("not a URL: {url}"))?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        other => return Err(format!("unsupported scheme {other}")),
    };
    let split_at = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..split_at];
    let mut path = rest[split_at..].to_owned();
    if let Some(fragment) = path.find('#') {
        path.truncate(fragment);
    }
    if path.is_empty() || path.starts_with('?') {
        path.insert(0, '/');
    }
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let default_port = if tls { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("bad IPv6 host")?;
        let port = after.strip_prefix(':').map(str::parse).transpose();
        (
            host.to_owned(),
            port.map_err(|_| "bad port")?.unwrap_or(default_port),
        )
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (
                host.to_owned(),
                port.parse().map_err(|_| format!("bad port in {url}"))?,
            ),
            None => (authority.to_owned(), default_port),
        }
    };
    if host.is_empty() {
        return Err(format!("no host in {url}"));
    }
    Ok((Endpoint { tls, host, port }, path))
}

fn host_header(endpoint: &Endpoint) -> String {
    let default = (endpoint.tls && endpoint.port == 443) || (!endpoint.tls && endpoint.port == 80);
    let host = if endpoint.host.contains(':') {
        format!("[{}]", endpoint.host)
    } else {
        endpoint.host.clone()
    };
    if default {
        host
    } else {
        format!("{host}:{}", endpoint.port)
    }
}

fn build_request(
    endpoint: Endpoint,
    url: String,
    method: &str,
    request_target: &str,
    mut headers: Vec<(String, String)>,
    body: &str,
    cookies: &[(String, String)],
) -> Prepared {
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if !chunked {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
        if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
            headers.push(("Content-Length".into(), body.len().to_string()));
        }
    }
    if !cookies.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("cookie"))
    {
        let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        headers.push(("Cookie".into(), jar.join("; ")));
    }
    // One exchange per connection: the read ends at the body's end or the close.
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("connection"));
    headers.push(("Connection".into(), "close".into()));
    let mut text = format!("{method} {request_target} HTTP/1.1\r\n");
    for (name, value) in &headers {
        text.push_str(name);
        text.push_str(": ");
        text.push_str(value);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    Prepared {
        endpoint,
        url,
        bytes,
        method: method.to_owned(),
        headers,
    }
}

fn remember_cookies(response: &HttpResponse, cookies: &mut Vec<(String, String)>) {
    for (name, value) in &response.headers {
        if !name.eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        let pair = value.split(';').next().unwrap_or_default();
        if let Some((k, v)) = pair.split_once('=') {
            let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
            cookies.retain(|(existing, _)| *existing != k);
            cookies.push((k, v));
        }
    }
}

/// The response parts of an HTTP exchange, as DSL variables.
fn http_parts(response: &HttpResponse, request: &str) -> Vars {
    let mut vars = Vars::new();
    let body = String::from_utf8_lossy(&response.body).into_owned();
    for (name, value) in &response.headers {
        let key = name.to_ascii_lowercase().replace('-', "_");
        vars.entry(key).or_insert_with(|| Value::Str(value.clone()));
        if name.eq_ignore_ascii_case("set-cookie") {
            if let Some((k, v)) = value.split(';').next().unwrap_or_default().split_once('=') {
                vars.entry(k.trim().to_owned())
                    .or_insert_with(|| Value::Str(v.trim().to_owned()));
            }
        }
    }
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(response.body.len() as f64);
    let head = format!("{}\r\n", response.head);
    vars.insert("status_code".into(), Value::Num(f64::from(response.status)));
    vars.insert("content_length".into(), Value::Num(length));
    vars.insert(
        "duration".into(),
        Value::Num(response.duration.as_secs_f64()),
    );
    vars.insert("header".into(), Value::Str(head.clone()));
    vars.insert("all_headers".into(), Value::Str(head.clone()));
    vars.insert("all".into(), Value::Str(format!("{head}{body}")));
    vars.insert("response".into(), Value::Str(format!("{head}\r\n{body}")));
    vars.insert("raw".into(), Value::Str(format!("{head}\r\n{body}")));
    vars.insert("request".into(), Value::Str(request.to_owned()));
    vars.insert("body".into(), Value::Str(body));
    vars
}

fn apply_dynamic(result: &OperatorResult, vars: &mut Vars, local: &mut Vars) {
    for (name, value) in &result.dynamic {
        vars.insert(name.clone(), Value::Str(value.clone()));
        local.insert(name.clone(), Value::Str(value.clone()));
    }
}

fn random_text(length: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..length)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Text of bytes: as is when UTF-8, else hex.
fn printable(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !c.is_whitespace()) => text.to_owned(),
        _ => hex::encode(bytes),
    }
}

/// Where a match happened.
struct Hit<'a> {
    template: &'a Template,
    protocol: &'static str,
    target: &'a Target,
    matched_at: &'a str,
}

fn push_hits(
    outcome: &mut RunOutcome,
    at: Hit<'_>,
    request: String,
    response: String,
    result: OperatorResult,
) {
    let Hit {
        template,
        protocol,
        target,
        matched_at,
    } = at;
    let names: Vec<Option<String>> = if result.matched_names.is_empty() {
        vec![None]
    } else {
        result.matched_names.iter().cloned().map(Some).collect()
    };
    for name in names {
        let hit = TemplateHit {
            template_id: template.id.clone(),
            matcher_name: name,
            protocol,
            host: target.host.clone(),
            port: target.port,
            matched_at: matched_at.to_owned(),
            request: request.clone(),
            response: response.clone(),
            extracted: result.extracted.clone(),
            matched: result.matched_snippets.clone(),
        };
        if !outcome.hits.contains(&hit) {
            outcome.hits.push(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_parts_are_named_as_nuclei_names_them() {
        let response = HttpResponse {
            status: 200,
            head: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: sid=42; Path=/".into(),
            headers: vec![
                ("Content-Type".into(), "text/html".into()),
                ("Set-Cookie".into(), "sid=42; Path=/".into()),
            ],
            body: b"<p>hi</p>".to_vec(),
            duration: Duration::from_millis(1500),
        };
        let vars = http_parts(&response, "GET / HTTP/1.1\r\n\r\n");
        let text = |name: &str| vars[name].to_string();
        assert!(text("header").starts_with("HTTP/1.1 200 OK\r\n"));
        assert_eq!(text("content_type"), "text/html");
        assert_eq!(text("sid"), "42");
        assert_eq!(text("content_length"), "9");
        assert_eq!(text("duration"), "1.5");
        assert!(text("all").ends_with("Path=/\r\n<p>hi</p>"));
        assert!(text("response").ends_with("\r\n\r\n<p>hi</p>"));
        assert_eq!(text("request"), "GET / HTTP/1.1\r\n\r\n");
    }

    #[test]
    fn urls_split_without_normalising_the_path() {
        let (endpoint, path) = split_url("https://h:8443/a/../etc/passwd?x=1#f").unwrap();
        assert_eq!(
            endpoint,
            Endpoint {
                tls: true,
                host: "h".into(),
                port: 8443
            }
        );
        assert_eq!(path, "/a/../etc/passwd?x=1");
        let (endpoint, path) = split_url("http://[::1]/").unwrap();
        assert_eq!(
            (endpoint.host.as_str(), endpoint.port, path.as_str()),
            ("::1", 80, "/")
        );
        assert!(split_url("ftp://h/").is_err());
        assert!(unresolved("/{{missing}}").is_err());
        assert!(unresolved("/{{7*7}}").is_ok());
    }
}
