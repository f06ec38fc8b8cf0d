#!/bin/sh
# Rewrites the golden files of every package whose tests import
# github.com/adjc/adjc/golden, then shows what changed. Only those packages
# are run: a test binary that does not import golden rejects -update with
# "flag provided but not defined: -update".
set -eu
cd "$(dirname "$0")/.."

mod=$(go list -m)
pkgs=$(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
	awk -v g="$mod/golden" '{for (i = 2; i <= NF; i++) if ($i == g) { print $1; break }}')

if [ -z "$pkgs" ]; then
	echo "update-golden: no package imports $mod/golden" >&2
	exit 0
fi

# shellcheck disable=SC2086 # one package per word
go test -count=1 $pkgs -args -update
git diff --stat -- golden/
git status --short -- golden/ | grep '^??' || true
