//! The gate policy: a TOML file naming the task, datasets, models and checks (`version = 1`).
//!
//! Parsing is strict: unknown keys are errors that name the key path and the nearest valid key, and
//! relative paths are resolved against the policy file's directory.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

mod datasets;
mod engine;
mod messages;
mod monitor;

pub use datasets::{CsvDialect, DataFormat, DatasetSpec, Query};
pub use engine::{EngineSpec, SPARK_REMOTE_ENV};
pub use messages::levenshtein;
use messages::{nearest_key_hint, toml_message, value_hint};
pub use monitor::{MonitorSpec, Period, Thresholds};

/// The only policy format version this host reads.
pub const POLICY_VERSION: u32 = 1;

/// Errors reading or validating a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// The policy path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the policy's shape.
    #[error("invalid policy {path}: {message}")]
    Invalid {
        /// The policy path.
        path: PathBuf,
        /// What is wrong, with the key path and location.
        message: String,
    },
}

/// A parsed gate policy, with paths resolved.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where the policy was read from.
    pub path: PathBuf,
    /// The directory relative paths are resolved against.
    pub base_dir: PathBuf,
    /// The policy's content as written.
    pub spec: PolicySpec,
}

/// The policy file's content (`version = 1`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Format version; must be 1.
    pub version: u32,
    /// The gate's name, shown in reports.
    pub name: String,
    /// Optional free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The prediction task; required when the gate has models.
    #[serde(default)]
    pub task: Option<TaskSpec>,
    /// Named datasets, in policy order.
    #[serde(default)]
    pub datasets: IndexMap<String, DatasetSpec>,
    /// Named models, in policy order.
    #[serde(default)]
    pub models: IndexMap<String, ModelSpec>,
    /// The checks to run.
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    /// Host settings: sandbox limits, ONNX Runtime location.
    #[serde(default)]
    pub runtime: RuntimeSpec,
    /// The MLflow registry that `models:/...` references resolve through.
    #[serde(default)]
    pub registry: RegistrySpec,
    /// How `modelgate monitor` splits the production log into windows and decides.
    #[serde(default)]
    pub monitor: Option<MonitorSpec>,
    /// Where datasets are read and aggregated: embedded (default) or a Spark cluster.
    #[serde(default)]
    pub engine: Option<EngineSpec>,
}

/// `[registry]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrySpec {
    /// The MLflow tracking server (default: `MLFLOW_TRACKING_URI`).
    #[serde(default)]
    pub tracking_uri: Option<String>,
}

/// The task type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskType {
    /// Two classes.
    Binary,
    /// More than two classes.
    Multiclass,
    /// Numeric target.
    Regression,
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskType::Binary => "binary",
            TaskType::Multiclass => "multiclass",
            TaskType::Regression => "regression",
        })
    }
}

/// `[task]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// binary | multiclass | regression.
    #[serde(rename = "type")]
    pub kind: TaskType,
    /// The label column.
    pub target: String,
    /// The positive class for binary tasks (a number, string or boolean).
    #[serde(default)]
    pub positive_label: Option<Label>,
    /// Feature columns in model input order; default: every column but the target and prediction
    /// columns, in file order.
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// What models do with rows whose features (or label) are missing: null, NaN or infinite.
    #[serde(default)]
    pub missing_features: MissingFeatures,
}

/// `task.missing_features`: what happens to rows with a missing feature value (null, NaN or
/// infinite) or, for checks that need labels, a missing label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingFeatures {
    /// Checks that need a model (or labels) error, naming the column, the count and the first row;
    /// checks of the data alone still run and report. The default.
    #[default]
    Error,
    /// Such rows are left out of the model's inputs and of what model checks evaluate (with
    /// their labels); the report says how many rows of which dataset.
    Drop,
    /// Null features go to the model as NaN (for graphs with an imputer); infinite values and
    /// missing labels are still errors, and so are NaN or infinite model outputs.
    Nan,
}

impl MissingFeatures {
    /// The policy value, e.g. `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingFeatures::Error => "error",
            MissingFeatures::Drop => "drop",
            MissingFeatures::Nan => "nan",
        }
    }
}

/// A class label as written in a policy: a number, a string or a boolean, compared as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Label(pub String);

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Label;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a class label (integer, string or boolean)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Label, E> {
                Ok(Label(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Label, E> {
                Ok(Label(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Label, E> {
                Ok(Label(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Label, E> {
                Ok(Label(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A model: an ONNX file the host runs, or prediction columns already in the data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// ONNX file (relative to the policy), or an MLflow registry reference: `models:/NAME@ALIAS`
    /// or `models:/NAME/VERSION`.
    #[serde(default)]
    pub onnx: Option<PathBuf>,
    /// Column holding the model's predictions, for models the gate cannot run.
    #[serde(default)]
    pub predictions: Option<String>,
    /// Columns holding class probabilities, in the order of `classes`.
    #[serde(default)]
    pub probabilities: Option<Vec<String>>,
    /// Class labels in the order of the model's probability outputs (default: read from the ONNX
    /// classifier, or the sorted distinct target values for prediction columns).
    #[serde(default)]
    pub classes: Option<Vec<Label>>,
    /// ONNX graph input → feature column, for inputs not named after their column (graphs with
    /// one input per column).
    #[serde(default)]
    pub inputs: Option<IndexMap<String, String>>,
    /// The graph outputs to read, by name (default: found by name and type).
    #[serde(default)]
    pub outputs: Option<OutputsSpec>,
    /// Turns a score or logit output into probabilities; the label is then the most probable class.
    #[serde(default)]
    pub scores: Option<ScoreTransform>,
    /// What a null text feature goes in as with `task.missing_features = "nan"` (default: the
    /// empty string, which a one-hot encoder with `handle_unknown = "ignore"` treats as unseen).
    #[serde(default)]
    pub null_text: Option<String>,
}

/// `models.NAME.outputs`: graph outputs named explicitly.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputsSpec {
    /// The predicted label (int64 or string tensor, one per row).
    #[serde(default)]
    pub label: Option<String>,
    /// Class probabilities: a float tensor [rows, classes], or a ZipMap output (sequence of maps).
    #[serde(default)]
    pub probabilities: Option<String>,
    /// Scores or logits, turned into probabilities by `models.NAME.scores`.
    #[serde(default)]
    pub scores: Option<String>,
    /// A regressor's prediction (one float per row).
    #[serde(default)]
    pub value: Option<String>,
}

/// `models.NAME.scores`: how scores become probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreTransform {
    /// One score per row: p1 = 1 / (1 + e^-s), p0 = 1 - p1 (binary).
    Sigmoid,
    /// One score per class: p = e^s / sum(e^s).
    Softmax,
}

/// Severity of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure rejects the candidate, an error makes the verdict `error`.
    #[default]
    Blocking,
    /// Reported, never changes the verdict.
    Advisory,
}

/// `[[checks]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Unique id, used in reports.
    pub id: String,
    /// A built-in plugin name or a path to a `.wasm` component.
    pub plugin: String,
    /// Expected sha256 of the plugin file (hex); a mismatch is an error before anything runs.
    #[serde(default)]
    pub sha256: Option<String>,
    /// blocking (default) | advisory.
    #[serde(default)]
    pub severity: Severity,
    /// The plugin's configuration, passed to it as JSON.
    #[serde(default)]
    pub config: Option<toml::Table>,
    /// Per-check override of `runtime.memory_mb`.
    #[serde(default)]
    pub memory_mb: Option<u64>,
    /// Per-check override of `runtime.timeout_s`.
    #[serde(default)]
    pub timeout_s: Option<f64>,
    /// Per-check override of `runtime.fuel`.
    #[serde(default)]
    pub fuel: Option<u64>,
}

/// `[runtime]`: host settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSpec {
    /// Path to the ONNX Runtime shared library (relative to the policy).
    #[serde(default)]
    pub onnxruntime: Option<PathBuf>,
    /// Guest memory limit per check, MiB (default 512).
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// Wall-clock limit per check, seconds (default 60).
    #[serde(default = "default_timeout_s")]
    pub timeout_s: f64,
    /// Optional fuel budget per check (deterministic CPU limit).
    #[serde(default)]
    pub fuel: Option<u64>,
}

fn default_memory_mb() -> u64 {
    crate::runtime::limits::DEFAULT_MEMORY_MB
}
fn default_timeout_s() -> f64 {
    crate::runtime::limits::DEFAULT_TIMEOUT_S
}

impl Default for RuntimeSpec {
    fn default() -> Self {
        RuntimeSpec {
            onnxruntime: None,
            memory_mb: default_memory_mb(),
            timeout_s: default_timeout_s(),
            fuel: None,
        }
    }
}

impl Policy {
    /// Reads, parses and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Policy::parse(path, &text)
    }

    /// Parses and validates policy text read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Policy, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let de = toml::Deserializer::parse(text).map_err(|e| {
            invalid(format!(
                "{}; the file is not valid TOML: fix it there",
                toml_message(text, &e)
            ))
        })?;
        let spec: PolicySpec = serde_path_to_error::deserialize(de)
            .map_err(|e| {
                let key = e.path().to_string();
                let inner = e.into_inner();
                let mut msg = toml_message(text, &inner);
                if let Some(hint) = nearest_key_hint(inner.message()) {
                    msg.push_str(&hint);
                } else if inner.message().starts_with("unknown field") {
                    msg.push_str("; remove it, or use one of the keys listed");
                }
                if let Some(hint) = value_hint(&key, inner.message()) {
                    msg.push_str("; ");
                    msg.push_str(&hint);
                }
                if key.is_empty() || key == "." {
                    msg
                } else {
                    format!("at key `{key}`: {msg}")
                }
            })
            .map_err(invalid)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base_dir = if base_dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base_dir
        };
        spec.validate().map_err(invalid)?;
        Ok(Policy {
            path: path.to_path_buf(),
            base_dir,
            spec,
        })
    }

    /// Resolves a path written in the policy against the policy's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

impl PolicySpec {
    /// Checks what the type system cannot: version, unique ids, model sources, names.
    fn validate(&self) -> Result<(), String> {
        if self.version != POLICY_VERSION {
            return Err(format!(
                "at key `version`: this modelgate reads policy version {POLICY_VERSION}, the file says {}; \
                 set `version = {POLICY_VERSION}`",
                self.version
            ));
        }
        if self.name.trim().is_empty() {
            return Err("at key `name`: the gate needs a non-empty name".into());
        }
        if self.datasets.is_empty() {
            return Err(
                "at key `datasets`: the gate needs at least one dataset, e.g. \
                        `[datasets]\ncurrent = \"data/current.csv\"`"
                    .into(),
            );
        }
        if let Some(m) = &self.monitor {
            m.validate(&self.datasets)?;
        }
        engine::validate(self.engine.as_ref(), &self.datasets)?;
        if let Some(task) = &self.task {
            if task.target.is_empty() {
                return Err("at key `task.target`: name the label column".into());
            }
            if task.positive_label.is_some() && task.kind != TaskType::Binary {
                return Err(format!(
                    "at key `task.positive_label`: only binary tasks have a positive label (task.type is {})",
                    task.kind
                ));
            }
            if let Some(features) = &task.features {
                if features.is_empty() {
                    return Err(
                        "at key `task.features`: the list is empty; remove the key to use every \
                                column but the target"
                            .into(),
                    );
                }
                let mut seen = HashSet::new();
                for f in features {
                    if !seen.insert(f) {
                        return Err(format!(
                            "at key `task.features`: column `{f}` is listed twice"
                        ));
                    }
                    if f == &task.target {
                        return Err(format!(
                            "at key `task.features`: the target `{f}` cannot be a feature"
                        ));
                    }
                }
            }
        }
        if !self.models.is_empty() && self.task.is_none() {
            return Err(
                "at key `models`: a gate with models needs a `[task]` table (type, target)".into(),
            );
        }
        for (name, m) in &self.models {
            match (&m.onnx, &m.predictions) {
                (Some(_), Some(_)) => {
                    return Err(format!(
                        "at key `models.{name}`: give either `onnx` (a model file) or `predictions` (a column), not both"
                    ))
                }
                (None, None) => {
                    return Err(format!(
                        "at key `models.{name}`: give `onnx = \"model.onnx\"` or `predictions = \"column\"`"
                    ))
                }
                (Some(_), None) if m.probabilities.is_some() => {
                    return Err(format!(
                        "at key `models.{name}.probabilities`: only prediction-column models take probability columns"
                    ))
                }
                _ => {}
            }
            let onnx_only = [
                ("inputs", m.inputs.is_some()),
                ("outputs", m.outputs.is_some()),
                ("scores", m.scores.is_some()),
                ("null_text", m.null_text.is_some()),
            ];
            if let Some((key, _)) = onnx_only.iter().find(|(_, set)| *set && m.onnx.is_none()) {
                return Err(format!(
                    "at key `models.{name}.{key}`: only ONNX models (`onnx = \"model.onnx\"`) take `{key}`"
                ));
            }
            if let (Some(t), Some(o)) = (m.scores, &m.outputs) {
                if o.probabilities.is_some() {
                    return Err(format!(
                        "at key `models.{name}.outputs.probabilities`: with `scores = \"{}\"` name the score output \
                         `outputs.scores`; `probabilities` is for outputs that already are probabilities",
                        match t {
                            ScoreTransform::Sigmoid => "sigmoid",
                            ScoreTransform::Softmax => "softmax",
                        }
                    ));
                }
            }
            if m.scores.is_none() && m.outputs.as_ref().is_some_and(|o| o.scores.is_some()) {
                return Err(format!(
                    "at key `models.{name}.outputs.scores`: say how scores become probabilities with \
                     `models.{name}.scores = \"sigmoid\"` or `\"softmax\"`"
                ));
            }
            if let Some(uri) = m
                .onnx
                .as_ref()
                .and_then(|p| p.to_str())
                .filter(|p| crate::registry::is_registry_uri(p))
            {
                crate::registry::parse(uri)
                    .map_err(|e| format!("at key `models.{name}.onnx`: {e}"))?;
            }
            if let (Some(p), Some(c)) = (&m.probabilities, &m.classes) {
                if p.len() != c.len() {
                    return Err(format!(
                        "at key `models.{name}.classes`: {} classes for {} probability columns",
                        c.len(),
                        p.len()
                    ));
                }
            }
        }
        let mut ids = HashSet::new();
        for (i, c) in self.checks.iter().enumerate() {
            if c.id.trim().is_empty() {
                return Err(format!(
                    "at key `checks[{i}].id`: a check needs a non-empty id"
                ));
            }
            if !ids.insert(c.id.as_str()) {
                return Err(format!("at key `checks[{i}].id`: the id `{}` is used by another check; ids must be unique: rename one of them", c.id));
            }
            if let Some(h) = &c.sha256 {
                if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "at key `checks[{i}].sha256`: expected 64 hex digits, got `{h}`"
                    ));
                }
            }
            if let Some(t) = c.timeout_s {
                if !(t > 0.0 && t.is_finite()) {
                    return Err(format!(
                        "at key `checks[{i}].timeout_s`: must be a positive number of seconds"
                    ));
                }
            }
            if c.memory_mb == Some(0) {
                return Err(format!(
                    "at key `checks[{i}].memory_mb`: must be at least 1"
                ));
            }
        }
        if !(self.runtime.timeout_s > 0.0 && self.runtime.timeout_s.is_finite()) {
            return Err("at key `runtime.timeout_s`: must be a positive number of seconds".into());
        }
        if self.runtime.memory_mb == 0 {
            return Err("at key `runtime.memory_mb`: must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, String> {
        Policy::parse(Path::new("dir/gate.toml"), text).map_err(|e| e.to_string())
    }

    const MINIMAL: &str = "version = 1\nname = \"g\"\n[datasets]\ncurrent = \"c.csv\"\n";

    #[test]
    fn minimal_policy_parses_and_resolves_paths() {
        let p = parse(MINIMAL).unwrap();
        assert_eq!(p.spec.datasets["current"].path, PathBuf::from("c.csv"));
        assert_eq!(p.resolve(Path::new("c.csv")), PathBuf::from("dir/c.csv"));
        assert_eq!(p.spec.runtime.memory_mb, 512);
    }

    #[test]
    fn unknown_key_names_path_and_nearest_key() {
        let e = parse(&format!(
            "{MINIMAL}[[checks]]\nid = \"a\"\nplugin = \"p\"\nseverty = \"advisory\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("checks[0]"), "{e}");
        assert!(e.contains("severty"), "{e}");
        assert!(e.contains("did you mean `severity`"), "{e}");
        assert!(e.contains("line 8, column 1"), "{e}");
    }

    #[test]
    fn wrong_version_and_duplicate_ids_are_rejected() {
        assert!(
            parse("version = 2\nname = \"g\"\n[datasets]\nc = \"c.csv\"\n")
                .unwrap_err()
                .contains("version 1")
        );
        let dup = format!("{MINIMAL}[[checks]]\nid = \"a\"\nplugin = \"p\"\n[[checks]]\nid = \"a\"\nplugin = \"q\"\n");
        assert!(parse(&dup).unwrap_err().contains("checks[1].id"));
    }

    #[test]
    fn model_needs_exactly_one_source_and_a_task() {
        let no_task = format!("{MINIMAL}[models.m]\nonnx = \"m.onnx\"\n");
        assert!(parse(&no_task).unwrap_err().contains("[task]"));
        let both = format!(
            "{MINIMAL}[task]\ntype = \"binary\"\ntarget = \"y\"\n[models.m]\nonnx = \"m.onnx\"\npredictions = \"p\"\n"
        );
        assert!(parse(&both).unwrap_err().contains("models.m"));
    }

    #[test]
    fn labels_accept_numbers_strings_booleans() {
        let p = parse(&format!(
            "{MINIMAL}[task]\ntype = \"binary\"\ntarget = \"y\"\npositive_label = 1\n"
        ))
        .unwrap();
        assert_eq!(p.spec.task.unwrap().positive_label, Some(Label("1".into())));
        let p = parse(&format!(
            "{MINIMAL}[task]\ntype = \"binary\"\ntarget = \"y\"\npositive_label = \"yes\"\n"
        ))
        .unwrap();
        assert_eq!(
            p.spec.task.unwrap().positive_label,
            Some(Label("yes".into()))
        );
    }

    #[test]
    fn bad_enum_value_names_the_key() {
        let e = parse(&format!(
            "{MINIMAL}[task]\ntype = \"ranking\"\ntarget = \"y\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("task.type"), "{e}");
        assert!(e.contains("binary"), "{e}");
    }

    #[test]
    fn values_of_the_wrong_type_say_what_to_write() {
        let e = parse("version = \"one\"\nname = \"g\"\n[datasets]\nc = \"c.csv\"\n").unwrap_err();
        assert!(
            e.contains("at key `version`") && e.contains("set `version = 1`"),
            "{e}"
        );
        let e = parse(&format!(
            "{MINIMAL}[[checks]]\nid = \"a\"\nplugin = \"p\"\nseverity = 3\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("checks[0].severity") && e.contains("\"advisory\""),
            "{e}"
        );
        let e = parse(&format!(
            "{MINIMAL}[[checks]]\nid = \"a\"\nplugin = \"p\"\nmemory_mb = \"lots\"\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("checks[0].memory_mb") && e.contains("whole number"),
            "{e}"
        );
        let e = parse(&format!(
            "{MINIMAL}[task]\ntype = \"binary\"\ntarget = \"y\"\nfeatures_list = []\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("task.features_list") && e.contains("remove it"),
            "{e}"
        );
    }

    #[test]
    fn datasets_and_models_keep_policy_order() {
        let p = parse(
            "version = 1\nname = \"g\"\n[task]\ntype = \"binary\"\ntarget = \"y\"\n[datasets]\nzeta = \"z.csv\"\nalpha = \"a.csv\"\n\
             [models.candidate]\nonnx = \"c.onnx\"\n[models.baseline]\nonnx = \"b.onnx\"\n",
        )
        .unwrap();
        assert_eq!(
            p.spec.datasets.keys().collect::<Vec<_>>(),
            ["zeta", "alpha"]
        );
        assert_eq!(
            p.spec.models.keys().collect::<Vec<_>>(),
            ["candidate", "baseline"]
        );
    }

    #[test]
    fn graph_keys_are_for_onnx_models() {
        let head = format!("{MINIMAL}[task]\ntype = \"binary\"\ntarget = \"y\"\n[models.m]\n");
        let p = parse(&format!(
            "{head}onnx = \"m.onnx\"\ninputs = {{ a = \"b\" }}\nscores = \"softmax\"\noutputs = {{ scores = \"logits\" }}\n"
        ))
        .unwrap();
        let m = &p.spec.models["m"];
        assert_eq!(
            (m.inputs.as_ref().unwrap()["a"].as_str(), m.scores),
            ("b", Some(ScoreTransform::Softmax))
        );
        for (bad, needle) in [
            (
                "predictions = \"p\"\nscores = \"sigmoid\"",
                "models.m.scores`: only ONNX models",
            ),
            (
                "onnx = \"m.onnx\"\nscores = \"sigmoid\"\noutputs = { probabilities = \"p\" }",
                "name the score output",
            ),
            (
                "onnx = \"m.onnx\"\noutputs = { scores = \"s\" }",
                "models.m.scores = \"sigmoid\"",
            ),
            ("onnx = \"m.onnx\"\nscores = \"tanh\"", "models.m.scores"),
        ] {
            let e = parse(&format!("{head}{bad}\n")).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn levenshtein_distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn csv_dialects_are_read_and_bad_values_named() {
        let p = parse(
            "version = 1\nname = \"g\"\n[datasets]\nc = { path = \"c.csv\", separator = \";\", \
             quote_char = \"'\", null_values = [\"NA\", \"-\"], has_header = false }\nd = \"d.csv\"\n",
        )
        .unwrap();
        let c = &p.spec.datasets["c"].csv;
        assert_eq!(
            (c.separator, c.quote_char, c.has_header),
            (b';', Some(b'\''), false)
        );
        assert_eq!(c.null_values, ["NA", "-"]);
        assert!(p.spec.datasets["d"].csv.is_default());
        let p = parse("version = 1\nname = \"g\"\n[datasets]\nc = { path = \"c.tsv\", format = \"csv\", separator = \"\\t\", quote_char = \"\" }\n").unwrap();
        assert_eq!(
            (
                p.spec.datasets["c"].csv.separator,
                p.spec.datasets["c"].csv.quote_char
            ),
            (b'\t', None)
        );
        for (bad, needle) in [
            (
                "separator = \";;\"",
                "`separator` must be one ASCII character",
            ),
            (
                "separator = \"\"",
                "`separator` must be one ASCII character",
            ),
            (
                "quote_char = \"«\"",
                "`quote_char` must be one ASCII character",
            ),
            ("separator = \"'\", quote_char = \"'\"", "must differ"),
            ("delimiter = \";\"", "unknown field `delimiter`"),
        ] {
            let e = parse(&format!(
                "version = 1\nname = \"g\"\n[datasets]\nc = {{ path = \"c.csv\", {bad} }}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(e.contains("datasets.c") && e.contains(needle), "{bad}: {e}");
        }
    }
}
