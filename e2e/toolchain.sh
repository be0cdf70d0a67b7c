#!/usr/bin/env bash
# Builds the real-engine toolchain (Pulumi CLI, our Node.js language host, the Kubernetes provider, etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kwok) from the Go module proxy, at the versions in
# toolchain.versions, into a cache outside the work tree keyed by those versions. A warm run only checks the cache.
# Prints the bin directory on its last line.
#
# Upstream go.mod files replace sibling modules with relative paths (../sdk, ./staging/src/k8s.io/api), which
# `go install module@version` refuses. So each binary is built from a wrapper module of ours whose replace lines are
# generated from the upstream go.mod as downloaded: relative replaces become the matching published versions
# (Kubernetes staging modules: v0.<minor>.<patch>), or are dropped where the upstream require line already names
# the published version; version replaces are kept, since Go ignores replace lines outside the main module.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=toolchain.versions
source "$here/toolchain.versions"

# Each binary is cached under its own version, so changing one version rebuilds only that binary; bin/ holds
# links to the binaries of the current versions.
root="${KIOSK_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kiosk-e2e}"
dir="$root/work"
store="$root/store"
bin="$root/bin-$(cat "$here/toolchain.versions" | sha256sum | cut -c1-12)"
mkdir -p "$bin" "$store" "$dir/src" "$dir/logs"
language_host_version="$PULUMI_VERSION-$(find "$here/language-host" -type f | sort | xargs cat | sha256sum | cut -c1-12)"

export CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath" GOTOOLCHAIN=local
# A build cache of its own, emptied after each group of binaries: the cached binaries are what a warm run
# needs, and the whole cache would reach 9 GB (more than a CI runner spares).
export GOCACHE="$dir/gocache"
trap 'rm -rf "$GOCACHE"' EXIT
drop_build_cache() { rm -rf "$GOCACHE"; }
ldflags_base="-s -w"

log() { printf '[toolchain] %s\n' "$*" >&2; }
# json_field NAME: one top-level field of the JSON document on stdin (empty when absent).
json_field() { node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8"))[process.argv[1]]; if (v !== undefined) console.log(v)' "$1"; }

go_version_ok() {
  local have
  have="$(go env GOVERSION | sed 's/^go//')"
  printf '%s\n%s\n' "$GO_MIN" "$have" | sort -V -C || { log "Go $GO_MIN or newer is needed, found $have"; exit 1; }
}

# Writes a wrapper module requiring MODULE@VERSION into $dir/src/NAME, with replace lines generated from the
# upstream go.mod. STAGING, when given, is the version for relative replaces of k8s.io/* modules.
wrapper() {
  local name="$1" module="$2" version="$3" staging="${4:-}"
  local w="$dir/src/$name"
  rm -rf "$w" && mkdir -p "$w"
  local upstream_gomod
  upstream_gomod="$(go mod download -json "$module@$version" | json_field GoMod)"
  [ -n "$upstream_gomod" ] || { log "the module proxy does not serve $module@$version"; exit 1; }
  local go_line
  go_line="$(go mod edit -json "$upstream_gomod" | json_field Go)"
  (
    cd "$w"
    go mod init "kiosk-e2e/$name" >/dev/null 2>&1
    go mod edit -go="$go_line" -require="$module@$version"
    go mod edit -json "$upstream_gomod" | STAGING="$staging" node -e '
      const mod = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const at = (m) => m.Path + (m.Version ? "@" + m.Version : "");
      for (const r of mod.Replace ?? []) {
        if (!r.New.Path.startsWith(".")) console.log(`-replace=${at(r.Old)}=${at(r.New)}`);
        else if (process.env.STAGING && r.Old.Path.startsWith("k8s.io/")) console.log(`-replace=${r.Old.Path}=${r.Old.Path}@${process.env.STAGING}`);
      }' | xargs -r go mod edit
  )
  printf '%s\n' "$w"
}

# build OUTPUT VERSION PACKAGE [LDFLAGS] — runs in the current directory's module.
build() {
  local out="$1" version="$2" pkg="$3" ldflags="${4:-}"
  local target="$store/$out-$version" started=$SECONDS
  log "building $out ($pkg, $version)"
  if ! go build -ldflags "$ldflags_base $ldflags" -o "$target.tmp" "$pkg" >"$dir/logs/$out.log" 2>&1; then
    tail -40 "$dir/logs/$out.log" >&2
    log "building $out failed; full log: $dir/logs/$out.log"
    exit 1
  fi
  mv "$target.tmp" "$target"
  printf '%s\t%s@%s\t%ss\n' "$out" "$pkg" "$version" "$((SECONDS - started))" >>"$root/build-times.tsv"
}

# need OUTPUT VERSION: links bin/OUTPUT to a cached build and fails (so the caller builds it) when there is none.
need() {
  if [ -x "$store/$1-$2" ]; then ln -sf "$store/$1-$2" "$bin/$1"; return 1; fi
  return 0
}
link() { ln -sf "$store/$1-$2" "$bin/$1"; }

go_version_ok
command -v node >/dev/null || { log "node is needed"; exit 1; }

if need pulumi "$PULUMI_VERSION"; then
  (cd "$(wrapper pulumi "$PULUMI_MODULE" "$PULUMI_VERSION")" &&
    build pulumi "$PULUMI_VERSION" "$PULUMI_MODULE/cmd/pulumi" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION")
  link pulumi "$PULUMI_VERSION"
  drop_build_cache
fi

if need pulumi-language-nodejs "$language_host_version"; then
  w="$dir/src/language-host"
  rm -rf "$w" && cp -r "$here/language-host" "$w"
  (cd "$w" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" &&
    build pulumi-language-nodejs "$language_host_version" .)
  link pulumi-language-nodejs "$language_host_version"
fi

if need pulumi-resource-kubernetes "$KUBERNETES_PROVIDER_RELEASE"; then
  # The provider embeds schema-embed.json, which is generated (not committed): its generator stamps the release
  # version into the committed schema.json. So the module is copied out of the read-only module cache first.
  w="$(wrapper kubernetes-provider "$KUBERNETES_PROVIDER_MODULE" "$KUBERNETES_PROVIDER_VERSION")"
  src="$(go mod download -json "$KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_VERSION" | json_field Dir)"
  cp -r "$src" "$w/provider" && chmod -R u+w "$w/provider"
  (cd "$w" && go mod edit -replace="$KUBERNETES_PROVIDER_MODULE=./provider" &&
    (cd provider/cmd/pulumi-resource-kubernetes && VERSION="$KUBERNETES_PROVIDER_RELEASE" go run ./generate.go) &&
    build pulumi-resource-kubernetes "$KUBERNETES_PROVIDER_RELEASE" "$KUBERNETES_PROVIDER_MODULE/cmd/pulumi-resource-kubernetes" \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_RELEASE")
  link pulumi-resource-kubernetes "$KUBERNETES_PROVIDER_RELEASE"
  drop_build_cache
fi

if need etcd "$ETCD_VERSION"; then
  (cd "$(wrapper etcd "$ETCD_MODULE" "$ETCD_VERSION")" && build etcd "$ETCD_VERSION" "$ETCD_MODULE")
  link etcd "$ETCD_VERSION"
fi

staging="v0.$(echo "$KUBERNETES_VERSION" | cut -d. -f2-)"
minor="$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
for component in kube-apiserver kube-controller-manager kube-scheduler; do
  if need "$component" "$KUBERNETES_VERSION"; then
    [ -f "$dir/src/kubernetes/go.mod" ] || wrapper kubernetes "$KUBERNETES_MODULE" "$KUBERNETES_VERSION" "$staging" >/dev/null
    (cd "$dir/src/kubernetes" && build "$component" "$KUBERNETES_VERSION" "$KUBERNETES_MODULE/cmd/$component" \
      "-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor")
    link "$component" "$KUBERNETES_VERSION"
  fi
done
drop_build_cache

if need kwok "$KWOK_VERSION"; then
  (cd "$(wrapper kwok "$KWOK_MODULE" "$KWOK_VERSION")" && build kwok "$KWOK_VERSION" "$KWOK_MODULE/cmd/kwok")
  link kwok "$KWOK_VERSION"
fi

log "toolchain ready in $bin"
printf '%s\n' "$bin"
