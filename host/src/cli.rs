//! Command-line interface (contract: `check`, `demo`, `plugin inspect`; exit 0 promote, 1 reject,
//! 2 error).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand};

use crate::gate::{self, GateOptions};
use crate::policy::Policy;
use crate::progress::Progress;
use crate::report::{self, terminal};
use crate::runtime::{self, Limits, Runtime};
use crate::verdict::Verdict;

/// What `modelgate --version` prints after the name: the version and the git commit built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MODELGATE_GIT_COMMIT"),
    ")"
);

/// modelgate: may this model be promoted? Reads a gate policy, runs sandboxed validator plugins on
/// the candidate model and its data, and answers promote (exit 0), reject (1) or error (2).
#[derive(Debug, Parser)]
#[command(name = "modelgate", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a gate policy and print the verdict.
    Check {
        /// The gate policy (TOML).
        policy: PathBuf,
        /// Report options.
        #[command(flatten)]
        run: RunArgs,
        /// After the gate, log the verdict, metrics and reports to the candidate's MLflow run and,
        /// when the verdict is promote and every input verifies, point this registry alias (e.g.
        /// `champion`) at the candidate's version. The candidate (the first model) must come from
        /// the registry (`models:/...`).
        #[arg(long, value_name = "ALIAS")]
        promote: Option<String>,
    },
    /// Run the bundled breast-cancer example gate (promotes a stronger candidate over its baseline).
    Demo {
        /// Write the example (gate.toml, data/, models/) into this directory and run it there, so
        /// that its reports can be verified afterwards (default: a temporary directory, removed
        /// after the run).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Report options.
        #[command(flatten)]
        run: RunArgs,
    },
    /// Split the production log (`datasets.current`) into the windows `[monitor]` defines, run
    /// every check of the policy on each, and decide: none (exit 0), alert or retrain (exit 1),
    /// error (exit 2).
    Monitor {
        /// The gate policy (TOML) with a `[monitor]` table.
        policy: PathBuf,
        /// Report and notification options.
        #[command(flatten)]
        args: MonitorArgs,
    },
    /// Write the profile of one dataset of a policy: what the checks need of it (statistics,
    /// value counts, every distinct value of numeric columns with its count, and the rows up to
    /// `--max-rows`), so that gates use it as `NAME = { profile = "FILE" }` without reading the
    /// dataset again (docs/profiles.md).
    Profile {
        /// The gate policy (TOML) that defines the dataset (embedded, or on its `[engine]`).
        policy: PathBuf,
        /// What to profile and where to write it.
        #[command(flatten)]
        args: crate::profile::ProfileArgs,
    },
    /// Re-hash every input a JSON report names and say whether the files on disk are exactly the
    /// ones its verdict was given for (exit 0 if they all match, 1 if any differs or is missing).
    Verify {
        /// A report written by `modelgate check --json`.
        report: PathBuf,
    },
    /// Work with plugins.
    Plugin {
        /// What to do with plugins.
        #[command(subcommand)]
        command: PluginCommand,
    },
}

/// Plugin subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Print a plugin's name, version, WIT version, needs and config schema.
    Inspect {
        /// A .wasm component, or the name of a built-in plugin.
        file: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Create a plugin project that builds as generated and passes its own tests.
    New {
        /// The plugin's name: lowercase letters, digits and dashes (e.g. `label-balance`).
        name: String,
        /// The language of the project.
        #[arg(long, value_enum, default_value_t = crate::scaffold::Lang::Rust)]
        lang: crate::scaffold::Lang,
        /// Where to create it (default: ./NAME); must not exist or be empty.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run one plugin alone against the datasets and models of a gate policy: the policy's own
    /// checks are replaced by this plugin, whose config comes from the policy's check that uses the
    /// same file (or `--check ID`), or from `--config`. Exit codes as `check`.
    Test {
        /// The plugin: a .wasm component, or the name of a built-in plugin.
        file: String,
        /// The gate policy whose datasets, models, task and runtime limits to use.
        #[arg(long, value_name = "POLICY")]
        policy: PathBuf,
        /// Take the config, severity and limits of this check of the policy.
        #[arg(long, value_name = "ID")]
        check: Option<String>,
        /// The plugin's config as a JSON object (replaces the policy check's config).
        #[arg(long, value_name = "JSON")]
        config: Option<String>,
        /// Report options.
        #[command(flatten)]
        run: RunArgs,
    },
}

/// How checks run, for `check` and `monitor` alike.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Checks run at once (default: twice the number of CPUs; 1 for the steadiest latency
    /// figures).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Path to the ONNX Runtime library (libonnxruntime.so).
    #[arg(long, value_name = "PATH")]
    pub onnxruntime: Option<PathBuf>,
    /// Do not read or write the cache (compiled plugins, model signatures and predictions).
    #[arg(long)]
    pub no_cache: bool,
}

impl EngineArgs {
    /// How a gate runs: checks at once, the ONNX Runtime library, the cache.
    pub(crate) fn gate_options(&self) -> GateOptions {
        GateOptions {
            jobs: self.jobs.map(usize::from),
            onnxruntime: self.onnxruntime.clone(),
            cache_dir: if self.no_cache {
                None
            } else {
                runtime::default_cache_dir()
            },
        }
    }
}

/// Options of a gate run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Write the JSON report (schema_version 1) to this path.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report (one test case per check and per failing metric) to this path.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown summary (PR-comment ready) to this path. Under GitHub Actions the summary
    /// is also appended to $GITHUB_STEP_SUMMARY and failing checks become annotations.
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write a self-contained HTML report (verdict, checks, plots) to this path.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Show progress of long steps on stderr: auto (on a terminal), always, never.
    #[arg(long, value_enum, default_value_t = crate::progress::When::Auto, value_name = "WHEN")]
    pub progress: crate::progress::When,
    /// Print only the verdict line.
    #[arg(long, short)]
    pub quiet: bool,
    /// How the checks run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Print where the time went (loading each dataset and model, compiling each plugin, each
    /// check, each model's predictions) on stderr.
    #[arg(long)]
    pub timings: bool,
}

/// Options of a monitor run.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Write the decision JSON (schema_version 1, docs/monitor.schema.json) to this path.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML page (decision, windows, metrics over time) to this path.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Write a Markdown summary to this path (under GitHub Actions also appended to
    /// $GITHUB_STEP_SUMMARY; `action=…` is appended to $GITHUB_OUTPUT).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write the latest window's metrics and the action in the Prometheus text format (for
    /// node_exporter's textfile collector) to this path.
    #[arg(long, value_name = "PATH")]
    pub prometheus: Option<PathBuf>,
    /// POST the decision as JSON to this URL when the action is not `none` (repeatable). An
    /// alert that cannot be delivered makes the exit 2.
    #[arg(long, value_name = "URL")]
    pub notify: Vec<String>,
    /// Show progress on stderr: auto (on a terminal), always, never.
    #[arg(long, value_enum, default_value_t = crate::progress::When::Auto, value_name = "WHEN")]
    pub progress: crate::progress::When,
    /// Print only the action line.
    #[arg(long, short)]
    pub quiet: bool,
    /// How the checks run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Print where the time went (loading each dataset and model, compiling each plugin, splitting
    /// the log, each check summed over the windows) on stderr.
    #[arg(long)]
    pub timings: bool,
}

/// Parses arguments, runs, and maps the result to the exit-code contract. Errors are printed with
/// their cause chain.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(Verdict::Error.exit_code())
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check {
            policy,
            run,
            promote: None,
        } => check(&policy, &run).map(ExitCode::from),
        Command::Check {
            policy,
            run,
            promote: Some(alias),
        } => {
            let started = (SystemTime::now(), Instant::now());
            let policy = Policy::load(&policy)?;
            let candidate = crate::promote::check_candidate(&policy, &alias)?;
            let done = gate_and_report(policy, &run, started)?;
            crate::promote::promote(&done, &candidate, &alias)?;
            Ok(ExitCode::from(done.verdict))
        }
        Command::Demo {
            run,
            dir: Some(dir),
        } => {
            crate::demo::extract_to(&dir)?;
            if !run.quiet {
                eprintln!(
                    "demo: the example is in {} (gate.toml, data/, models/); run it again with \
                     `modelgate check {}`",
                    dir.display(),
                    dir.join("gate.toml").display()
                );
            }
            check(&dir.join("gate.toml"), &run).map(ExitCode::from)
        }
        Command::Demo { run, dir: None } => {
            let dir = crate::demo::extract()?;
            if !run.quiet {
                eprintln!(
                    "demo: running the example in a temporary directory, removed afterwards (keep it, \
                     and verify its reports later, with `--dir DIR`)"
                );
            }
            let verdict = check(&dir.path().join("gate.toml"), &run);
            drop(dir);
            verdict.map(ExitCode::from)
        }
        Command::Monitor { policy, args } => crate::monitor_cli::monitor(&policy, &args),
        Command::Profile { policy, args } => {
            crate::profile::command(&policy, &args).map(|_| ExitCode::SUCCESS)
        }
        Command::Verify { report } => {
            crate::verify::verify(&report).map(|ok| ExitCode::from(if ok { 0 } else { 1 }))
        }
        Command::Plugin {
            command: PluginCommand::Inspect { file, json },
        } => inspect(&file, json).map(|_| ExitCode::SUCCESS),
        Command::Plugin {
            command: PluginCommand::New { name, lang, dir },
        } => new_plugin(&name, lang, dir).map(|_| ExitCode::SUCCESS),
        Command::Plugin {
            command:
                PluginCommand::Test {
                    file,
                    policy,
                    check: id,
                    config,
                    run,
                },
        } => {
            let started = (SystemTime::now(), Instant::now());
            let policy = plugin_test_policy(&file, &policy, id.as_deref(), config.as_deref())?;
            gate_and_report(policy, &run, started).map(|d| ExitCode::from(d.verdict))
        }
    }
}

/// Runs a gate and writes its reports; returns the verdict.
pub fn check(policy_path: &Path, args: &RunArgs) -> anyhow::Result<Verdict> {
    let started = (SystemTime::now(), Instant::now());
    gate_and_report(Policy::load(policy_path)?, args, started).map(|d| d.verdict)
}

/// Runs a loaded policy and writes its reports.
fn gate_and_report(
    policy: Policy,
    args: &RunArgs,
    (started_at, started): (SystemTime, Instant),
) -> anyhow::Result<report::Done> {
    let opts = args.engine.gate_options();
    let progress = progress(args.quiet, args.progress);
    let run = async_runtime()?.block_on(gate::run(&policy, &opts, &progress))?;
    let verdict = Verdict::of(&run.checks);
    let total = started.elapsed();
    let targets = report::Targets {
        json: args.json.clone(),
        junit: args.junit.clone(),
        markdown: args.markdown.clone(),
        html: args.html.clone(),
    };
    let done = report::write_all(run, verdict, &targets, started_at, total)?;
    let (run, markdown) = (&done.run, &done.markdown);
    if under_github_actions() {
        for line in report::markdown::annotations(run) {
            println!("{line}");
        }
        append_to_github_file("GITHUB_STEP_SUMMARY", &format!("{markdown}\n"))?;
    }
    let color = terminal::use_color();
    if args.quiet {
        println!("{}", terminal::verdict_line(run, verdict, color));
    } else {
        print!("{}", terminal::render(run, verdict, color));
    }
    if args.timings {
        eprint!("{}", terminal::timings(run, started.elapsed()));
    }
    Ok(done)
}

/// The async runtime the gate's checks run on.
pub(crate) fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Progress on stderr, unless quiet.
pub(crate) fn progress(quiet: bool, when: crate::progress::When) -> Progress {
    if quiet {
        Progress::hidden()
    } else {
        Progress::new(when)
    }
}

/// Whether this runs as a GitHub Actions step.
pub(crate) fn under_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// Appends `text` to the file a GitHub Actions variable names (`GITHUB_STEP_SUMMARY`,
/// `GITHUB_OUTPUT`), if it is set.
pub(crate) fn append_to_github_file(var: &str, text: &str) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("cannot append to {var} ({})", Path::new(&path).display()))
}

/// `plugin new`: writes the project and says what to do next.
fn new_plugin(name: &str, lang: crate::scaffold::Lang, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let written = crate::scaffold::create(name, lang, &dir)?;
    println!("created {} ({} files)", dir.display(), written.len());
    let build = match lang {
        crate::scaffold::Lang::Rust => "cargo test && cargo build --release --target wasm32-wasip2",
        crate::scaffold::Lang::Python => "./build.sh",
    };
    let wasm = crate::scaffold::component_path(name, lang);
    println!(
        "next:\n  cd {}\n  {build}\n  modelgate plugin test {wasm} --policy sample/gate.toml",
        dir.display()
    );
    Ok(())
}

/// The policy `plugin test` runs: `policy` with its checks replaced by one check of `file`.
fn plugin_test_policy(
    file: &str,
    policy_path: &Path,
    id: Option<&str>,
    config: Option<&str>,
) -> anyhow::Result<Policy> {
    let mut policy = Policy::load(policy_path)?;
    let plugin = match plugin_arg(file)? {
        PluginArg::Builtin(_) => file.to_string(),
        PluginArg::File(p) => p
            .canonicalize()
            .with_context(|| format!("cannot resolve {file}"))?
            .display()
            .to_string(),
    };
    let same_plugin = |c: &crate::policy::CheckSpec| {
        c.plugin == plugin
            || policy
                .resolve(Path::new(&c.plugin))
                .canonicalize()
                .is_ok_and(|p| p.display().to_string() == plugin)
    };
    let ids = || {
        policy
            .spec
            .checks
            .iter()
            .map(|c| format!("`{}`", c.id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let template = match id {
        Some(id) => Some(
            policy
                .spec
                .checks
                .iter()
                .find(|c| c.id == id)
                .cloned()
                .with_context(|| {
                    format!(
                        "{}: no check `{id}` (--check); the policy's checks are {}",
                        policy.path.display(),
                        ids()
                    )
                })?,
        ),
        None => policy.spec.checks.iter().find(|c| same_plugin(c)).cloned(),
    };
    let mut check = template.unwrap_or_else(|| crate::policy::CheckSpec {
        id: Path::new(file).file_stem().map_or_else(
            || "plugin".into(),
            |s| s.to_string_lossy().replace('_', "-"),
        ),
        plugin: String::new(),
        sha256: None,
        severity: Default::default(),
        config: None,
        memory_mb: None,
        timeout_s: None,
        fuel: None,
    });
    check.plugin = plugin;
    // The file under test is whatever was just built: a pin in the policy is for the gate.
    check.sha256 = None;
    if let Some(json) = config {
        let value: serde_json::Value = serde_json::from_str(json)
            .with_context(|| format!("--config is not valid JSON: {json}"))?;
        if !value.is_object() {
            bail!("--config must be a JSON object, e.g. '{{\"max_missing_share\": 0.1}}'");
        }
        check.config = Some(
            serde_json::from_value(value)
                .context("--config cannot be a check config (TOML has no null)")?,
        );
    }
    policy.spec.checks = vec![check];
    Ok(policy)
}

/// A plugin named on the command line.
enum PluginArg<'a> {
    /// A built-in, by name: its component.
    Builtin(&'static [u8]),
    /// A .wasm file that exists.
    File(&'a Path),
}

fn plugin_arg(file: &str) -> anyhow::Result<PluginArg<'_>> {
    if let Some(b) = gate::builtins::get(file) {
        return Ok(PluginArg::Builtin(b));
    }
    let p = Path::new(file);
    if !p.exists() {
        bail!(
            "no plugin file {file} (and no built-in plugin of that name; built-ins: {})",
            gate::builtins::names().join(", ")
        );
    }
    Ok(PluginArg::File(p))
}

/// `plugin inspect`: compiles the component, calls `describe`, prints what it says.
pub fn inspect(file: &str, as_json: bool) -> anyhow::Result<()> {
    let (bytes, shown) = match plugin_arg(file)? {
        PluginArg::File(p) => (runtime::read_plugin_file(p)?, p.display().to_string()),
        PluginArg::Builtin(b) => (b.to_vec(), format!("builtin:{file}")),
    };
    let sha = crate::files::sha256_bytes(&bytes);
    let rt = Runtime::new(runtime::default_cache_dir(), false)?;
    let pre = rt.prepare(&format!("plugin {shown}"), &bytes, &sha)?;
    // describe() needs little: the default memory limit, and less time than a check.
    let limits = Limits {
        timeout: std::time::Duration::from_secs(10),
        ..Limits::default()
    };
    let info = rt
        .describe(&pre, &limits)
        .with_context(|| format!("plugin {shown}"))?;
    if as_json {
        let mut v = serde_json::to_value(&info)?;
        v["sha256"] = serde_json::json!(sha);
        v["size_bytes"] = serde_json::json!(bytes.len());
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("plugin:       {shown}");
        println!("name:         {}", info.name);
        println!("version:      {}", info.version);
        println!("wit:          modelgate:plugin@{}", info.wit_version);
        println!("sha256:       {sha}");
        println!("size:         {} bytes", bytes.len());
        println!(
            "needs:        datasets [{}], models: {}, labels: {}",
            info.needs_datasets.join(", "),
            if info.needs_models { "yes" } else { "no" },
            if info.needs_labels { "yes" } else { "no" }
        );
        println!("description:  {}", info.description);
        println!(
            "config schema:\n{}",
            serde_json::to_string_pretty(&info.config_schema)?
        );
    }
    Ok(())
}
