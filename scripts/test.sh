#!/usr/bin/env bash
# Every test, on a fresh machine: README.md's "Tests" command, and what .ci/run
# runs. Installs what the browser checks need when it is missing (Debian's
# chromium, a JRE for the W3C Nu validator, poppler-utils for pdftotext, Node.js;
# the npm packages pinned by tests/browser/package-lock.json), runs cargo's tests,
# then checks both samples' report.html in a real browser. A check that cannot
# run fails: nothing is skipped in silence.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, only those missing (apt-get update once, when some are).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "test.sh: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, exactly as locked. vnu-jar's install script would download a JDK
# (no need: Debian's java runs its jar), so no install script runs.
(cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

cargo test --profile test-release

# Both samples' reports, from the binary the tests built.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for sample in partner contoso; do
    status=0
    target/test-release/replan run "samples/$sample" --out "$work/$sample" --quiet >/dev/null 2>&1 || status=$?
    if [ "$status" -gt 1 ]; then
        echo "test.sh: replan run samples/$sample exited $status" >&2
        exit 1
    fi
done

# The W3C Nu validator: no error (it exits non-zero on one).
java -jar tests/browser/node_modules/vnu-jar/build/dist/vnu.jar --errors-only --format gnu \
    "$work/partner/report.html" "$work/contoso/report.html"
echo "ok: the W3C Nu validator reports no error in either report"

# Chromium: console, requests, axe-core, printing.
node tests/browser/check.mjs "$work/partner" "$work/contoso"
