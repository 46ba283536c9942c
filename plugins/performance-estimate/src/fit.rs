//! What CBPE learns from the labelled reference — the calibrators, the sampling-error
//! components and the realized metrics — apart from what it computes on the data it estimates
//! on, so that the first can be kept in the host's memo: `monitor` estimates every window
//! against the same reference, and learning it (reading the reference's probabilities into the
//! sandbox, sorting them for the isotonic fit and the AUC) is most of the check's time.
//!
//! A [`Fit`] kept in the memo gives the same numbers as one learnt again: it holds the fitted
//! points and components themselves, encoded bit for bit (little-endian `f64`s), not a summary.

use crate::cbpe::{self, Component, Isotonic, MulticlassErrors};
use crate::{Calibration, Estimates, Scored};

/// The sampling-error components learnt from the reference.
#[derive(Debug, Clone, PartialEq)]
enum Errors {
    /// For the class at index `positive`.
    Binary {
        positive: usize,
        components: [Option<Component>; 5],
    },
    Multiclass(MulticlassErrors),
}

/// What CBPE learnt from the reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Rows of the reference.
    pub reference_rows: usize,
    /// Binary: the positive class's calibrator; multiclass: one per class. `None` without
    /// calibration.
    calibrators: Vec<Option<Isotonic>>,
    errors: Errors,
    /// The realized metrics on the reference, in the order of [`cbpe::METRICS`].
    pub reference_realized: [Option<f64>; 5],
}

fn one_hot(labels: &[usize], k: usize) -> Vec<Vec<f64>> {
    (0..k)
        .map(|c| {
            labels
                .iter()
                .map(|&y| f64::from(u8::from(y == c)))
                .collect()
        })
        .collect()
}

fn is(v: &[usize], positive: usize) -> Vec<bool> {
    v.iter().map(|&c| c == positive).collect()
}

fn as_f64(v: &[bool]) -> Vec<f64> {
    v.iter().map(|&t| f64::from(u8::from(t))).collect()
}

fn calibrator(
    calibration: Calibration,
    scores: &[f64],
    labels: &[f64],
) -> Result<Option<Isotonic>, String> {
    match calibration {
        Calibration::Isotonic => Isotonic::fit(scores, labels).map(Some),
        Calibration::None => Ok(None),
    }
}

fn calibrated(calibrator: &Option<Isotonic>, scores: &[f64]) -> Vec<f64> {
    match calibrator {
        Some(iso) => scores.iter().map(|&s| iso.predict(s)).collect(),
        None => scores.to_vec(),
    }
}

impl Fit {
    /// Learns from the labelled reference: binary for the class at index `positive`, else
    /// multiclass (one-vs-rest calibrators).
    pub fn learn(
        calibration: Calibration,
        reference: &Scored,
        positive: Option<usize>,
    ) -> Result<Fit, String> {
        let labels = reference.labels.as_ref().expect("required");
        Ok(match positive {
            Some(positive) => {
                let y = is(labels, positive);
                let y_f64 = as_f64(&y);
                let score = &reference.scores[positive];
                let predicted = is(&reference.predicted, positive);
                Fit {
                    reference_rows: labels.len(),
                    calibrators: vec![calibrator(calibration, score, &y_f64)?],
                    errors: Errors::Binary {
                        positive,
                        components: cbpe::standard_errors(&y, &predicted, score),
                    },
                    reference_realized: cbpe::metrics(score, &y_f64, &predicted),
                }
            }
            None => {
                let k = reference.scores.len();
                let y = one_hot(labels, k);
                let calibrators = reference
                    .scores
                    .iter()
                    .zip(&y)
                    .map(|(scores, y)| calibrator(calibration, scores, y))
                    .collect::<Result<_, _>>()?;
                Fit {
                    reference_rows: labels.len(),
                    calibrators,
                    errors: Errors::Multiclass(MulticlassErrors::new(
                        labels,
                        &reference.predicted,
                        &reference.scores,
                    )),
                    reference_realized: cbpe::multiclass_metrics(
                        &reference.scores,
                        &y,
                        &reference.predicted,
                    ),
                }
            }
        })
    }

    /// The estimates on `data` (and the realized metrics where it has labels).
    pub fn estimate(&self, data: &Scored) -> Estimates {
        let calibrator_points = self
            .calibrators
            .iter()
            .flatten()
            .map(|iso| iso.points().0.len())
            .collect();
        match &self.errors {
            Errors::Binary {
                positive,
                components,
            } => {
                let positive = *positive;
                let score = &data.scores[positive];
                let predicted = is(&data.predicted, positive);
                let p = calibrated(&self.calibrators[0], score);
                let n = score.len();
                Estimates {
                    estimated: cbpe::metrics(score, &p, &predicted),
                    standard_errors: components.map(|c| c.map(|c| c.standard_error(n))),
                    realized: data
                        .labels
                        .as_ref()
                        .map(|y| cbpe::metrics(score, &as_f64(&is(y, positive)), &predicted)),
                    reference_realized: self.reference_realized,
                    calibrator_points,
                }
            }
            Errors::Multiclass(errors) => {
                let k = data.scores.len();
                let mut p: Vec<Vec<f64>> = self
                    .calibrators
                    .iter()
                    .zip(&data.scores)
                    .map(|(c, scores)| calibrated(c, scores))
                    .collect();
                if self.calibrators.iter().all(Option::is_some) {
                    cbpe::renormalise(&mut p);
                }
                Estimates {
                    estimated: cbpe::multiclass_metrics(&data.scores, &p, &data.predicted),
                    standard_errors: errors.standard_errors(data.predicted.len()),
                    realized: data.labels.as_ref().map(|y| {
                        cbpe::multiclass_metrics(&data.scores, &one_hot(y, k), &data.predicted)
                    }),
                    reference_realized: self.reference_realized,
                    calibrator_points,
                }
            }
        }
    }

    /// The fit as bytes for the memo (see [`Fit::decode`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer(MAGIC.to_vec());
        w.u64(self.reference_rows as u64);
        w.u64(self.calibrators.len() as u64);
        for c in &self.calibrators {
            w.option(c.as_ref(), |w, iso| {
                let (x, y) = iso.points();
                w.f64s(x);
                w.f64s(y);
            });
        }
        let components = |w: &mut Writer, cs: &[Option<Component>; 5]| {
            for c in cs {
                w.option(c.as_ref(), |w, c| {
                    w.f64(c.std);
                    w.f64(c.fraction);
                });
            }
        };
        match &self.errors {
            Errors::Binary {
                positive,
                components: cs,
            } => {
                w.u64(0);
                w.u64(*positive as u64);
                components(&mut w, cs);
            }
            Errors::Multiclass(m) => {
                w.u64(1);
                w.option(m.accuracy.as_ref(), |w, c| {
                    w.f64(c.std);
                    w.f64(c.fraction);
                });
                w.u64(m.per_class.len() as u64);
                for cs in &m.per_class {
                    components(&mut w, cs);
                }
            }
        }
        for v in self.reference_realized {
            w.option(v, Writer::f64);
        }
        w.0
    }

    /// A fit from [`Fit::encode`]'s bytes; `None` if they are not one (learn it again).
    pub fn decode(bytes: &[u8]) -> Option<Fit> {
        let mut r = Reader(bytes.strip_prefix(MAGIC)?);
        let reference_rows = r.u64()? as usize;
        let calibrators = (0..r.len()?)
            .map(|_| {
                r.option(|r| {
                    let x = r.f64s()?;
                    let y = r.f64s()?;
                    Isotonic::from_points(x, y)
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let component = |r: &mut Reader| {
            r.option(|r| {
                Some(Component {
                    std: r.f64()?,
                    fraction: r.f64()?,
                })
            })
        };
        let components = |r: &mut Reader| -> Option<[Option<Component>; 5]> {
            Some([
                component(r)?,
                component(r)?,
                component(r)?,
                component(r)?,
                component(r)?,
            ])
        };
        let errors = match r.u64()? {
            0 => Errors::Binary {
                positive: r.u64()? as usize,
                components: components(&mut r)?,
            },
            1 => {
                let accuracy = component(&mut r)?;
                let per_class = (0..r.len()?)
                    .map(|_| components(&mut r))
                    .collect::<Option<_>>()?;
                Errors::Multiclass(MulticlassErrors {
                    accuracy,
                    per_class,
                })
            }
            _ => return None,
        };
        let mut reference_realized = [None; 5];
        for v in &mut reference_realized {
            *v = r.option(Reader::f64)?;
        }
        let consistent = match &errors {
            Errors::Binary { .. } => calibrators.len() == 1,
            Errors::Multiclass(m) => calibrators.len() == m.per_class.len(),
        };
        (consistent && r.0.is_empty()).then_some(Fit {
            reference_rows,
            calibrators,
            errors,
            reference_realized,
        })
    }
}

/// The format's name and version: a fit in another format is learnt again.
const MAGIC: &[u8] = b"modelgate-cbpe-fit/1\n";

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f64s(&mut self, v: &[f64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|&x| self.f64(x));
    }
    fn option<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            Some(v) => {
                self.0.push(1);
                f(self, v);
            }
            None => self.0.push(0),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u64(&mut self) -> Option<u64> {
        self.bytes().map(u64::from_le_bytes)
    }
    fn f64(&mut self) -> Option<f64> {
        self.bytes().map(f64::from_le_bytes)
    }
    /// A count of items that each take at least one byte: never more than the bytes left.
    fn len(&mut self) -> Option<usize> {
        let n = self.u64()? as usize;
        (n <= self.0.len()).then_some(n)
    }
    fn f64s(&mut self) -> Option<Vec<f64>> {
        let n = self.len()?;
        (0..n).map(|_| self.f64()).collect()
    }
    fn option<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.bytes::<1>()?[0] {
            0 => Some(None),
            1 => f(self).map(Some),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(labels: Vec<usize>, scores: Vec<Vec<f64>>) -> Scored {
        let predicted = (0..labels.len())
            .map(|i| {
                (0..scores.len())
                    .max_by(|&a, &b| scores[a][i].total_cmp(&scores[b][i]))
                    .unwrap()
            })
            .collect();
        Scored {
            scores,
            predicted,
            labels: Some(labels),
        }
    }

    /// A reference with ties, a class-2 minority and scores at 0 and 1.
    fn reference(k: usize) -> Scored {
        let n = 300;
        let labels: Vec<usize> = (0..n).map(|i| (i * 7 + i / 13) % k).collect();
        let mut scores = vec![vec![0.0; n]; k];
        for i in 0..n {
            let raw: Vec<f64> = (0..k)
                .map(|c| ((i * (c + 3)) % 17) as f64 + if c == labels[i] { 6.0 } else { 0.0 })
                .collect();
            let total: f64 = raw.iter().sum();
            for c in 0..k {
                scores[c][i] = if total > 0.0 { raw[c] / total } else { 0.0 };
            }
        }
        scored(labels, scores)
    }

    #[test]
    fn a_fit_read_back_from_its_bytes_estimates_bit_for_bit_the_same() {
        for (k, positive) in [(2, Some(1)), (2, Some(0)), (3, None)] {
            for calibration in [Calibration::Isotonic, Calibration::None] {
                let fit = Fit::learn(calibration, &reference(k), positive).unwrap();
                let again = Fit::decode(&fit.encode()).expect("decodes");
                assert_eq!(again, fit);
                let mut data = reference(k);
                data.scores.iter_mut().for_each(|s| s.truncate(150));
                data.predicted.truncate(150);
                data.labels = None;
                let (a, b) = (fit.estimate(&data), again.estimate(&data));
                let bits = |v: [Option<f64>; 5]| v.map(|x| x.map(f64::to_bits));
                assert_eq!(bits(a.estimated), bits(b.estimated));
                assert_eq!(bits(a.standard_errors), bits(b.standard_errors));
                assert_eq!(a.calibrator_points, b.calibrator_points);
            }
        }
    }

    #[test]
    fn bytes_that_are_not_a_fit_are_refused() {
        let bytes = Fit::learn(Calibration::Isotonic, &reference(3), None)
            .unwrap()
            .encode();
        assert!(
            Fit::decode(&bytes[..bytes.len() - 1]).is_none(),
            "cut short"
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Fit::decode(&longer).is_none(), "trailing bytes");
        assert!(
            Fit::decode(b"modelgate-cbpe-fit/0\n").is_none(),
            "another version"
        );
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&7u64.to_le_bytes());
        huge.push(0);
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(Fit::decode(&huge).is_none(), "a count past the end");
    }
}
