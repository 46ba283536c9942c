//! What a graph is fed: one float matrix `[rows, features]` (the features in order), or one
//! tensor per graph input, each from the feature column of the same name (or the one
//! `models.NAME.inputs` maps it to) with the element type and shape `[rows, 1]` or `[rows]` the
//! graph declares.

use indexmap::IndexMap;
use ort::value::{DynValue, Tensor, TensorElementType, ValueType};
use polars::prelude::*;

use super::signature::Port;
use crate::data::{CallError, CallErrorKind, ColumnType, Dataset};

/// How a graph's inputs are filled from the features.
#[derive(Debug, Clone)]
pub(super) enum Layout {
    /// One input `[rows, k]` of float32 or float64: the features in order.
    Matrix {
        /// The graph input.
        input: String,
        /// float32 or float64.
        ty: TensorElementType,
    },
    /// One input per feature column.
    Columns(Vec<ColumnInput>),
}

/// A graph input fed from one column.
#[derive(Debug, Clone)]
pub(super) struct ColumnInput {
    /// The graph input's name.
    pub input: String,
    /// The feature column it is fed from.
    pub column: String,
    /// The element type the graph declares.
    pub ty: TensorElementType,
    /// 2 for `[rows, 1]`, 1 for `[rows]`.
    pub rank: usize,
}

/// The tensors of one run, by graph input.
pub(super) type Feed = Vec<(String, DynValue)>;

const COLUMN_TYPES: [TensorElementType; 6] = [
    TensorElementType::Float32,
    TensorElementType::Float64,
    TensorElementType::Int64,
    TensorElementType::Int32,
    TensorElementType::Bool,
    TensorElementType::String,
];

/// An element type by its ONNX name (`float`, `double`, `int64`, `string`, ...).
pub(super) fn type_name(ty: TensorElementType) -> String {
    match ty {
        TensorElementType::Float32 => "float".into(),
        TensorElementType::Float64 => "double".into(),
        TensorElementType::Float16 => "float16".into(),
        TensorElementType::Bfloat16 => "bfloat16".into(),
        TensorElementType::String => "string".into(),
        TensorElementType::Bool => "bool".into(),
        other => {
            // i64 -> int64, u8 -> uint8
            let s = other.to_string();
            match s.split_at(1) {
                ("i", bits) => format!("int{bits}"),
                ("u", bits) => format!("uint{bits}"),
                _ => s,
            }
        }
    }
}

/// `float [N, 1]`: a declared type as an error message shows it (`-1`: any size).
pub(super) fn describe(dtype: &ValueType) -> String {
    match dtype {
        ValueType::Tensor { ty, shape, .. } => {
            let dims: Vec<String> = shape
                .iter()
                .map(|d| {
                    if *d < 0 {
                        "N".to_string()
                    } else {
                        d.to_string()
                    }
                })
                .collect();
            format!("{} [{}]", type_name(*ty), dims.join(", "))
        }
        other => other.to_string(),
    }
}

/// Decides how a graph's inputs are fed. `features` are the task's feature columns, `map` the
/// policy's `models.NAME.inputs` (graph input → column); `what` names the model in errors.
pub(super) fn layout(
    name: &str,
    what: &str,
    inputs: &[Port],
    features: &[String],
    map: &IndexMap<String, String>,
) -> anyhow::Result<Layout> {
    let names: Vec<&str> = inputs.iter().map(|i| i.name()).collect();
    for key in map.keys() {
        if !names.contains(&key.as_str()) {
            anyhow::bail!(
                "{what}: `models.{name}.inputs` maps `{key}`, which is not an input of the graph (its inputs: {})",
                names.join(", ")
            );
        }
    }
    if let [only] = inputs {
        let column_named =
            map.contains_key(only.name()) || features.iter().any(|f| f == only.name());
        let wide = matches!(only.dtype(), ValueType::Tensor { shape, .. } if shape.len() == 2 && shape[1] != 1);
        if !column_named || (wide && map.is_empty()) {
            return matrix(name, what, only, features.len());
        }
    }
    let mut out = Vec::new();
    for i in inputs {
        let column = map
            .get(i.name())
            .cloned()
            .unwrap_or_else(|| i.name().to_string());
        let declared = describe(i.dtype());
        let (ty, rank) = match i.dtype() {
            ValueType::Tensor { ty, shape, .. }
                if COLUMN_TYPES.contains(ty) && (shape.len() == 1 || (shape.len() == 2 && shape[1] <= 1)) =>
            {
                (*ty, shape.len())
            }
            _ => anyhow::bail!(
                "{what}: graph input `{}` is {declared}; with several inputs modelgate feeds each one column of \
                 the data as [N, 1] or [N] of float, double, int64, int32, bool or string — export the model with \
                 one input per column, or with a single float input [N, features]",
                i.name()
            ),
        };
        if !features.contains(&column) {
            let how = if map.contains_key(i.name()) {
                format!("add `{column}` to `task.features`")
            } else {
                format!(
                    "map it to a column with `models.{name}.inputs = {{ {} = \"column\" }}`, or add `{column}` to \
                     `task.features`",
                    toml_key(i.name())
                )
            };
            anyhow::bail!(
                "{what}: graph input `{}` ({declared}) is fed from the feature column `{column}`, which is not a \
                 feature of the task (features: {}); {how}",
                i.name(),
                features.join(", ")
            );
        }
        out.push(ColumnInput {
            input: i.name().to_string(),
            column,
            ty,
            rank,
        });
    }
    Ok(Layout::Columns(out))
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

fn matrix(name: &str, what: &str, input: &Port, n_features: usize) -> anyhow::Result<Layout> {
    let (ty, width) = match input.dtype() {
        ValueType::Tensor {
            ty: ty @ (TensorElementType::Float32 | TensorElementType::Float64),
            shape,
            ..
        } if shape.len() == 2 => (*ty, (shape[1] > 0).then_some(shape[1] as usize)),
        other => anyhow::bail!(
            "{what}: input `{}` is {}; expected a float tensor [rows, features], or inputs named after the \
             feature columns (map other names with `models.{name}.inputs = {{ input = \"column\" }}`)",
            input.name(),
            describe(other)
        ),
    };
    if let Some(k) = width {
        if k != n_features {
            anyhow::bail!(
                "{what} expects {k} features but the gate feeds {n_features}; list the model's inputs in order in \
                 `task.features`"
            );
        }
    }
    Ok(Layout::Matrix {
        input: input.name().to_string(),
        ty,
    })
}

impl Layout {
    /// The feature columns the graph takes, in input order (all of them for a matrix).
    pub(super) fn columns(&self, features: &[String]) -> Vec<String> {
        match self {
            Layout::Matrix { .. } => features.to_vec(),
            Layout::Columns(c) => c.iter().map(|c| c.column.clone()).collect(),
        }
    }

    /// Whether the graph takes every feature as one float matrix.
    pub(super) fn is_matrix(&self) -> bool {
        matches!(self, Layout::Matrix { .. })
    }

    /// Whether `data`'s columns can feed the graph: for each input the column's type against the
    /// declared one. An error names the input, the column, the declared type and what was found.
    pub(super) fn check_types(&self, model: &str, data: &Dataset) -> Result<(), String> {
        let Layout::Columns(inputs) = self else {
            return Ok(());
        };
        for i in inputs {
            let Ok(s) = data.series(&i.column) else {
                continue;
            };
            // A column with no values has no telling type: its nulls are reported when predicting.
            if s.null_count() == s.len() {
                continue;
            }
            if accepts(i.ty, s.dtype()).is_err() {
                return Err(type_error(model, i, data, s.dtype()));
            }
        }
        Ok(())
    }

    /// The tensors for `data`'s rows. Nulls go in as NaN (float inputs) or as `null_text` (string
    /// inputs); a null where the graph takes integers or booleans is an error.
    pub(super) fn feed(
        &self,
        model: &str,
        data: &Dataset,
        features: &[String],
        null_text: &str,
    ) -> Result<Feed, CallError> {
        let failed = |e: PolarsError| CallError::new(CallErrorKind::Failed, e.to_string());
        let rows = data.rows();
        match self {
            Layout::Matrix { input, ty } => {
                let shape = vec![rows, features.len()];
                // Built in the input's own type: a float64 matrix converted afterwards would
                // hold both (12 bytes a cell at the peak instead of 4).
                let value = if *ty == TensorElementType::Float64 {
                    Tensor::from_array((shape, feature_matrix(data, features, |v| v)?))
                        .map(Tensor::into_dyn)
                } else {
                    Tensor::from_array((shape, feature_matrix(data, features, |v| v as f32)?))
                        .map(Tensor::into_dyn)
                };
                Ok(vec![(input.clone(), value.map_err(ort_error)?)])
            }
            Layout::Columns(inputs) => {
                let mut feed = Vec::with_capacity(inputs.len());
                for i in inputs {
                    let s = data.series(&i.column)?;
                    let shape = if i.rank == 2 {
                        vec![rows, 1]
                    } else {
                        vec![rows]
                    };
                    let all_null = s.null_count() == s.len();
                    if !all_null && accepts(i.ty, s.dtype()).is_err() {
                        return Err(CallError::new(
                            CallErrorKind::UnsupportedType,
                            type_error(model, i, data, s.dtype()),
                        ));
                    }
                    let value = match i.ty {
                        TensorElementType::String => {
                            let s = s.cast(&DataType::String).map_err(failed)?;
                            let v: Vec<String> = s
                                .str()
                                .map_err(failed)?
                                .iter()
                                .map(|v| v.unwrap_or(null_text).to_string())
                                .collect();
                            Tensor::from_string_array((shape, &*v)).map(Tensor::into_dyn)
                        }
                        TensorElementType::Float32 | TensorElementType::Float64 => {
                            let s = s.cast(&DataType::Float64).map_err(failed)?;
                            let v = s
                                .f64()
                                .map_err(failed)?
                                .iter()
                                .map(|v| v.unwrap_or(f64::NAN));
                            if i.ty == TensorElementType::Float64 {
                                Tensor::from_array((shape, v.collect::<Vec<f64>>()))
                                    .map(Tensor::into_dyn)
                            } else {
                                Tensor::from_array((
                                    shape,
                                    v.map(|v| v as f32).collect::<Vec<f32>>(),
                                ))
                                .map(Tensor::into_dyn)
                            }
                        }
                        _ => {
                            if s.null_count() > 0 {
                                return Err(null_error(model, i, data, s));
                            }
                            let s = s.cast(&DataType::Int64).map_err(failed)?;
                            let v = s.i64().map_err(failed)?.into_no_null_iter();
                            match i.ty {
                                TensorElementType::Int64 => {
                                    Tensor::from_array((shape, v.collect::<Vec<i64>>()))
                                        .map(Tensor::into_dyn)
                                }
                                TensorElementType::Int32 => {
                                    let v: Result<Vec<i32>, _> = v.map(i32::try_from).collect();
                                    let v = v.map_err(|_| {
                                        CallError::new(
                                            CallErrorKind::InvalidArgument,
                                            format!(
                                                "column `{}` of dataset `{}` has values outside int32, the type of graph input `{}` of model `{model}`",
                                                i.column, data.name, i.input
                                            ),
                                        )
                                    })?;
                                    Tensor::from_array((shape, v)).map(Tensor::into_dyn)
                                }
                                _ => {
                                    let v: Vec<bool> = v.map(|x| x != 0).collect();
                                    Tensor::from_array((shape, v)).map(Tensor::into_dyn)
                                }
                            }
                        }
                    };
                    feed.push((i.input.clone(), value.map_err(ort_error)?));
                }
                Ok(feed)
            }
        }
    }
}

fn ort_error(e: ort::Error) -> CallError {
    CallError::new(
        CallErrorKind::Failed,
        format!("cannot build the model's input: {e}"),
    )
}

/// Whether a column of `dtype` can feed an input of `ty`.
fn accepts(ty: TensorElementType, dtype: &DataType) -> Result<(), ()> {
    let ok = match ty {
        TensorElementType::String => matches!(
            dtype,
            DataType::String | DataType::Categorical(..) | DataType::Enum(..)
        ),
        TensorElementType::Float32 | TensorElementType::Float64 => {
            ColumnType::of(dtype).is_numeric() || dtype.is_bool()
        }
        TensorElementType::Int64 | TensorElementType::Int32 | TensorElementType::Bool => {
            dtype.is_integer() || dtype.is_bool()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(())
    }
}

fn type_error(model: &str, i: &ColumnInput, data: &Dataset, found: &DataType) -> String {
    let file = data
        .path
        .as_ref()
        .map(|p| format!(" ({})", p.display()))
        .unwrap_or_default();
    let shape = if i.rank == 2 { "[N, 1]" } else { "[N]" };
    let hint = match i.ty {
        TensorElementType::String => "the graph takes text: give it a text column (or encode the column as the model was trained)",
        TensorElementType::Float32 | TensorElementType::Float64 => "the graph takes numbers: give it a numeric column",
        _ => "the graph takes whole numbers or booleans: give it an integer or boolean column",
    };
    format!(
        "graph input `{}` of model `{model}` is {} {shape}, but column `{}` of dataset `{}`{file} is {found}; {hint}, \
         or map the input to another column with `models.{model}.inputs`",
        i.input,
        type_name(i.ty),
        i.column,
        data.name
    )
}

fn null_error(model: &str, i: &ColumnInput, data: &Dataset, s: &Series) -> CallError {
    let row = s
        .is_null()
        .iter()
        .position(|v| v.unwrap_or(true))
        .map_or(0, |r| r + 1);
    CallError::new(
        CallErrorKind::InvalidArgument,
        format!(
            "column `{}` of dataset `{}` has {} null value{} (the first in data row {row}), but graph input `{}` of \
             model `{model}` is {}, which has no missing value (task.missing_features = \"nan\" passes NaN to float \
             inputs only) — use \"drop\", or fix the data",
            i.column,
            data.name,
            s.null_count(),
            if s.null_count() == 1 { "" } else { "s" },
            i.input,
            type_name(i.ty)
        ),
    )
}

/// Row-major matrix of the features, nulls as NaN, each value converted by `convert`.
pub(super) fn feature_matrix<T: Copy + Default>(
    data: &Dataset,
    features: &[String],
    convert: impl Fn(f64) -> T,
) -> Result<Vec<T>, CallError> {
    let n = data.rows();
    let f = features.len();
    let mut x = vec![T::default(); n * f];
    for (j, name) in features.iter().enumerate() {
        let s = data.series(name)?;
        if !ColumnType::of(s.dtype()).is_numeric() && s.null_count() != s.len() {
            return Err(CallError::new(
                CallErrorKind::UnsupportedType,
                format!(
                    "feature `{name}` of dataset `{}` is {}; ONNX models take numeric features",
                    data.name,
                    s.dtype()
                ),
            ));
        }
        let s = s
            .cast(&DataType::Float64)
            .map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))?;
        let ca = s
            .f64()
            .map_err(|e| CallError::new(CallErrorKind::Failed, e.to_string()))?;
        // Chunk by chunk from the value slices: a chunk without nulls reads no validity.
        let mut cells = x[j..].iter_mut().step_by(f);
        for a in ca.downcast_iter() {
            let values = a.values().as_slice();
            match a.validity().filter(|v| v.unset_bits() > 0) {
                // The chunk's values first in the zip: `cells` must not step past its end.
                None => {
                    for (&v, cell) in values.iter().zip(cells.by_ref()) {
                        *cell = convert(v);
                    }
                }
                Some(valid) => {
                    for ((&v, ok), cell) in values.iter().zip(valid.iter()).zip(cells.by_ref()) {
                        *cell = convert(if ok { v } else { f64::NAN });
                    }
                }
            }
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ort::value::{Shape, SymbolicDimensions};

    fn input(name: &str, ty: TensorElementType, shape: &[i64]) -> Port {
        Port::new(
            name,
            ValueType::Tensor {
                ty,
                shape: Shape::new(shape.iter().copied()),
                dimension_symbols: SymbolicDimensions::empty(shape.len()),
            },
        )
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_float_matrix_or_one_input_per_column() {
        let none = IndexMap::new();
        let f = TensorElementType::Float32;
        let matrix = [input("input", f, &[-1, 3])];
        let l = layout("m", "model `m`", &matrix, &names(&["a", "b", "c"]), &none).unwrap();
        assert!(l.is_matrix());
        let e = layout("m", "model `m`", &matrix, &names(&["a", "b"]), &none).unwrap_err();
        assert!(
            e.to_string()
                .contains("expects 3 features but the gate feeds 2"),
            "{e}"
        );
        let columns = [
            input("a", f, &[-1, 1]),
            input("b", TensorElementType::String, &[-1]),
            input("c", TensorElementType::Int64, &[-1, 1]),
        ];
        let l = layout("m", "model `m`", &columns, &names(&["c", "b", "a"]), &none).unwrap();
        assert_eq!(l.columns(&[]), names(&["a", "b", "c"]));
        // A graph input with no column of its name, unless mapped.
        let e = layout("m", "model `m`", &columns, &names(&["a", "b", "x"]), &none).unwrap_err();
        assert!(
            e.to_string()
                .contains("graph input `c` (int64 [N, 1]) is fed from the feature column `c`"),
            "{e}"
        );
        let map: IndexMap<String, String> = [("c".to_string(), "x".to_string())].into();
        let l = layout("m", "model `m`", &columns, &names(&["a", "b", "x"]), &map).unwrap();
        assert_eq!(l.columns(&[]), names(&["a", "b", "x"]));
        // Inputs the gate cannot feed one column each.
        let wide = [input("a", f, &[-1, 1]), input("b", f, &[-1, 2])];
        let e = layout("m", "model `m`", &wide, &names(&["a", "b"]), &none).unwrap_err();
        assert!(
            e.to_string().contains("graph input `b` is float [N, 2]"),
            "{e}"
        );
        let f16 = [
            input("a", TensorElementType::Float16, &[-1, 1]),
            input("b", f, &[-1]),
        ];
        assert!(layout("m", "model `m`", &f16, &names(&["a", "b"]), &none).is_err());
        // A single [N, 1] input named after the only feature is a column; its type is kept.
        let one = [input("a", TensorElementType::Int64, &[-1, 1])];
        let l = layout("m", "model `m`", &one, &names(&["a"]), &none).unwrap();
        assert!(!l.is_matrix());
    }

    #[test]
    fn columns_must_fit_the_declared_type() {
        use TensorElementType as T;
        assert!(accepts(T::String, &DataType::String).is_ok());
        assert!(accepts(T::String, &DataType::Int64).is_err());
        assert!(accepts(T::Float32, &DataType::Int64).is_ok());
        assert!(accepts(T::Float64, &DataType::Boolean).is_ok());
        assert!(accepts(T::Int64, &DataType::Float64).is_err());
        assert!(accepts(T::Bool, &DataType::Boolean).is_ok());
        assert!(accepts(T::Int32, &DataType::String).is_err());
        assert_eq!(type_name(T::Int64), "int64");
        assert_eq!(type_name(T::Uint8), "uint8");
        assert_eq!(type_name(T::Float64), "double");
    }

    /// Columns of two chunks with nulls in one: the matrix is row-major, a null is NaN, and no
    /// chunk boundary shifts a value.
    #[test]
    fn the_feature_matrix_reads_every_chunk_in_place() {
        let mut a = Series::new("a".into(), [Some(1.0), None, Some(3.0)]);
        a.append(&Series::new("a".into(), [4.0, 5.0])).unwrap();
        let mut b = Series::new("b".into(), [10i64, 20]);
        b.append(&Series::new("b".into(), [Some(30i64), None, Some(50)]))
            .unwrap();
        let d = Dataset::from_frame(
            "t",
            DataFrame::new_infer_height(vec![a.into(), b.into()]).unwrap(),
        );
        let x = feature_matrix(&d, &["b".into(), "a".into()], |v| v).unwrap();
        let expected = [
            10.0,
            1.0,
            20.0,
            f64::NAN,
            30.0,
            3.0,
            f64::NAN,
            4.0,
            50.0,
            5.0,
        ];
        assert_eq!(x.len(), expected.len());
        for (i, (got, want)) in x.iter().zip(expected).enumerate() {
            assert!(
                got == &want || (got.is_nan() && want.is_nan()),
                "cell {i}: {got} vs {want}"
            );
        }
        let x32 = feature_matrix(&d, &["a".into()], |v| v as f32).unwrap();
        assert_eq!(x32[..1], [1.0f32]);
        assert!(x32[1].is_nan());
        assert_eq!(x32[2..], [3.0f32, 4.0, 5.0]);
    }
}
