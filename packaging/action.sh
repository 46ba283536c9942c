#!/usr/bin/env bash
# The steps of the modelgate GitHub Action (action.yml at the repository root). The action runs
# exactly this script, and so does the test that checks it (tests/e2e/packaging.rs): they cannot
# diverge.
#
#   packaging/action.sh install   create a venv, pip install the modelgate wheel into it, put its
#                                 bin/ on $GITHUB_PATH
#       INPUT_WHEEL    a wheel file to install (wins over INPUT_VERSION)
#       INPUT_VERSION  a version on the package index ("" or "latest": the newest)
#       MODELGATE_VENV where (default $RUNNER_TEMP/modelgate-venv); PYTHON: the base interpreter
#
#   packaging/action.sh run       run `modelgate check` (or `monitor`) and set the step outputs
#       INPUT_COMMAND  check (default) | monitor
#       INPUT_POLICY   the gate policy (required)
#       INPUT_JSON, INPUT_JUNIT (check), INPUT_MARKDOWN, INPUT_HTML, INPUT_PROMETHEUS (monitor):
#                      report paths ("" = not written; the JSON report defaults to
#                      $RUNNER_TEMP/modelgate-report.json)
#       INPUT_ARGS     more arguments, split on whitespace (e.g. `--jobs 2`)
#       INPUT_ONLY_REPORT  "true": never fail the step; otherwise fail unless promote (check) or
#                      none (monitor), with modelgate's exit code
#     Outputs ($GITHUB_OUTPUT): verdict (check: promote | reject | error; monitor: none | alert |
#     retrain | error), exit-code, and the path of every report written (json, junit, markdown,
#     html, prometheus); monitor also writes action= itself. Under GitHub Actions modelgate appends
#     its Markdown summary to $GITHUB_STEP_SUMMARY and annotates failing checks.
set -euo pipefail

out() {
    echo "$1=$2" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
}

install() {
    local venv="${MODELGATE_VENV:-${RUNNER_TEMP:?RUNNER_TEMP is not set}/modelgate-venv}"
    local spec
    if [[ -n "${INPUT_WHEEL:-}" ]]; then
        spec="$(cd "$(dirname "$INPUT_WHEEL")" && pwd)/$(basename "$INPUT_WHEEL")"
        [[ -f "$spec" ]] || { echo "::error title=modelgate::no wheel at $INPUT_WHEEL"; exit 2; }
    elif [[ -z "${INPUT_VERSION:-}" || "$INPUT_VERSION" == latest ]]; then
        spec=modelgate
    else
        spec="modelgate==$INPUT_VERSION"
    fi
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "$spec"
    echo "$venv/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
    "$venv/bin/modelgate" --version
}

run() {
    local command="${INPUT_COMMAND:-check}"
    local policy="${INPUT_POLICY:?the policy input is required}"
    local json="${INPUT_JSON:-}"
    [[ -n "$json" ]] || json="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/modelgate-report.json"
    local -a args=("$command" "$policy")
    local -a reports=(json "$json")
    case "$command" in
        check) reports+=(junit "${INPUT_JUNIT:-}") ;;
        monitor) reports+=(prometheus "${INPUT_PROMETHEUS:-}") ;;
        *) echo "::error title=modelgate::command must be check or monitor, not '$command'"; exit 2 ;;
    esac
    reports+=(markdown "${INPUT_MARKDOWN:-}" html "${INPUT_HTML:-}")
    local i
    for ((i = 0; i < ${#reports[@]}; i += 2)); do
        local path="${reports[i + 1]}"
        if [[ -n "$path" ]]; then
            mkdir -p "$(dirname "$path")"
            args+=("--${reports[i]}" "$path")
        fi
    done
    # shellcheck disable=SC2206 # split on whitespace, as documented
    [[ -z "${INPUT_ARGS:-}" ]] || args+=(${INPUT_ARGS})

    local code=0
    "${MODELGATE:-modelgate}" "${args[@]}" || code=$?

    local verdict
    case "$command:$code" in
        check:0) verdict=promote ;;
        check:1) verdict=reject ;;
        monitor:0) verdict=none ;;
        monitor:1) verdict="$(sed -n 's/^action=//p' "$GITHUB_OUTPUT" | tail -n 1)" ;;
        *) verdict=error ;;
    esac
    [[ -n "$verdict" ]] || verdict=error
    out verdict "$verdict"
    out exit-code "$code"
    for ((i = 0; i < ${#reports[@]}; i += 2)); do
        if [[ -n "${reports[i + 1]}" && -f "${reports[i + 1]}" ]]; then
            out "${reports[i]}" "${reports[i + 1]}"
        fi
    done

    if [[ "$code" != 0 && "${INPUT_ONLY_REPORT:-false}" != true ]]; then
        echo "::error title=modelgate ${verdict^^}::modelgate $command exited $code ($verdict); see the step summary and the reports"
        exit "$code"
    fi
}

case "${1:-}" in
    install) install ;;
    run) run ;;
    *) echo "usage: packaging/action.sh install|run" >&2; exit 2 ;;
esac
