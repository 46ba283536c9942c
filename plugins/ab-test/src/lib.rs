//! The built-in `ab-test` check of modelgate: a staging A/B experiment decides promotion, with
//! the statistics of GrowthBook's frequentist engine (Eppo and Spotify's Confidence compute the
//! same ones).
//!
//! ```toml
//! [datasets]
//! experiment = "staging/units.parquet"   # one row per randomisation unit
//!
//! [[checks]]
//! id = "staging-ab"
//! plugin = "ab-test"
//! [checks.config]
//! dataset = "experiment"        # default: experiment
//! arm = "arm"                   # default: arm
//! control = "champion"
//! treatment = "candidate"
//! alpha = 0.05                  # success metrics at alpha / their count (Bonferroni)
//! expected_split = { champion = 0.5, candidate = 0.5 }   # default: equal
//! srm_alpha = 0.001
//! method = "fixed"              # or "sequential" (sequential_tuning = 5000)
//! nulls = "error"               # or "drop"
//! [checks.config.metrics.conversion]
//! column = "converted"
//! goal = "increase"
//! role = "success"
//! min_lift = 0.0
//! [checks.config.metrics.revenue_per_session]
//! numerator = "revenue"
//! denominator = "sessions"
//! goal = "increase"
//! role = "guardrail"
//! margin = 0.02
//! [checks.config.metrics.latency_ms]
//! column = "latency_ms"
//! covariate = "pre_latency_ms"  # CUPED
//! goal = "decrease"
//! role = "guardrail"
//! margin = 0.05
//! ```
//!
//! Per metric and arm the host computes the moments of the metric's columns
//! (`table.grouped-moments`: no rows enter the sandbox); [`stats`] turns them into Welch's
//! t-test of the difference of the arms, the relative lift with its delta-method interval, and,
//! with `method = "sequential"`, always-valid confidence sequences. Decision: a success metric
//! passes when its lift interval lies beyond `min_lift` in the goal's direction; a guardrail
//! passes when its lift interval excludes a change worse than `margin`; the check fails if a
//! guardrail fails or no success metric passes (with no success metric, the guardrails alone
//! decide). A sample ratio mismatch (chi-square p below `srm_alpha`) makes the check error:
//! the experiment is broken, and no verdict is drawn from it.
//!
//! Reported per metric (`column` = the metric's name): `control_mean`, `treatment_mean`,
//! `control_n`, `treatment_n`, `absolute_delta`, `delta_ci_lower`, `delta_ci_upper`,
//! `p_value`, `relative_lift`, `lift_ci_lower`, `lift_ci_upper` (the end of the interval that
//! decided carries the bound: `above` / `below` for success metrics, `min` / `max` for
//! guardrails); and `srm_p_value`.

pub mod config;
#[cfg(test)]
mod reference_tests;
pub mod stats;

use modelgate_sdk::details::{ArmSize, ArmSizes, LiftInterval};
use modelgate_sdk::{
    export_validator, info, About, Check, CheckResult, Context, GroupMoments, Metric, Needs, Table,
};

use config::{Config, Goal, Kind, MethodName, MetricConfig, Nulls, Role};
use stats::{Comparison, Method, Moments};

/// The check.
pub struct AbTest;

impl Check for AbTest {
    type Config = Config;

    fn about() -> About {
        About {
            name: "ab-test".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Decides from a staging A/B experiment's per-unit table: per metric \
                          (means, ratios of means, CUPED-adjusted means) Welch's t-test and the \
                          relative lift with its delta-method interval (fixed horizon, or \
                          always-valid confidence sequences); success metrics must improve \
                          significantly (Bonferroni), guardrails must not get worse than their \
                          margin; a sample ratio mismatch makes the check error."
                .to_string(),
            needs: Needs {
                datasets: vec!["experiment".to_string()],
                models: false,
                labels: false,
            },
        }
    }

    fn check(ctx: &Context, config: Config) -> Result<CheckResult, String> {
        run(ctx, &config)
    }
}

export_validator!(AbTest);

/// One metric's moments in the control and treatment arms.
struct ArmPair {
    control: Moments,
    treatment: Moments,
}

/// What the check decided about one metric.
struct Decided {
    name: String,
    role: Role,
    comparison: Comparison,
    /// `(metric name of the decisive interval end, bound kind, bound)`.
    bound: (&'static str, &'static str, f64),
    passed: bool,
}

fn run(ctx: &Context, config: &Config) -> Result<CheckResult, String> {
    let ([control, treatment], shares) = config.arms()?;
    let table = ctx
        .dataset(&config.dataset)
        .map_err(|e| format!("config.dataset: {e}"))?;
    let schema = table.schema();
    let column_type = |key: &str, name: &str| {
        schema
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.column_type, c.dtype.clone()))
            .ok_or_else(|| {
                format!(
                    "{key}: no column `{name}` in dataset `{}`; columns: {}",
                    config.dataset,
                    schema
                        .iter()
                        .map(|c| format!("`{}`", c.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    };
    column_type("config.arm", &config.arm)?;
    let mut kinds = Vec::new();
    for (name, metric) in &config.metrics {
        let kind = metric.kind(name)?;
        for (key, column) in kind.columns() {
            let key = format!("config.metrics.{name}.{key}");
            let (ty, dtype) = column_type(&key, column)?;
            use modelgate_sdk::ColumnType as T;
            if !matches!(ty, T::Integer | T::Float | T::Boolean) {
                return Err(format!(
                    "{key}: column `{column}` of dataset `{}` is {dtype}, not numeric",
                    config.dataset
                ));
            }
        }
        kinds.push((name.as_str(), metric, kind));
    }

    let mut units: Option<[u64; 2]> = None;
    let mut pairs = Vec::new();
    for (name, metric, kind) in &kinds {
        let groups = moments(table, config, &control, &treatment, kind)?;
        let arm_units = [groups.0.rows, groups.1.rows];
        if units.is_none() {
            units = Some(arm_units);
            check_srm(config, &control, &treatment, arm_units, shares)?;
        }
        pairs.push((
            *name,
            *metric,
            kind,
            pair(config, name, kind, &groups, [&control, &treatment])?,
        ));
    }
    let units = units.expect("at least one metric (the schema requires it)");
    let (_, srm_p) = stats::srm(&units, &shares);

    let successes = kinds
        .iter()
        .filter(|(_, m, _)| m.role == Role::Success)
        .count();
    let method = match config.method {
        MethodName::Fixed => Method::Fixed,
        MethodName::Sequential => Method::Sequential {
            tuning: config.sequential_tuning,
        },
    };
    let mut decided = Vec::new();
    for (name, metric, kind, arms) in &pairs {
        let alpha = match metric.role {
            Role::Success => config.alpha / successes as f64,
            Role::Guardrail => config.alpha,
        };
        let (c, t) = match kind {
            Kind::Mean(_) => (
                stats::mean_metric(&arms.control),
                stats::mean_metric(&arms.treatment),
            ),
            Kind::Ratio(..) => (
                stats::ratio_metric(&arms.control),
                stats::ratio_metric(&arms.treatment),
            ),
            Kind::Cuped(..) => {
                let (c, t, theta) = stats::cuped(&arms.control, &arms.treatment)
                    .map_err(|e| format!("config.metrics.{name}.covariate: {e}"))?;
                let raw =
                    stats::mean_metric(&arms.control).var + stats::mean_metric(&arms.treatment).var;
                info(format!(
                    "{name}: CUPED θ = {theta:.6}, variance of the difference reduced by {:.1}%",
                    100.0 * (1.0 - (c.var + t.var) / raw)
                ));
                (c, t)
            }
        };
        let comparison = stats::compare(c, t, alpha, method).map_err(|e| {
            format!("config.metrics.{name}: metric `{name}` cannot be compared: {e}")
        })?;
        decided.push(decide(name, metric, comparison));
    }
    Ok(result(
        config, &control, &treatment, units, shares, srm_p, decided,
    ))
}

/// The moments of a metric's columns in the control and treatment groups, after checking the
/// arm column's values (no nulls, no third arm).
fn moments(
    table: &Table,
    config: &Config,
    control: &str,
    treatment: &str,
    kind: &Kind,
) -> Result<(GroupMoments, GroupMoments), String> {
    let columns: Vec<String> = kind.columns().iter().map(|(_, c)| c.to_string()).collect();
    let groups = table.grouped_moments(&config.arm, &columns).map_err(|e| {
        format!(
            "config.arm: grouping dataset `{}` by `{}`: {}",
            config.dataset, config.arm, e.message
        )
    })?;
    let mut c = None;
    let mut t = None;
    for g in groups {
        match g.key.as_deref() {
            None => {
                return Err(format!(
                    "config.arm: column `{}` is null in {} row(s); every unit needs an arm",
                    config.arm, g.rows
                ))
            }
            Some(k) if k == control => c = Some(g),
            Some(k) if k == treatment => t = Some(g),
            Some(k) => {
                return Err(format!(
                    "config.arm: column `{}` holds a third arm `{k}` in {} row(s), besides control `{control}` and treatment `{treatment}`",
                    config.arm, g.rows
                ))
            }
        }
    }
    let absent = |arm: &str, key: &str| {
        format!(
            "config.{key}: no unit has arm `{arm}` in column `{}` of dataset `{}`; a comparison needs at least 2 units per arm",
            config.arm, config.dataset
        )
    };
    Ok((
        c.ok_or_else(|| absent(control, "control"))?,
        t.ok_or_else(|| absent(treatment, "treatment"))?,
    ))
}

/// Errors when the arm counts do not fit the expected split (sample ratio mismatch).
fn check_srm(
    config: &Config,
    control: &str,
    treatment: &str,
    units: [u64; 2],
    shares: [f64; 2],
) -> Result<(), String> {
    let (stat, p) = stats::srm(&units, &shares);
    if p < config.srm_alpha {
        return Err(format!(
            "sample ratio mismatch: {} units in control `{control}` and {} in treatment `{treatment}` \
             against an expected split of {:.4} / {:.4} (chi-square {stat:.3}, p = {p:.3e} < srm_alpha {}); \
             the assignment or the logging of the experiment is broken, so its results cannot be trusted",
            units[0], units[1], shares[0], shares[1], config.srm_alpha
        ));
    }
    Ok(())
}

/// Checks nulls, non-finite values and sample sizes; returns the two arms' moments.
fn pair(
    config: &Config,
    name: &str,
    kind: &Kind,
    groups: &(GroupMoments, GroupMoments),
    arms: [&str; 2],
) -> Result<ArmPair, String> {
    let columns = kind.columns();
    let both = [&groups.0, &groups.1];
    for (j, (key, column)) in columns.iter().enumerate() {
        let key = format!("config.metrics.{name}.{key}");
        let non_finite: Vec<u64> = both.iter().map(|g| g.non_finite[j]).collect();
        if non_finite.iter().sum::<u64>() > 0 {
            return Err(format!(
                "{key}: column `{column}` holds {} NaN or infinite value(s) ({} in `{}`, {} in `{}`)",
                non_finite[0] + non_finite[1],
                non_finite[0],
                arms[0],
                non_finite[1],
                arms[1]
            ));
        }
        let nulls: Vec<u64> = both.iter().map(|g| g.nulls[j]).collect();
        let total = nulls[0] + nulls[1];
        if total > 0 {
            match config.nulls {
                Nulls::Error => {
                    return Err(format!(
                        "{key}: column `{column}` has {total} null value(s) ({} in `{}`, {} in `{}`); \
                         set nulls = \"drop\" to leave those units out of the metric",
                        nulls[0], arms[0], nulls[1], arms[1]
                    ))
                }
                Nulls::Drop => info(format!(
                    "{name}: {total} unit(s) with a null `{column}` left out ({} in `{}`, {} in `{}`)",
                    nulls[0], arms[0], nulls[1], arms[1]
                )),
            }
        }
    }
    for (g, arm) in both.iter().zip(arms) {
        if g.n < 2 {
            return Err(format!(
                "config.metrics.{name}: arm `{arm}` has {} unit(s) with a value of {}; a comparison needs at least 2 per arm",
                g.n,
                columns.iter().map(|(_, c)| format!("`{c}`")).collect::<Vec<_>>().join(" and ")
            ));
        }
    }
    if let Kind::Ratio(_, denominator) = kind {
        for (g, arm) in both.iter().zip(arms) {
            if g.means[1] == 0.0 {
                return Err(format!(
                    "config.metrics.{name}.denominator: column `{denominator}` sums to 0 in arm `{arm}`, so the ratio is undefined"
                ));
            }
        }
    }
    let moments = |g: &GroupMoments| Moments {
        n: g.n,
        means: g.means.clone(),
        comoments: g.comoments.clone(),
    };
    Ok(ArmPair {
        control: moments(&groups.0),
        treatment: moments(&groups.1),
    })
}

/// Applies the decision rule of the metric's role to its lift interval.
fn decide(name: &str, metric: &MetricConfig, comparison: Comparison) -> Decided {
    let (lo, hi) = comparison.lift_ci;
    let (bound, passed) = match (metric.role, metric.goal) {
        (Role::Success, Goal::Increase) => {
            let b = metric.min_lift.unwrap_or(0.0);
            (("lift_ci_lower", "above", b), lo > b)
        }
        (Role::Success, Goal::Decrease) => {
            let b = -metric.min_lift.unwrap_or(0.0);
            (("lift_ci_upper", "below", b), hi < b)
        }
        (Role::Guardrail, Goal::Increase) => {
            let b = -metric.margin.unwrap_or(0.0);
            (("lift_ci_lower", "min", b), lo >= b)
        }
        (Role::Guardrail, Goal::Decrease) => {
            let b = metric.margin.unwrap_or(0.0);
            (("lift_ci_upper", "max", b), hi <= b)
        }
    };
    Decided {
        name: name.to_string(),
        role: metric.role,
        comparison,
        bound,
        passed,
    }
}

/// `+3.1%`.
fn pct(v: f64) -> String {
    format!("{:+.2}%", 100.0 * v)
}

/// How an interval misses its bound, in words.
fn miss(kind: &str, bound: f64) -> String {
    match kind {
        "above" => format!("lower end not above {}", pct(bound)),
        "below" => format!("upper end not below {}", pct(bound)),
        "min" => format!("lower end below the margin {}", pct(bound)),
        _ => format!("upper end above the margin {}", pct(bound)),
    }
}

fn result(
    config: &Config,
    control: &str,
    treatment: &str,
    units: [u64; 2],
    shares: [f64; 2],
    srm_p: f64,
    decided: Vec<Decided>,
) -> CheckResult {
    let mut metrics = vec![Metric::new("srm_p_value", srm_p)];
    let mut lifts = Vec::new();
    let mut failures = Vec::new();
    let mut wins = Vec::new();
    let mut any_success = false;
    for d in &decided {
        let c = &d.comparison;
        let m = |metric: &str, v: f64| Metric::new(metric, v).column(&d.name);
        let (bound_metric, kind, bound) = d.bound;
        let lift_end = |metric: &str, v: f64| {
            let m = m(metric, v);
            if metric == bound_metric {
                m.threshold(kind, bound).passed(d.passed)
            } else {
                m
            }
        };
        metrics.extend([
            m("control_mean", c.control.mean),
            m("treatment_mean", c.treatment.mean),
            m("control_n", c.control.n as f64),
            m("treatment_n", c.treatment.n as f64),
            m("absolute_delta", c.delta),
            m("delta_ci_lower", c.delta_ci.0),
            m("delta_ci_upper", c.delta_ci.1),
            m("p_value", c.p_value),
            m("relative_lift", c.lift),
            lift_end("lift_ci_lower", c.lift_ci.0),
            lift_end("lift_ci_upper", c.lift_ci.1),
        ]);
        let role = match d.role {
            Role::Success => "success",
            Role::Guardrail => "guardrail",
        };
        lifts.push(LiftInterval {
            metric: d.name.clone(),
            role: role.to_string(),
            lift: c.lift,
            lower: c.lift_ci.0,
            upper: c.lift_ci.1,
            bound_kind: kind.to_string(),
            bound,
            passed: d.passed,
        });
        let interval = format!(
            "{} {} [{}, {}]",
            d.name,
            pct(c.lift),
            pct(c.lift_ci.0),
            pct(c.lift_ci.1)
        );
        match (d.role, d.passed) {
            (Role::Success, true) => {
                any_success = true;
                wins.push(interval);
            }
            (Role::Success, false) => {}
            (Role::Guardrail, true) => {}
            (Role::Guardrail, false) => {
                failures.push(format!("guardrail {interval}: {}", miss(kind, bound)))
            }
        }
    }
    let successes: Vec<&Decided> = decided.iter().filter(|d| d.role == Role::Success).collect();
    if !successes.is_empty() && !any_success {
        let list: Vec<String> = successes
            .iter()
            .map(|d| {
                format!(
                    "{} {} [{}, {}]: {}",
                    d.name,
                    pct(d.comparison.lift),
                    pct(d.comparison.lift_ci.0),
                    pct(d.comparison.lift_ci.1),
                    miss(d.bound.1, d.bound.2)
                )
            })
            .collect();
        failures.insert(
            0,
            format!(
                "no success metric improved significantly: {}",
                list.join("; ")
            ),
        );
    }
    let method = match config.method {
        MethodName::Fixed => "fixed",
        MethodName::Sequential => "sequential",
    };
    let summary = if failures.is_empty() {
        let guardrails = decided.iter().filter(|d| d.role == Role::Guardrail).count();
        let wins = if wins.is_empty() {
            "no success metric".to_string()
        } else {
            wins.join(", ")
        };
        format!(
            "{treatment} vs {control} on {} + {} units ({method}): {wins}; {guardrails} guardrail(s) hold",
            units[0], units[1]
        )
    } else {
        failures.join("; ")
    };
    let details = serde_json::json!({
        "lifts": lifts.iter().map(|l| serde_json::to_value(l).expect("serializable")).collect::<Vec<_>>(),
        "arms": serde_json::to_value(ArmSizes {
            arms: vec![
                ArmSize { arm: control.to_string(), role: "control".into(), units: units[0], expected_share: shares[0] },
                ArmSize { arm: treatment.to_string(), role: "treatment".into(), units: units[1], expected_share: shares[1] },
            ],
            srm_p_value: srm_p,
            srm_alpha: config.srm_alpha,
        }).expect("serializable"),
        "method": method,
        "alpha": config.alpha,
        "sequential_tuning": (config.method == MethodName::Sequential).then_some(config.sequential_tuning),
    });
    CheckResult::from_metrics(summary, metrics).details(details.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use modelgate_sdk::Validator;

    #[test]
    fn schema_and_config() {
        let schema: serde_json::Value =
            serde_json::from_str(&AbTest::info().config_schema).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        assert!(schema["required"]
            .as_array()
            .unwrap()
            .contains(&"metrics".into()));
        let c: Config = modelgate_sdk::config(
            r#"{"control": 0, "treatment": "b", "metrics": {"m": {"column": "x", "goal": "increase", "role": "success"}}}"#,
        )
        .unwrap();
        assert_eq!(
            c.arms().unwrap(),
            (["0".to_string(), "b".to_string()], [0.5, 0.5])
        );
        assert_eq!(c.dataset, "experiment");
        let bad = |json: &str| {
            let c: Config = modelgate_sdk::config(json).unwrap();
            let e = c.arms().err();
            e.or_else(|| c.metrics.iter().find_map(|(n, m)| m.kind(n).err()))
                .unwrap()
        };
        let e = bad(
            r#"{"control": "a", "treatment": "b", "expected_split": {"a": 1, "c": 1}, "metrics": {}}"#,
        );
        assert!(e.contains("config.expected_split: `c`"), "{e}");
        let e = bad(
            r#"{"control": "a", "treatment": "b", "metrics": {"m": {"column": "x", "goal": "increase", "role": "guardrail"}}}"#,
        );
        assert!(
            e.contains("config.metrics.m.margin: a guardrail needs a margin"),
            "{e}"
        );
        let e = bad(
            r#"{"control": "a", "treatment": "b", "metrics": {"m": {"numerator": "x", "goal": "increase", "role": "success"}}}"#,
        );
        assert!(
            e.contains("needs both `numerator` and `denominator`"),
            "{e}"
        );
        let e = bad(r#"{"control": "a", "treatment": "a", "metrics": {}}"#);
        assert!(e.contains("config.treatment"), "{e}");
        let c: Config = modelgate_sdk::config(
            r#"{"control": "a", "treatment": "b", "expected_split": {"a": 3, "b": 1}, "metrics": {}}"#,
        )
        .unwrap();
        assert_eq!(c.arms().unwrap().1, [0.75, 0.25]);
    }

    #[test]
    fn decisions_follow_the_goal_and_role() {
        let cmp = |lo: f64, hi: f64| Comparison {
            control: stats::ArmEstimate {
                n: 10,
                mean: 1.0,
                var: 0.1,
            },
            treatment: stats::ArmEstimate {
                n: 10,
                mean: 1.0,
                var: 0.1,
            },
            delta: 0.0,
            se: 0.1,
            df: 18.0,
            p_value: 0.5,
            delta_ci: (lo, hi),
            lift: (lo + hi) / 2.0,
            lift_se: 0.1,
            lift_ci: (lo, hi),
        };
        let metric = |goal, role, min_lift, margin| MetricConfig {
            column: Some("x".into()),
            covariate: None,
            numerator: None,
            denominator: None,
            goal,
            role,
            min_lift,
            margin,
        };
        let inc_success = metric(Goal::Increase, Role::Success, Some(0.01), None);
        assert!(decide("m", &inc_success, cmp(0.011, 0.05)).passed);
        assert!(
            !decide("m", &inc_success, cmp(0.01, 0.05)).passed,
            "strictly beyond"
        );
        let dec_success = metric(Goal::Decrease, Role::Success, None, None);
        assert!(decide("m", &dec_success, cmp(-0.05, -0.001)).passed);
        assert!(!decide("m", &dec_success, cmp(-0.05, 0.001)).passed);
        let inc_guard = metric(Goal::Increase, Role::Guardrail, None, Some(0.02));
        assert!(decide("m", &inc_guard, cmp(-0.02, 0.01)).passed);
        assert!(!decide("m", &inc_guard, cmp(-0.021, 0.01)).passed);
        let dec_guard = metric(Goal::Decrease, Role::Guardrail, None, Some(0.05));
        let d = decide("m", &dec_guard, cmp(-0.01, 0.049));
        assert!(d.passed);
        assert_eq!(d.bound, ("lift_ci_upper", "max", 0.05));
        assert!(!decide("m", &dec_guard, cmp(-0.01, 0.051)).passed);
    }
}
