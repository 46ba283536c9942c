//! Reading the host's tables: the target once, then each model's predictions.
//!
//! Without slices or confidence bounds, a model's predictions stream through the sandbox in
//! [`CHUNK_ROWS`]-row chunks and are counted as they pass ([`classification`], [`regression`]):
//! the sandbox holds the target (4 bytes a row for labels, 8 for values) and, for a binary
//! model with probabilities, its positive-class scores (8 bytes a row) for ROC and PR AUC. The
//! metrics are those of the rows held in memory ([`evaluate::classification`],
//! [`evaluate::regression`]) bit for bit: every sum is the same pairwise sum in the same row
//! order ([`try_pairwise_sums`]). Slices and bootstrap resamples need the rows themselves
//! ([`Truth`](crate::slices::Truth), [`Probabilities`]).

use modelgate_sdk::numeric::try_pairwise_sums;
use modelgate_sdk::table::decode_f64_chunk;
use modelgate_sdk::{warn, Dictionary, FirstSeen, ModelRef, Table, CHUNK_ROWS};

use crate::evaluate::{
    self, quote_list, score_terms, LabelCounts, ModelMetrics, Probabilities, ScoreSums, Task,
};
use crate::metrics;

/// A column of class labels without nulls, as codes into its distinct values (4 bytes a row).
pub struct Labels {
    /// The distinct values, in order of first appearance.
    pub values: Vec<String>,
    /// Per row, the index of its value.
    pub codes: Vec<u32>,
}

impl Labels {
    /// Reads `column` of `table` as text; an error naming the nulls if it has any.
    pub fn read(table: &Table, column: &str) -> Result<Labels, String> {
        let mut counts = LabelCounts::default();
        let mut codes = Vec::with_capacity(table.row_count()?);
        for_each_label(table, column, &mut counts, |_, code, _| codes.push(code))?;
        Ok(Labels {
            values: counts.into_labels(),
            codes,
        })
    }

    /// The same labels as a [`Dictionary`] (for slices and resamples).
    pub fn to_dictionary(&self) -> Dictionary {
        Dictionary {
            values: self.values.clone(),
            codes: self.codes.iter().map(|&c| Some(c)).collect(),
        }
    }
}

/// Calls `f(row, code, counts)` for every row of a column of class labels, in order, with the
/// code of the row's label (as text) in `counts`; an error naming the nulls, after the pass, if
/// it has any.
///
/// A signed integer column (or an unsigned one up to 32 bits) is read as integers, whose text
/// is their decimal form: each distinct value is written out once, not once a row.
fn for_each_label(
    table: &Table,
    column: &str,
    counts: &mut LabelCounts,
    mut f: impl FnMut(usize, u32, &mut LabelCounts),
) -> Result<(), String> {
    let (mut nulls, mut first_null) = (0usize, None);
    let mut null = |row: usize| {
        nulls += 1;
        first_null.get_or_insert(row);
    };
    let integers = table.column(column).is_ok_and(|c| {
        matches!(
            c.dtype.as_str(),
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32"
        )
    });
    if integers {
        let mut seen = IntegerCodes::default();
        table.for_each_i64(column, |row, v| {
            match v {
                Some(v) => f(row, seen.code(v, counts), counts),
                None => null(row),
            }
            Ok(())
        })?;
    } else {
        table.for_each_utf8(column, |row, v| {
            match v {
                Some(v) => f(row, counts.code(v), counts),
                None => null(row),
            }
            Ok(())
        })?;
    }
    match first_null {
        Some(first) => Err(format!(
            "column `{column}` of `{}` has {nulls} null(s) (the first at row {first}); every row \
             needs a label",
            table.name()
        )),
        None => Ok(()),
    }
}

/// The codes of integer labels already seen, so that a value's text is coded once.
#[derive(Default)]
struct IntegerCodes {
    seen: FirstSeen<i64>,
    /// Per value seen (by its position in `seen`), the code of its text.
    codes: Vec<u32>,
}

impl IntegerCodes {
    fn code(&mut self, v: i64, counts: &mut LabelCounts) -> u32 {
        match self.seen.find(&v) {
            Some(i) => self.codes[i as usize],
            None => {
                self.seen.push(v);
                let c = counts.code(&v.to_string());
                self.codes.push(c);
                c
            }
        }
    }
}

/// The model's predictions on the dataset ([`ModelRef::predictions`]), checked to have a
/// `prediction` column.
pub fn predictions(s: &ModelRef<'_>, table: &Table, dataset: &str) -> Result<Table, String> {
    let preds = s.predictions(table, dataset)?;
    preds.column("prediction")?;
    Ok(preds)
}

/// The error for a value the metrics cannot take.
fn not_finite(table: &Table, column: &str, row: usize, value: Option<f64>) -> String {
    match value {
        None => format!(
            "column `{column}` of `{}` has a null at row {row}",
            table.name()
        ),
        Some(v) => format!(
            "column `{column}` of `{}` has the value {v} at row {row}; the metrics need finite \
             numbers",
            table.name()
        ),
    }
}

/// A numeric column without nulls, NaN or infinities.
pub fn read_finite(table: &Table, column: &str) -> Result<Vec<f64>, String> {
    let mut out = Vec::with_capacity(table.row_count()?);
    table.for_each_f64(column, |row, v| match v {
        Some(v) if v.is_finite() => {
            out.push(v);
            Ok(())
        }
        _ => Err(not_finite(table, column, row, v)),
    })?;
    Ok(out)
}

/// Regression metrics of one model whose predictions stream past the target `y` (finite).
pub fn regression(y: &[f64], r2_denominator: f64, preds: &Table) -> Result<ModelMetrics, String> {
    let mut chunk = Chunk::default();
    let column = ["prediction".to_string()];
    let sums = try_pairwise_sums(y.len(), |i| {
        let p = chunk.row(preds, &column, i)?[0];
        match p {
            Some(p) if p.is_finite() => Ok(metrics::regression_terms(y[i], p)),
            _ => Err(not_finite(preds, "prediction", i, p)),
        }
    })?;
    Ok(evaluate::regression_from(y.len(), sums, r2_denominator))
}

/// Classification metrics of one model whose predicted labels and probabilities stream past
/// the target.
pub fn classification(
    task: &Task,
    target: &Labels,
    s: &ModelRef<'_>,
    preds: &Table,
) -> Result<ModelMetrics, String> {
    let mut counts = LabelCounts::with_labels(&target.values);
    for_each_label(preds, "prediction", &mut counts, |row, p, counts| {
        counts.add(target.codes[row], p);
    })?;
    let scores = match ProbaColumns::of(s, preds, &target.values, task)? {
        None => None,
        Some(columns) => {
            let positive = columns.positive_code(task, target);
            let binary = columns.positive_class.is_some();
            let mut reader = columns.reader(preds, target);
            let (mut positives, mut negatives) = (Vec::new(), Vec::new());
            let sums = try_pairwise_sums(target.codes.len(), |i| {
                let (p_true, p_positive) = reader.row(i)?;
                let is_positive = positive == Some(target.codes[i]);
                if let Some(p) = p_positive {
                    if is_positive {
                        positives.push(p);
                    } else {
                        negatives.push(p);
                    }
                }
                Ok::<_, String>(score_terms(is_positive, p_true, p_positive))
            })?;
            reader.finish();
            Some(ScoreSums {
                curve: binary
                    .then(|| metrics::clf_curve_split(positives, negatives))
                    .flatten(),
                sums,
            })
        }
    };
    evaluate::classification_from(task, &counts, s.name, scores)
}

/// The model's class probabilities reduced to what the metrics need, held per row, or `None`
/// if its predictions have no probability columns.
pub fn read_probabilities(
    s: &ModelRef<'_>,
    preds: &Table,
    target: &Labels,
    task: &Task,
) -> Result<Option<Probabilities>, String> {
    let Some(columns) = ProbaColumns::of(s, preds, &target.values, task)? else {
        return Ok(None);
    };
    let rows = target.codes.len();
    let binary = columns.positive_class.is_some();
    let mut out = Probabilities {
        p_true: Vec::with_capacity(rows),
        p_positive: binary.then(|| Vec::with_capacity(rows)),
    };
    let mut reader = columns.reader(preds, target);
    for i in 0..rows {
        let (p_true, p_positive) = reader.row(i)?;
        out.p_true.push(p_true);
        if let (Some(v), Some(p)) = (out.p_positive.as_mut(), p_positive) {
            v.push(p);
        }
    }
    reader.finish();
    Ok(Some(out))
}

/// A model's probability columns, checked against its classes and the target's labels.
struct ProbaColumns<'a> {
    model: &'a str,
    /// `proba_0 .. proba_{k-1}`, in class order.
    names: Vec<String>,
    /// The class (column) of the positive label (binary).
    positive_class: Option<usize>,
    /// The class (column) of each of the target's labels.
    class_of: Vec<usize>,
}

impl<'a> ProbaColumns<'a> {
    /// `None` if the predictions have no probability columns.
    fn of(
        s: &ModelRef<'a>,
        preds: &Table,
        target_labels: &[String],
        task: &Task,
    ) -> Result<Option<Self>, String> {
        let name = s.name;
        let columns = preds.column_names();
        let classes = s.model.classes();
        let wanted: Vec<String> = (0..classes.len()).map(|i| format!("proba_{i}")).collect();
        let present = wanted.iter().filter(|c| columns.contains(c)).count();
        let any_proba = columns.iter().any(|c| c.starts_with("proba_"));
        if present == 0 {
            if any_proba && classes.is_empty() {
                return Err(format!(
                    "the predictions of model `{name}` have probability columns, but the model \
                     declares no classes to map them to"
                ));
            }
            return Ok(None);
        }
        if present != classes.len() {
            return Err(format!(
                "the predictions of model `{name}` have {present} of the {} probability columns \
                 proba_0..proba_{} its classes need",
                classes.len(),
                classes.len() - 1
            ));
        }
        let positive_class = match task {
            Task::Binary { positive } => {
                if classes.len() != 2 {
                    return Err(format!(
                        "the task is binary, but model `{name}` has {} classes: {}",
                        classes.len(),
                        quote_list(&classes, 10)
                    ));
                }
                Some(classes.iter().position(|c| c == positive).ok_or_else(|| {
                    format!(
                        "positive_label `{positive}` is not one of model `{name}`'s classes: {}",
                        quote_list(&classes, 10)
                    )
                })?)
            }
            _ => None,
        };
        let class_of = target_labels
            .iter()
            .map(|v| {
                classes.iter().position(|c| c == v).ok_or_else(|| {
                    format!(
                        "the target holds the label `{v}`, which is not one of model `{name}`'s \
                         classes ({}): its probabilities cannot score it",
                        quote_list(&classes, 10)
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(ProbaColumns {
            model: name,
            names: wanted,
            positive_class,
            class_of,
        }))
    }

    /// The target's code of the positive label, if a row has it (binary).
    fn positive_code(&self, task: &Task, target: &Labels) -> Option<u32> {
        match task {
            Task::Binary { positive } => target
                .values
                .iter()
                .position(|v| v == positive)
                .map(|c| c as u32),
            _ => None,
        }
    }

    fn reader<'t>(self, preds: &'t Table, target: &'t Labels) -> ProbaReader<'a, 't> {
        ProbaReader {
            columns: self,
            preds,
            target,
            chunk: Chunk::default(),
            off_rows: 0,
            first_off: None,
        }
    }
}

/// Reads a model's probabilities row by row, a chunk of every column at a time.
struct ProbaReader<'a, 't> {
    columns: ProbaColumns<'a>,
    preds: &'t Table,
    target: &'t Labels,
    chunk: Chunk,
    /// Rows whose probabilities do not sum to 1, and the first of them with its sum.
    off_rows: usize,
    first_off: Option<(usize, f64)>,
}

impl ProbaReader<'_, '_> {
    /// Row `i`'s probability of its true class and (binary) of the positive class; rows must
    /// be asked for in order.
    fn row(&mut self, i: usize) -> Result<(f64, Option<f64>), String> {
        let c = &self.columns;
        let values = self.chunk.row(self.preds, &c.names, i)?;
        let mut sum = 0.0f64;
        for (column, v) in c.names.iter().zip(values) {
            let v = v.ok_or_else(|| {
                format!(
                    "column `{column}` of the predictions of model `{}` has a null at row {i}",
                    c.model
                )
            })?;
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "column `{column}` of the predictions of model `{}` has {v} at row {i}, not \
                     a probability in [0, 1]",
                    c.model
                ));
            }
            sum += v;
        }
        // scikit-learn warns (and goes on) when rows do not sum to 1: np.allclose(sum, 1,
        // rtol=sqrt(eps of the dtype)). Models output float32 probabilities (ONNX), so use
        // float32's epsilon, as scikit-learn does on a float32 array; float64 would flag every
        // rounded row.
        let tolerance = 1e-8 + f64::from(f32::EPSILON).sqrt();
        if (sum - 1.0).abs() > tolerance {
            self.off_rows += 1;
            self.first_off.get_or_insert((i, sum));
        }
        let class = c.class_of[self.target.codes[i] as usize];
        let value = |class: usize| values[class].expect("checked above");
        Ok((value(class), c.positive_class.map(value)))
    }

    /// Warns about the rows whose probabilities do not sum to 1.
    fn finish(self) {
        if let Some((first, sum)) = self.first_off {
            warn(format!(
                "the class probabilities of model `{}` do not sum to 1 on {} of {} rows (the \
                 first is row {first}, sum {sum})",
                self.columns.model,
                self.off_rows,
                self.target.codes.len()
            ));
        }
    }
}

/// One chunk of some numeric columns, read when a row past it is asked for.
#[derive(Default)]
struct Chunk {
    start: usize,
    columns: Vec<Vec<Option<f64>>>,
    row: Vec<Option<f64>>,
}

impl Chunk {
    /// Row `i` of `columns` of `table`; rows must be asked for in order.
    fn row(
        &mut self,
        table: &Table,
        columns: &[String],
        i: usize,
    ) -> Result<&[Option<f64>], String> {
        let len = self.columns.first().map_or(0, Vec::len);
        if self.columns.is_empty() || i >= self.start + len {
            let rows = table.row_count()?;
            let len = (rows - i).min(CHUNK_ROWS as usize);
            self.start = i;
            self.columns = columns
                .iter()
                .map(|column| {
                    let chunk = table.read_f64(column, i as u64, len as u32).map_err(|e| {
                        format!(
                            "reading column `{column}` of `{}`: {}",
                            table.name(),
                            e.message
                        )
                    })?;
                    decode_f64_chunk(&chunk, len).map_err(|e| {
                        format!("reading column `{column}` of `{}`: {e}", table.name())
                    })
                })
                .collect::<Result<_, String>>()?;
        }
        let j = i - self.start;
        self.row.clear();
        self.row.extend(self.columns.iter().map(|c| c[j]));
        Ok(&self.row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Integer labels get the codes their text gets, in order of first appearance, past the
    /// scanned few ([`FirstSeen`]) and into the hashed many.
    #[test]
    fn integer_labels_are_coded_as_their_text() {
        let values: Vec<i64> = (0..200)
            .map(|i: i64| (i * 7919 % 41) - 20)
            .chain([i64::MIN, i64::MAX, 0, -20])
            .collect();
        let (mut by_int, mut by_text) = (LabelCounts::default(), LabelCounts::default());
        let mut seen = IntegerCodes::default();
        for &v in &values {
            assert_eq!(
                seen.code(v, &mut by_int),
                by_text.code(&v.to_string()),
                "{v}"
            );
        }
        assert_eq!(seen.seen.keys().len(), 43, "41 values and the two extremes");
        assert_eq!(by_int.into_labels(), by_text.into_labels());
    }
}
