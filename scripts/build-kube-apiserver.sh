#!/usr/bin/env bash
# Builds kube-apiserver (for Kubernetes mode's integration tests) from the Go module proxy into $1
# (default ~/.cache/portcullis/bin/kube-apiserver).
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@...` refuses: k8s.io/kubernetes's go.mod replaces
# its staging modules (k8s.io/api, k8s.io/apiserver, ...) with local folders. So a throwaway module
# requires k8s.io/kubernetes and replaces each staging module listed in that go.mod's `replace` block
# by its published v0.x twin. About 25 minutes on 2 shared cores (run with nice), once; Go's build
# cache makes a rebuild a relink.
set -euo pipefail
KUBE_VERSION=v1.37.2
KUBE_STAGING_VERSION=v0.37.2
OUT="${1:-$HOME/.cache/portcullis/bin/kube-apiserver}"
BUILD_DIR="$HOME/.cache/portcullis/kube-apiserver-build"
mkdir -p "$BUILD_DIR" "$(dirname "$OUT")"
cd "$BUILD_DIR"
export GOFLAGS=-mod=mod
gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "build-kube-apiserver: cannot read the go.mod of k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }
staging=$(sed -n '/^replace (/,/^)/p' "$gomod" | awk '/=>/ {print $1}')
[ -n "$staging" ] || { echo "build-kube-apiserver: no replace block in $gomod" >&2; exit 1; }
{
  echo "module portcullis.local/kube-apiserver-build"
  echo
  echo "go 1.26.0"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$KUBE_STAGING_VERSION"; done
  echo ")"
} > go.mod
rm -f go.sum
go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION"
# The version the server reports (/version); without it a module build says v0.0.0-master.
minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
ldflags="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
nice -n 19 go build -ldflags "$ldflags" -o "$OUT.tmp" k8s.io/kubernetes/cmd/kube-apiserver
mv "$OUT.tmp" "$OUT"
"$OUT" --version
