#!/bin/sh
# `npm test`, the fast tier (README, "Tests"). The unit tests need no build, so they run while the
# build, the type check of the tests and the lint do: each side keeps about one of the machine's
# two cores busy. Their output is shown once both are done; then the integration tier on
# PostgreSQL 15. Any failure stops the run with a non-zero exit.
set -u
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx vitest run --project unit >"$log" 2>&1 &
unit=$!
npm run build && npx tsc -p tsconfig.test.json && npm run lint
checks=$?
wait "$unit"
units=$?
cat "$log"
if [ "$checks" -ne 0 ] || [ "$units" -ne 0 ]; then
  echo "npm test: stopped before the integration tier (build, type check or lint exited $checks; unit tests $units)" >&2
  exit 1
fi
PGHARDEN_PG_VERSIONS=15 npx vitest run --project integration
