//! The MLflow model registry, over its REST API: resolve `models:/NAME@ALIAS` and
//! `models:/NAME/VERSION` to a model version, download its ONNX artifact, and — after a promote
//! verdict — set an alias on the candidate's version and log the verdict, metrics and reports to
//! its run.
//!
//! The tracking server comes from the policy's `[registry] tracking_uri` or `MLFLOW_TRACKING_URI`;
//! credentials from `MLFLOW_TRACKING_USERNAME` + `MLFLOW_TRACKING_PASSWORD` (HTTP basic) or
//! `MLFLOW_TRACKING_TOKEN` (bearer), as MLflow's own client reads them. Credentials never appear in
//! messages or reports. The requests and responses this follows are recorded in
//! tests/mlflow/API.md (MLflow 3.17).

use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};

/// The prefix of a registry model reference.
pub const SCHEME: &str = "models:/";

/// Which version of a registered model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `models:/NAME@ALIAS`.
    Alias(String),
    /// `models:/NAME/VERSION`.
    Version(String),
}

/// A parsed `models:/` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// The registered model's name.
    pub name: String,
    /// The version or alias.
    pub selector: Selector,
}

impl std::fmt::Display for ModelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.selector {
            Selector::Alias(a) => write!(f, "{SCHEME}{}@{a}", self.name),
            Selector::Version(v) => write!(f, "{SCHEME}{}/{v}", self.name),
        }
    }
}

/// Whether a model path is a registry reference.
pub fn is_registry_uri(s: &str) -> bool {
    s.starts_with(SCHEME)
}

/// Whether MLflow accepts `a` as an alias name: letters, digits, `_` and `-`, at most 255.
pub fn valid_alias(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 255
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses `models:/NAME@ALIAS` (split at the last `@`, as MLflow does) or `models:/NAME/VERSION`.
pub fn parse(uri: &str) -> anyhow::Result<ModelRef> {
    let rest = uri
        .strip_prefix(SCHEME)
        .with_context(|| format!("`{uri}` is not a registry reference (models:/...)"))?;
    let usage = "write models:/NAME@ALIAS (e.g. models:/churn@challenger) or models:/NAME/VERSION (e.g. models:/churn/3)";
    if let Some((name, alias)) = rest.rsplit_once('@') {
        if name.is_empty() || name.contains('/') {
            bail!("`{uri}`: no registered model name before `@`; {usage}");
        }
        if !valid_alias(alias) {
            bail!("`{uri}`: `{alias}` is not an alias (letters, digits, `_` and `-`); {usage}");
        }
        return Ok(ModelRef {
            name: name.to_string(),
            selector: Selector::Alias(alias.to_string()),
        });
    }
    match rest.rsplit_once('/') {
        Some((name, version))
            if !name.is_empty()
                && !name.contains('/')
                && !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_digit()) =>
        {
            let version = version.trim_start_matches('0');
            let version = if version.is_empty() { "0" } else { version };
            Ok(ModelRef {
                name: name.to_string(),
                selector: Selector::Version(version.to_string()),
            })
        }
        _ => bail!("`{uri}`: {usage} (a version is a number; pin `latest` as an alias instead)"),
    }
}

/// A model version as resolved, recorded in the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegistryModel {
    /// The tracking server.
    pub tracking_uri: String,
    /// The registered model.
    pub name: String,
    /// The version the reference resolved to.
    pub version: String,
    /// The alias the policy named, if it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The run that produced the version (None for versions registered without a run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The ONNX file's path under the version's artifacts.
    pub artifact: String,
}

impl RegistryModel {
    /// `models:/NAME/VERSION`: the exact version, whatever alias led to it.
    pub fn pinned_uri(&self) -> String {
        format!("{SCHEME}{}/{}", self.name, self.version)
    }
}

/// A client of one MLflow tracking server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
    auth: Option<String>,
}

/// The environment variable naming the tracking server.
pub const TRACKING_URI_ENV: &str = "MLFLOW_TRACKING_URI";

impl Client {
    /// A client of the policy's tracking server, or of `MLFLOW_TRACKING_URI`.
    pub fn new(policy_uri: Option<&str>) -> anyhow::Result<Client> {
        let uri = match policy_uri {
            Some(u) => u.to_string(),
            None => std::env::var(TRACKING_URI_ENV).ok().filter(|u| !u.trim().is_empty()).ok_or_else(|| {
                anyhow!(
                    "the policy takes a model from an MLflow registry (models:/...), but no tracking server is set: \
                     set {TRACKING_URI_ENV} (e.g. http://127.0.0.1:5000) or `tracking_uri` under [registry] in the policy"
                )
            })?,
        };
        let base = uri.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("MLflow tracking URI `{base}` is not an http(s) URL: modelgate talks to a tracking server's REST API (e.g. http://127.0.0.1:5000)");
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(300)))
            .build();
        Ok(Client {
            base,
            agent: ureq::Agent::new_with_config(config),
            auth: auth_header(),
        })
    }

    /// The tracking URI.
    pub fn uri(&self) -> &str {
        &self.base
    }

    /// One request; returns the status and body. `what` says what was being done, for errors.
    fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<(&str, &[u8])>,
        what: &str,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let url = format!("{}{path}", self.base);
        let result = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url);
                for (k, v) in query {
                    r = r.query(*k, *v);
                }
                if let Some(a) = &self.auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            (_, body) => {
                let mut r = if method == "PUT" {
                    self.agent.put(&url)
                } else {
                    self.agent.post(&url)
                };
                if let Some(a) = &self.auth {
                    r = r.header("Authorization", a);
                }
                let (content_type, bytes) = body.unwrap_or(("application/json", b"{}"));
                r.header("Content-Type", content_type).send(bytes)
            }
        };
        let mut response = result.map_err(|e| {
            anyhow!(
                "cannot reach the MLflow tracking server at {} to {what}: {e}; start it, or check {TRACKING_URI_ENV} / [registry] tracking_uri",
                self.base
            )
        })?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(8 << 30)
            .read_to_vec()
            .map_err(|e| {
                anyhow!(
                    "the MLflow tracking server at {} broke off the answer to {what}: {e}",
                    self.base
                )
            })?;
        if status == 401 || status == 403 {
            bail!(
                "the MLflow tracking server at {} refused to {what} (HTTP {status}{}): set MLFLOW_TRACKING_USERNAME and \
                 MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) to an account that may do it",
                self.base,
                if self.auth.is_some() { ", with the credentials given" } else { ", no credentials given" }
            );
        }
        Ok((status, bytes))
    }

    /// A REST call with a JSON answer; an error status becomes an error with MLflow's message.
    fn api(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        what: &str,
    ) -> anyhow::Result<Value> {
        let body = body.map(|b| b.to_string());
        let (status, bytes) = self.request(
            method,
            path,
            query,
            body.as_ref().map(|b| ("application/json", b.as_bytes())),
            what,
        )?;
        let value: Option<Value> = serde_json::from_slice(&bytes).ok();
        if !(200..300).contains(&status) {
            let detail = match &value {
                Some(v) if v["message"].is_string() => {
                    format!(
                        "{}: {}",
                        v["error_code"].as_str().unwrap_or("error"),
                        v["message"].as_str().unwrap_or_default()
                    )
                }
                _ => format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).trim()
                ),
            };
            return Err(ApiError { status, detail })
                .with_context(|| format!("cannot {what} (MLflow at {})", self.base));
        }
        Ok(value.unwrap_or(Value::Null))
    }

    /// Resolves a reference to a version (the alias or version must exist and be READY).
    pub fn resolve(&self, r: &ModelRef) -> anyhow::Result<Value> {
        let what = format!("resolve {r}");
        let answer = match &r.selector {
            Selector::Alias(alias) => self.api(
                "GET",
                "/api/2.0/mlflow/registered-models/alias",
                &[("name", &r.name), ("alias", alias)],
                None,
                &what,
            ),
            Selector::Version(v) => self.api(
                "GET",
                "/api/2.0/mlflow/model-versions/get",
                &[("name", &r.name), ("version", v)],
                None,
                &what,
            ),
        };
        let answer = answer.map_err(|e| self.not_found_hint(e, r))?;
        let version = answer["model_version"].clone();
        if !version["version"].is_string() {
            bail!("cannot {what}: the MLflow server's answer has no model version ({answer})");
        }
        let status = version["status"].as_str().unwrap_or("READY");
        if status != "READY" {
            bail!(
                "{r} is version {} with status {status}; only READY versions can be gated",
                version["version"].as_str().unwrap_or("?")
            );
        }
        Ok(version)
    }

    /// Explains a failed resolution: which part of the reference does not exist, and what does.
    fn not_found_hint(&self, e: anyhow::Error, r: &ModelRef) -> anyhow::Error {
        let Some(api) = e.downcast_ref::<ApiError>() else {
            return e;
        };
        if api.status != 404 && !(api.status == 400 && api.detail.contains("not found")) {
            return e;
        }
        let model = self.api(
            "GET",
            "/api/2.0/mlflow/registered-models/get",
            &[("name", &r.name)],
            None,
            "look up the registered model",
        );
        match model {
            Err(_) => anyhow!("registered model `{}` does not exist in the MLflow registry at {} ({r}); check the name", r.name, self.base),
            Ok(m) => {
                let aliases: Vec<String> = m["registered_model"]["aliases"]
                    .as_array()
                    .map(|a| a.iter().map(|x| format!("{}→v{}", x["alias"].as_str().unwrap_or("?"), x["version"].as_str().unwrap_or("?"))).collect())
                    .unwrap_or_default();
                let what = match &r.selector {
                    Selector::Alias(a) => format!("has no alias `{a}`"),
                    Selector::Version(v) => format!("has no version {v}"),
                };
                anyhow!(
                    "registered model `{}` {what} in the MLflow registry at {} ({r}); its aliases: {}",
                    r.name,
                    self.base,
                    if aliases.is_empty() { "none".to_string() } else { aliases.join(", ") }
                )
            }
        }
    }

    /// Resolves a reference and downloads its ONNX file: the version, the bytes, the artifact path.
    pub fn fetch_onnx(&self, r: &ModelRef) -> anyhow::Result<(Value, Vec<u8>, String)> {
        let version = self.resolve(r)?;
        let (bytes, artifact) = self.download_onnx(&version)?;
        Ok((version, bytes, artifact))
    }

    /// Downloads the ONNX file of a resolved version; returns its bytes and its artifact path.
    pub fn download_onnx(&self, version: &Value) -> anyhow::Result<(Vec<u8>, String)> {
        let name = version["name"].as_str().unwrap_or_default();
        let number = version["version"].as_str().unwrap_or_default();
        let shown = format!("{SCHEME}{name}/{number}");
        let uri = self.api(
            "GET",
            "/api/2.0/mlflow/model-versions/get-download-uri",
            &[("name", name), ("version", number)],
            None,
            &format!("find the artifacts of {shown}"),
        )?["artifact_uri"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let dir = self.proxy_path(&uri, &shown)?;
        let listing = self.api(
            "GET",
            "/api/2.0/mlflow-artifacts/artifacts",
            &[("path", &dir)],
            None,
            &format!("list the artifacts of {shown}"),
        )?;
        let files: Vec<(String, bool)> = listing["files"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| {
                        (
                            f["path"].as_str().unwrap_or_default().to_string(),
                            f["is_dir"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let onnx: Vec<&String> = files
            .iter()
            .filter(|(p, d)| !d && p.ends_with(".onnx"))
            .map(|(p, _)| p)
            .collect();
        let file = match onnx.as_slice() {
            [one] => (*one).clone(),
            _ if onnx.iter().any(|p| p.as_str() == "model.onnx") => "model.onnx".to_string(),
            [] => bail!(
                "{shown} has no ONNX file among its artifacts ({uri}: {}); log the model in ONNX format (e.g. mlflow.onnx.log_model, \
                 or the .onnx file as an artifact) and register that",
                if files.is_empty() { "empty".to_string() } else { files.iter().map(|(p, d)| if *d { format!("{p}/") } else { p.clone() }).collect::<Vec<_>>().join(", ") }
            ),
            many => bail!(
                "{shown} has several ONNX files and none is called model.onnx ({}); register a version with one model",
                many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        let path = format!("{dir}/{file}");
        let (status, bytes) = self.request(
            "GET",
            &format!("/api/2.0/mlflow-artifacts/artifacts/{}", encode_path(&path)),
            &[],
            None,
            &format!("download {shown}"),
        )?;
        if status != 200 {
            bail!(
                "cannot download {file} of {shown} from the MLflow server at {} (HTTP {status})",
                self.base
            );
        }
        Ok((bytes, format!("{}/{file}", uri.trim_end_matches('/'))))
    }

    /// The artifact proxy's path for an `mlflow-artifacts:` URI (a `runs:/` URI is resolved first).
    fn proxy_path(&self, uri: &str, shown: &str) -> anyhow::Result<String> {
        if let Some(rest) = uri.strip_prefix("runs:/") {
            let (run, sub) = rest.split_once('/').unwrap_or((rest, ""));
            let root = self.run_artifact_uri(run)?;
            return self.proxy_path(&format!("{}/{sub}", root.trim_end_matches('/')), shown);
        }
        let Some(rest) = uri.strip_prefix("mlflow-artifacts:") else {
            bail!(
                "the artifacts of {shown} are at {uri}, which modelgate cannot read: it downloads through the tracking server's \
                 artifact proxy (mlflow-artifacts:/ URIs; run `mlflow server` with --serve-artifacts, the default)"
            );
        };
        // mlflow-artifacts:/PATH or mlflow-artifacts://HOST:PORT/PATH; the proxy is the tracking server's.
        let path = match rest.strip_prefix("//") {
            Some(authority_and_path) => authority_and_path.split_once('/').map_or("", |(_, p)| p),
            None => rest,
        };
        Ok(path.trim_matches('/').to_string())
    }

    /// A run's artifact root URI.
    fn run_artifact_uri(&self, run_id: &str) -> anyhow::Result<String> {
        let run = self.api(
            "GET",
            "/api/2.0/mlflow/runs/get",
            &[("run_id", run_id)],
            None,
            &format!("look up run {run_id}"),
        )?;
        run["run"]["info"]["artifact_uri"]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("run {run_id} has no artifact_uri"))
    }

    /// Points `alias` at `version` of registered model `name` (moving it if it is set elsewhere).
    pub fn set_alias(&self, name: &str, alias: &str, version: &str) -> anyhow::Result<()> {
        self.api(
            "POST",
            "/api/2.0/mlflow/registered-models/alias",
            &[],
            Some(json!({"name": name, "alias": alias, "version": version})),
            &format!("set alias `{alias}` on {SCHEME}{name}/{version}"),
        )?;
        Ok(())
    }

    /// The version an alias points at now.
    pub fn alias_version(&self, name: &str, alias: &str) -> anyhow::Result<String> {
        let r = ModelRef {
            name: name.to_string(),
            selector: Selector::Alias(alias.to_string()),
        };
        Ok(self.resolve(&r)?["version"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Logs metrics (finite values only) and tags to a run, in batches within MLflow's limits.
    pub fn log_to_run(
        &self,
        run_id: &str,
        metrics: &[(String, f64)],
        tags: &[(String, String)],
    ) -> anyhow::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let metrics: Vec<Value> = metrics
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| json!({"key": k, "value": v, "timestamp": now, "step": 0}))
            .collect();
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        let batches = metrics
            .len()
            .div_ceil(1000)
            .max(tags.len().div_ceil(100))
            .max(1);
        for i in 0..batches {
            let m = metrics
                .iter()
                .skip(i * 1000)
                .take(1000)
                .cloned()
                .collect::<Vec<_>>();
            let t = tags
                .iter()
                .skip(i * 100)
                .take(100)
                .cloned()
                .collect::<Vec<_>>();
            self.api(
                "POST",
                "/api/2.0/mlflow/runs/log-batch",
                &[],
                Some(json!({"run_id": run_id, "metrics": m, "params": [], "tags": t})),
                &format!("log the gate's results to run {run_id}"),
            )?;
        }
        Ok(())
    }

    /// Uploads a file to a run's artifacts at `rel` (e.g. `modelgate/report.json`).
    pub fn upload(
        &self,
        run_id: &str,
        rel: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> anyhow::Result<()> {
        let root = self.run_artifact_uri(run_id)?;
        let dir = self.proxy_path(&root, &format!("run {run_id}"))?;
        let what = format!("upload {rel} to run {run_id}");
        let (status, body) = self.request(
            "PUT",
            &format!(
                "/api/2.0/mlflow-artifacts/artifacts/{}",
                encode_path(&format!("{dir}/{rel}"))
            ),
            &[],
            Some((content_type, bytes)),
            &what,
        )?;
        if !(200..300).contains(&status) {
            bail!(
                "cannot {what} (MLflow at {}): HTTP {status}: {}",
                self.base,
                String::from_utf8_lossy(&body[..body.len().min(200)]).trim()
            );
        }
        Ok(())
    }
}

/// An error answer of the REST API.
#[derive(Debug)]
struct ApiError {
    status: u16,
    detail: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for ApiError {}

/// `Authorization` from the environment: basic (username + password) wins over a token, as in
/// MLflow's Python client.
fn auth_header() -> Option<String> {
    use base64::Engine as _;
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(user), Some(password)) = (
        var("MLFLOW_TRACKING_USERNAME"),
        var("MLFLOW_TRACKING_PASSWORD"),
    ) {
        return Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        ));
    }
    var("MLFLOW_TRACKING_TOKEN").map(|t| format!("Bearer {t}"))
}

/// Percent-encodes each segment of a `/`-separated path.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_like_mlflow_and_bad_ones_say_what_to_write() {
        let alias = parse("models:/churn@champion").unwrap();
        assert_eq!(
            alias,
            ModelRef {
                name: "churn".into(),
                selector: Selector::Alias("champion".into())
            }
        );
        assert_eq!(alias.to_string(), "models:/churn@champion");
        // Names may contain `@`: the alias is after the last one.
        assert_eq!(parse("models:/team@x@prod").unwrap().name, "team@x");
        assert_eq!(
            parse("models:/churn/007").unwrap().selector,
            Selector::Version("7".into())
        );
        assert_eq!(
            parse("models:/churn/12").unwrap().to_string(),
            "models:/churn/12"
        );
        for bad in [
            "models:/churn",
            "models:/churn/latest",
            "models:/@prod",
            "models:/churn@",
            "models:/churn@has space",
            "models:/a/b/3",
            "churn@x",
        ] {
            let e = parse(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
        assert!(parse("models:/churn/latest")
            .unwrap_err()
            .to_string()
            .contains("models:/NAME/VERSION"));
    }

    #[test]
    fn paths_are_percent_encoded_per_segment() {
        assert_eq!(
            encode_path("1/abc/artifacts/my model/é.onnx"),
            "1/abc/artifacts/my%20model/%C3%A9.onnx"
        );
    }
}
