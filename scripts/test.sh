#!/usr/bin/env bash
# `make test`: typecheck, the format check (prettier), the layer check (src/README.md), then every tier. The int and e2e tiers start (or reuse) their own NATS,
# PostgreSQL and Redis on the test ports (test/support/global-setup.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json
echo "== format"; npx prettier --check --log-level warn "**/*.{ts,mjs}"
echo "== layers"; npx tsx scripts/check-layers.ts
echo "== unit";  npx vitest run --project unit
echo "== int";   npx vitest run --project int
echo "== e2e";   npx vitest run --project e2e --passWithNoTests
