#!/usr/bin/env bash
# Records the lifecycle sagas' replay fixtures from real runs (src/sagas/README.md "Changing a saga"):
# runs the int specs that keep their sagas' journals, with RECORD_JOURNALS set to a scratch directory
# (the first argument, or a fresh temporary one), and lists what they wrote. Nothing is written into
# src/sagas/fixtures/: copy there only the journals you mean to add. Needs the test stack (make test).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-$(mktemp -d -t nodeplane-journals-XXXXXX)}"
mkdir -p "$dir"
RECORD_JOURNALS="$dir" npx vitest run --project int \
  src/sagas/provision/provision.int.spec.ts \
  src/sagas/provision/provision-inputs.int.spec.ts \
  src/sagas/provision/provision-faults.int.spec.ts \
  src/sagas/terminate/terminate.int.spec.ts \
  src/sagas/migrate/migrate.int.spec.ts
echo "recorded into $dir:"
ls -1 "$dir"
