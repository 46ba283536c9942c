//! What a graph returns: its label, probability, score or value outputs, found by name and type
//! or named in the policy (`models.NAME.outputs`), and read back after a run.
//!
//! Probabilities come as a float tensor `[rows, classes]` (skl2onnx and onnxmltools with ZipMap
//! off), as a ZipMap output — a sequence of maps class → probability, one per row (the converters'
//! default) — or from scores and logits that `models.NAME.scores` turns into probabilities.

use anyhow::{anyhow, bail};
use ort::session::SessionOutputs;
use ort::value::{DynMapValueType, TensorElementType, ValueType};
use polars::prelude::*;

use super::feed::describe;
use super::signature::Port;
use crate::policy::{OutputsSpec, ScoreTransform, TaskType};

/// Where the probabilities come from.
#[derive(Debug, Clone)]
pub(super) enum Proba {
    /// A float tensor [rows, classes] (or [rows] for one class).
    Tensor(String),
    /// A sequence of maps class label → probability (ZipMap), keyed by int64 or string.
    ZipMap(String, TensorElementType),
    /// Scores or logits turned into probabilities.
    Scores(String, ScoreTransform),
}

/// The outputs a model's predictions are read from.
#[derive(Debug, Clone, Default)]
pub(super) struct Outputs {
    pub label: Option<(String, TensorElementType)>,
    pub proba: Option<Proba>,
    pub value: Option<String>,
}

/// What one run returned, in the gate's terms.
pub(super) struct RawOutputs {
    pub labels: Option<Series>,
    /// Row-major probabilities and the number of classes.
    pub proba: Option<(Vec<f64>, usize)>,
    pub values: Option<Vec<f64>>,
}

fn is_float(ty: &TensorElementType) -> bool {
    matches!(ty, TensorElementType::Float32 | TensorElementType::Float64)
}

fn label_type(dtype: &ValueType) -> Option<TensorElementType> {
    match dtype {
        ValueType::Tensor {
            ty: ty @ (TensorElementType::Int64 | TensorElementType::String),
            shape,
            ..
        } if shape.len() == 1 || (shape.len() == 2 && shape[1] == 1) => Some(*ty),
        _ => None,
    }
}

fn zipmap_key(dtype: &ValueType) -> Option<TensorElementType> {
    match dtype {
        ValueType::Sequence(inner) => match inner.as_ref() {
            ValueType::Map {
                key: key @ (TensorElementType::Int64 | TensorElementType::String),
                value,
            } if is_float(value) => Some(*key),
            _ => None,
        },
        _ => None,
    }
}

fn float_tensor(dtype: &ValueType, max_rank: usize) -> bool {
    matches!(dtype, ValueType::Tensor { ty, shape, .. } if is_float(ty) && (1..=max_rank).contains(&shape.len()))
}

/// Finds the outputs to read. `named` are the policy's explicit names; `scores` its score
/// transform; `what` names the model in errors.
pub(super) fn find(
    name: &str,
    what: &str,
    outlets: &[Port],
    task: TaskType,
    named: &OutputsSpec,
    scores: Option<ScoreTransform>,
) -> anyhow::Result<Outputs> {
    let listing = || {
        outlets
            .iter()
            .map(|o| format!("{} ({})", o.name(), describe(o.dtype())))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let get = |key: &str, output: &str| {
        outlets.iter().find(|o| o.name() == output).ok_or_else(|| {
            anyhow!("{what}: `models.{name}.outputs.{key}` names `{output}`, which is not an output of the graph (outputs: {})", listing())
        })
    };
    let wrong = |key: &str, o: &Port, want: &str| {
        anyhow!(
            "{what}: output `{}` (`models.{name}.outputs.{key}`) is {}; {key} must be {want}",
            o.name(),
            describe(o.dtype())
        )
    };
    let mut out = Outputs::default();
    if let Some(n) = &named.label {
        let o = get("label", n)?;
        let ty = label_type(o.dtype())
            .ok_or_else(|| wrong("label", o, "an int64 or string tensor [N] or [N, 1]"))?;
        out.label = Some((o.name().to_string(), ty));
    }
    if let Some(n) = &named.probabilities {
        let o = get("probabilities", n)?;
        out.proba = Some(if let Some(key) = zipmap_key(o.dtype()) {
            Proba::ZipMap(o.name().to_string(), key)
        } else if float_tensor(o.dtype(), 2) {
            Proba::Tensor(o.name().to_string())
        } else {
            return Err(wrong(
                "probabilities",
                o,
                "a float tensor [N, classes] or a sequence of maps (ZipMap)",
            ));
        });
    }
    if let Some(t) = scores {
        let o = match &named.scores {
            Some(n) => get("scores", n)?,
            None => {
                let candidates: Vec<&Port> = outlets
                    .iter()
                    .filter(|o| float_tensor(o.dtype(), 2))
                    .collect();
                match candidates.as_slice() {
                    [one] => *one,
                    [] => bail!("{what} has no float output for `models.{name}.scores` to turn into probabilities (outputs: {})", listing()),
                    _ => bail!(
                        "{what} has several float outputs ({}); name the scores with `models.{name}.outputs = {{ scores = \"...\" }}`",
                        candidates.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
                    ),
                }
            }
        };
        if !float_tensor(o.dtype(), 2) {
            return Err(wrong("scores", o, "a float tensor [N] or [N, k]"));
        }
        out.proba = Some(Proba::Scores(o.name().to_string(), t));
        if task == TaskType::Regression {
            bail!("at key `models.{name}.scores`: a regression model has no class probabilities; remove the key or check `task.type`");
        }
    }
    if let Some(n) = &named.value {
        let o = get("value", n)?;
        if !float_tensor(o.dtype(), 2) {
            return Err(wrong("value", o, "a float tensor [N] or [N, 1]"));
        }
        out.value = Some(o.name().to_string());
    }
    // The rest found by type, the converters' usual names first (skl2onnx and onnxmltools:
    // label / probabilities, or output_label / output_probability with ZipMap).
    let mut ordered: Vec<&Port> = outlets.iter().collect();
    let usual = [
        "label",
        "output_label",
        "probabilities",
        "output_probability",
        "variable",
    ];
    ordered.sort_by_key(|o| {
        usual
            .iter()
            .position(|u| *u == o.name())
            .unwrap_or(usual.len())
    });
    for o in ordered {
        let dtype = o.dtype();
        match task {
            TaskType::Regression => {
                let one = matches!(dtype, ValueType::Tensor { ty, shape, .. }
                    if is_float(ty) && (shape.len() == 1 || (shape.len() == 2 && shape[1] == 1)));
                if out.value.is_none() && one {
                    out.value = Some(o.name().to_string());
                }
            }
            _ => {
                // With scores, the label is their argmax unless named.
                if out.label.is_none() && scores.is_none() {
                    if let Some(ty) = label_type(dtype) {
                        out.label = Some((o.name().to_string(), ty));
                        continue;
                    }
                }
                if out.proba.is_none() {
                    if let Some(key) = zipmap_key(dtype) {
                        out.proba = Some(Proba::ZipMap(o.name().to_string(), key));
                    } else if matches!(dtype, ValueType::Tensor { ty, shape, .. } if is_float(ty) && shape.len() == 2)
                    {
                        out.proba = Some(Proba::Tensor(o.name().to_string()));
                    }
                }
            }
        }
    }
    match task {
        TaskType::Regression if out.value.is_none() => bail!(
            "{what} has no output of one float per row ([rows] or [rows, 1]) for a regression task (outputs: {}); \
             check `task.type`: {}",
            listing(),
            if out.label.is_some() || outlets.iter().any(|o| label_type(o.dtype()).is_some()) {
                "the model outputs class labels, so it is a classifier — set `task.type = \"binary\"` or \"multiclass\""
            } else {
                "export the regressor with a single float output, or name it with `models.NAME.outputs = { value = \"...\" }`"
            }
        ),
        TaskType::Binary | TaskType::Multiclass if out.label.is_none() && !matches!(out.proba, Some(Proba::Scores(..))) => bail!(
            "{what} has no label output (int64 or string tensor [rows]) for a {task} task (outputs: {}); check \
             `task.type`; name the outputs with `models.{name}.outputs = {{ label = \"...\", probabilities = \"...\" }}`, \
             or, for a model that outputs scores or logits, set `models.{name}.scores = \"sigmoid\"` or `\"softmax\"`",
            listing()
        ),
        _ => {}
    }
    Ok(out)
}

fn floats(outputs: &SessionOutputs<'_>, name: &str) -> anyhow::Result<(Vec<i64>, Vec<f64>)> {
    let v = &outputs[name];
    match v.try_extract_tensor::<f32>() {
        Ok((shape, x)) => Ok((shape.to_vec(), x.iter().map(|x| f64::from(*x)).collect())),
        Err(_) => {
            let (shape, x) = v.try_extract_tensor::<f64>()?;
            Ok((shape.to_vec(), x.to_vec()))
        }
    }
}

/// `classes` as a label column: integers when every class is one, else text.
fn class_series(classes: &[String], idx: &[usize]) -> Series {
    let ints: Option<Vec<i64>> = classes.iter().map(|c| c.parse().ok()).collect();
    match ints {
        Some(ints) => Series::new(
            "prediction".into(),
            idx.iter().map(|j| ints[*j]).collect::<Vec<i64>>(),
        ),
        None => Series::new(
            "prediction".into(),
            idx.iter()
                .map(|j| classes[*j].as_str())
                .collect::<Vec<&str>>(),
        ),
    }
}

impl Outputs {
    /// Whether the model yields class probabilities.
    pub(super) fn has_probabilities(&self) -> bool {
        self.proba.is_some()
    }

    /// Reads one run's outputs for `rows` rows; `classes` are the model's classes in probability order.
    pub(super) fn read(
        &self,
        outputs: &SessionOutputs<'_>,
        rows: usize,
        classes: &[String],
    ) -> anyhow::Result<RawOutputs> {
        let mut labels = match &self.label {
            Some((name, TensorElementType::Int64)) => {
                let (_, v) = outputs[name.as_str()].try_extract_tensor::<i64>()?;
                Some(Series::new("prediction".into(), v))
            }
            Some((name, _)) => {
                let (_, v) = outputs[name.as_str()].try_extract_strings()?;
                Some(Series::new("prediction".into(), v))
            }
            None => None,
        };
        let proba = match &self.proba {
            None => None,
            Some(Proba::Tensor(name)) => {
                let (shape, v) = floats(outputs, name)?;
                let k = if shape.len() == 2 {
                    shape[1] as usize
                } else {
                    1
                };
                if v.len() != rows * k {
                    bail!(
                        "probability output `{name}` has {} values for {rows} rows",
                        v.len()
                    );
                }
                Some((v, k))
            }
            Some(Proba::ZipMap(name, key)) => {
                Some((zipmap(outputs, name, *key, rows, classes)?, classes.len()))
            }
            Some(Proba::Scores(name, t)) => {
                let (shape, s) = floats(outputs, name)?;
                let k = if shape.len() == 2 {
                    shape[1] as usize
                } else {
                    1
                };
                if s.len() != rows * k {
                    bail!(
                        "score output `{name}` has {} values for {rows} rows",
                        s.len()
                    );
                }
                let (p, k) =
                    transform(&s, k, *t).map_err(|e| anyhow!("score output `{name}`: {e}"))?;
                if labels.is_none() {
                    if classes.len() != k {
                        bail!(
                            "score output `{name}` gives {k} probabilities per row but the model has {} classes ({}); set `classes = [...]` under the model",
                            classes.len(),
                            classes.join(", ")
                        );
                    }
                    let idx: Vec<usize> = p.chunks(k).map(argmax).collect();
                    labels = Some(class_series(classes, &idx));
                }
                Some((p, k))
            }
        };
        let values = match &self.value {
            Some(name) => {
                let (_, vals) = floats(outputs, name)?;
                if vals.len() != rows {
                    bail!(
                        "regression output has {} values for {rows} rows; expected one per row",
                        vals.len()
                    );
                }
                Some(vals)
            }
            None => None,
        };
        Ok(RawOutputs {
            labels,
            proba,
            values,
        })
    }
}

/// The first index of the largest value (as numpy's argmax).
fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (j, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = j;
        }
    }
    best
}

/// Probabilities from scores: sigmoid of one score per row gives [1 - p, p]; softmax normalises
/// each row (shifted by its maximum).
pub(super) fn transform(
    s: &[f64],
    k: usize,
    t: ScoreTransform,
) -> Result<(Vec<f64>, usize), String> {
    match t {
        ScoreTransform::Sigmoid => {
            if k != 1 {
                return Err(format!("sigmoid takes one score per row, this output has {k}; use `scores = \"softmax\"`"));
            }
            Ok((
                s.iter()
                    .flat_map(|x| {
                        let p = 1.0 / (1.0 + (-x).exp());
                        [1.0 - p, p]
                    })
                    .collect(),
                2,
            ))
        }
        ScoreTransform::Softmax => {
            if k < 2 {
                return Err("softmax needs one score per class (at least 2 per row); for one score per row use `scores = \"sigmoid\"`".into());
            }
            let mut p = Vec::with_capacity(s.len());
            for row in s.chunks(k) {
                let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = row.iter().map(|x| (x - m).exp()).collect();
                let sum: f64 = e.iter().sum();
                p.extend(e.iter().map(|x| x / sum));
            }
            Ok((p, k))
        }
    }
}

/// A ZipMap output (one map class → probability per row) as row-major probabilities in `classes` order.
fn zipmap(
    outputs: &SessionOutputs<'_>,
    name: &str,
    key: TensorElementType,
    rows: usize,
    classes: &[String],
) -> anyhow::Result<Vec<f64>> {
    let maps = outputs[name].try_extract_sequence::<DynMapValueType>()?;
    if maps.len() != rows {
        bail!(
            "ZipMap output `{name}` has {} maps for {rows} rows",
            maps.len()
        );
    }
    let k = classes.len();
    let mut p = vec![f64::NAN; rows * k];
    for (i, m) in maps.iter().enumerate() {
        let pairs: Vec<(String, f64)> = match key {
            TensorElementType::Int64 => m
                .try_extract_key_values::<i64, f32>()?
                .into_iter()
                .map(|(c, v)| (c.to_string(), f64::from(v)))
                .collect(),
            _ => m
                .try_extract_key_values::<String, f32>()?
                .into_iter()
                .map(|(c, v)| (c, f64::from(v)))
                .collect(),
        };
        for (c, v) in pairs {
            let j = classes.iter().position(|x| *x == c).ok_or_else(|| {
                anyhow!("ZipMap output `{name}` has class `{c}`, which is not one of the model's classes ({})", classes.join(", "))
            })?;
            p[i * k + j] = v;
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_become_probabilities() {
        let (p, k) = transform(&[0.0, 2.0], 1, ScoreTransform::Sigmoid).unwrap();
        assert_eq!(k, 2);
        assert_eq!(p[0..2], [0.5, 0.5]);
        assert!((p[3] - 1.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-15);
        assert!((p[2] + p[3] - 1.0).abs() < 1e-15);
        let (p, k) = transform(
            &[1.0, 1.0, 1.0, 0.0, 1000.0, 0.0],
            3,
            ScoreTransform::Softmax,
        )
        .unwrap();
        assert_eq!(k, 3);
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(p[4], 1.0);
        assert!(transform(&[1.0, 2.0], 2, ScoreTransform::Sigmoid)
            .unwrap_err()
            .contains("softmax"));
        assert!(transform(&[1.0], 1, ScoreTransform::Softmax)
            .unwrap_err()
            .contains("sigmoid"));
        assert_eq!(argmax(&[0.2, 0.5, 0.5]), 1);
    }

    #[test]
    fn labels_from_classes_keep_integer_labels_integers() {
        let s = class_series(&["0".into(), "1".into()], &[1, 0]);
        assert_eq!(s.dtype(), &DataType::Int64);
        let s = class_series(&["no".into(), "yes".into()], &[1]);
        assert_eq!(s.str().unwrap().get(0), Some("yes"));
    }
}
