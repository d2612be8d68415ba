#!/usr/bin/env bash
# Installs the real peers the tests and benchmarks talk to, when missing: nginx, Prometheus
# (prometheus + promtool), h2load (nghttp2-client), curl, and helm (built with Go from the module
# proxy); and AWS's SigV4 test vectors (from PyPI). Fails loudly when something cannot be installed: a missing peer must never turn into a
# silently skipped test.
set -euo pipefail

apt_pkgs=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || apt_pkgs+=(nginx)
command -v promtool >/dev/null 2>&1 || apt_pkgs+=(prometheus)
command -v prometheus >/dev/null 2>&1 || apt_pkgs+=(prometheus)
command -v h2load >/dev/null 2>&1 || apt_pkgs+=(nghttp2-client)
command -v curl >/dev/null 2>&1 || apt_pkgs+=(curl)
command -v python3 >/dev/null 2>&1 || apt_pkgs+=(python3)
python3 -m pip --version >/dev/null 2>&1 || apt_pkgs+=(python3-pip)
# etcd for the real kube-apiserver of test/integration/kubernetes-*.test.ts.
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || apt_pkgs+=(etcd-server)

if [ ${#apt_pkgs[@]} -gt 0 ]; then
  echo "ensure-tools: installing Debian packages: ${apt_pkgs[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-tools: FAIL: need root (or sudo) to apt-get install ${apt_pkgs[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null || { echo "ensure-tools: FAIL: apt-get update" >&2; exit 1; }
  # No services are started on install on this machine; tests start their own on loopback.
  $SUDO apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null \
    || { echo "ensure-tools: FAIL: apt-get install ${apt_pkgs[*]}" >&2; exit 1; }
fi

HELM_VERSION=v3.22.0
GOBIN_DIR="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
if ! command -v helm >/dev/null 2>&1 && [ ! -x "$GOBIN_DIR/helm" ]; then
  command -v go >/dev/null 2>&1 || { echo "ensure-tools: FAIL: helm missing and no Go toolchain to build it" >&2; exit 1; }
  echo "ensure-tools: building helm $HELM_VERSION with go install (a few minutes)" >&2
  (cd /tmp && GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION") \
    || { echo "ensure-tools: FAIL: go install helm" >&2; exit 1; }
fi

# kube-apiserver for Kubernetes mode's integration tests (a real API server), built from the Go
# module proxy into ~/.cache/portcullis/bin once; see scripts/build-kube-apiserver.sh.
KUBE_APISERVER="${PORTCULLIS_KUBE_APISERVER:-$HOME/.cache/portcullis/bin/kube-apiserver}"
if [ ! -x "$KUBE_APISERVER" ]; then
  command -v go >/dev/null 2>&1 || { echo "ensure-tools: FAIL: kube-apiserver missing and no Go toolchain to build it" >&2; exit 1; }
  echo "ensure-tools: building kube-apiserver from the Go module proxy (15-25 minutes, once)" >&2
  bash "$(dirname "$0")/build-kube-apiserver.sh" "$KUBE_APISERVER" \
    || { echo "ensure-tools: FAIL: building kube-apiserver" >&2; exit 1; }
fi
[ -x "$KUBE_APISERVER" ] || { echo "ensure-tools: FAIL: kube-apiserver still missing" >&2; exit 1; }

# AWS's SigV4 test vectors for test/integration/sigv4-aws-test-suite.test.ts. Third-party data is
# not committed; botocore's source distribution on PyPI carries AWS's suite
# (tests/unit/auth/aws4_testsuite, Apache-2.0, with its LICENSE and NOTICE): extract that folder once
# into ~/.cache/portcullis. The test also reads the aws-c-auth copy beside the repository when present.
BOTOCORE_VERSION=1.44.5
SIGV4_SUITE="$HOME/.cache/portcullis/botocore-aws4_testsuite"
if [ "$(cat "$SIGV4_SUITE/.botocore-version" 2>/dev/null)" != "$BOTOCORE_VERSION" ]; then
  python3 -m pip --version >/dev/null 2>&1 || { echo "ensure-tools: FAIL: pip (python3 -m pip) needed to fetch botocore's sdist for the SigV4 test vectors" >&2; exit 1; }
  echo "ensure-tools: fetching AWS's SigV4 test vectors (botocore $BOTOCORE_VERSION source distribution)" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$work" "botocore==$BOTOCORE_VERSION" >&2 \
    || { echo "ensure-tools: FAIL: pip download botocore==$BOTOCORE_VERSION" >&2; exit 1; }
  tar -xzf "$work/botocore-$BOTOCORE_VERSION.tar.gz" -C "$work" \
    "botocore-$BOTOCORE_VERSION/tests/unit/auth/aws4_testsuite" \
    || { echo "ensure-tools: FAIL: botocore $BOTOCORE_VERSION sdist has no tests/unit/auth/aws4_testsuite" >&2; exit 1; }
  mkdir -p "$(dirname "$SIGV4_SUITE")"
  rm -rf "$SIGV4_SUITE"
  mv "$work/botocore-$BOTOCORE_VERSION/tests/unit/auth/aws4_testsuite" "$SIGV4_SUITE"
  echo "$BOTOCORE_VERSION" >"$SIGV4_SUITE/.botocore-version"
fi

for t in nginx promtool prometheus h2load curl etcd; do
  command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || { echo "ensure-tools: FAIL: $t still missing" >&2; exit 1; }
done
command -v helm >/dev/null 2>&1 || [ -x "$GOBIN_DIR/helm" ] || { echo "ensure-tools: FAIL: helm still missing" >&2; exit 1; }
echo "ensure-tools: ok" >&2
