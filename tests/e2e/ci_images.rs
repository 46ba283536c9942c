//! Keeps the container examples (`examples/ci`: Argo, Kubeflow Pipelines, SageMaker Pipelines)
//! consistent with the image packaging/Dockerfile builds and with the binary: the image sets
//! ORT_DYLIB_PATH where the Argo example says it is, each example runs `modelgate check` with flags
//! the binary has, on a policy of this repository, and keeps every report it writes.

use serde_json::Value;

use crate::ci_examples::{as_str, covers, gate_call, load, strings, IMAGE_PLACEHOLDER};
use crate::support::root;

/// The `ORT_DYLIB_PATH` the image sets (packaging/Dockerfile's `ENV`).
fn image_ort_dylib_path() -> String {
    let dockerfile = std::fs::read_to_string(root().join("packaging/Dockerfile")).unwrap();
    dockerfile
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ORT_DYLIB_PATH="))
        .expect("packaging/Dockerfile sets ORT_DYLIB_PATH")
        .to_string()
}

#[test]
fn the_argo_example_names_the_library_where_the_image_puts_it() {
    let wf = load("argo-workflow.yaml");
    let want = image_ort_dylib_path();
    let mut seen = 0;
    for t in wf["spec"]["templates"].as_array().unwrap() {
        for e in t["container"]["env"].as_array().into_iter().flatten() {
            if e["name"] == "ORT_DYLIB_PATH" {
                assert_eq!(as_str(&e["value"]), want, "template {}", t["name"]);
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "the Argo gate sets ORT_DYLIB_PATH");
}

#[test]
fn the_kubeflow_component_gates_with_the_image_and_keeps_its_reports() {
    let c = load("kubeflow-component.yaml");
    let container = &c["implementation"]["container"];
    assert_eq!(container["image"], IMAGE_PLACEHOLDER);
    let command = container["command"].as_array().expect("command");
    assert_eq!(strings(&command[0]), ["sh"]);
    assert_eq!(strings(&command[1]), ["-c"]);
    let script = as_str(&command[2]);
    // The script's positional parameters are the placeholders after it, in order.
    let params: Vec<(String, String)> = command[3..]
        .iter()
        .map(|p| {
            let (kind, name) = p.as_object().unwrap().iter().next().unwrap();
            (kind.clone(), as_str(name).to_string())
        })
        .collect();
    let want = [
        ("inputPath", "source"),
        ("inputValue", "policy"),
        ("outputPath", "reports"),
        ("outputPath", "verdict"),
    ];
    assert_eq!(
        params,
        want.map(|(k, n)| (k.to_string(), n.to_string())).to_vec()
    );
    assert!(script.contains(r#"source="$0"; policy="$1"; reports="$2"; verdict="$3""#));
    for (_, name) in want {
        let declared = c["inputs"]
            .as_array()
            .into_iter()
            .chain(c["outputs"].as_array())
            .flatten()
            .any(|i| i["name"] == name);
        assert!(declared, "{name} is declared");
    }
    let policy = c["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "policy")
        .unwrap()["default"]
        .clone();
    let resolved = script.replace("$policy", as_str(&policy));
    let call = gate_call(&resolved, "kubeflow-component.yaml");
    for out in call.outputs() {
        assert!(
            covers("$reports", out),
            "{out} is kept in the reports output"
        );
    }
    assert!(
        script.contains("exit \"$code\"") && script.contains("|| code=$?"),
        "the task's result is the gate's exit code"
    );
}

#[test]
fn the_sagemaker_processing_step_gates_on_its_input_and_uploads_its_reports() {
    let path = root().join("examples/ci/sagemaker-pipeline.json");
    let p: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(p["Version"], "2020-12-01");
    let params: Vec<&str> = p["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| as_str(&x["Name"]))
        .collect();
    let step = &p["Steps"][0];
    assert_eq!(step["Type"], "Processing");
    let args = &step["Arguments"];
    let input = &args["ProcessingInputs"][0]["S3Input"];
    let output = &args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"];
    for uri in [&input["S3Uri"], &output["S3Uri"]] {
        let name = as_str(&uri["Get"]).strip_prefix("Parameters.").unwrap();
        assert!(params.contains(&name), "{name} is a parameter");
    }
    let source = format!("{}/", as_str(&input["LocalPath"]));
    let reports = as_str(&output["LocalPath"]);
    let entry = strings(&args["AppSpecification"]["ContainerEntrypoint"]);
    assert_eq!(entry[..2], ["modelgate", "check"]);
    // The policy is the repository file under the input's local path.
    let line = format!("modelgate {}", entry[1..].join(" ")).replace(&source, "");
    let call = gate_call(&line, "sagemaker-pipeline.json");
    for out in call.outputs() {
        assert!(covers(reports, out), "{out} is uploaded from {reports}");
    }
    assert!(as_str(&args["AppSpecification"]["ImageUri"]).ends_with("/modelgate:TAG"));
}
