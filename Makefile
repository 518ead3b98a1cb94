.PHONY: setup test run bench schemas typecheck layers format format-check unit int e2e clean

setup:      ## install everything on a fresh Debian/Ubuntu machine
	bash scripts/setup.sh

test:       ## typecheck + layers + unit + integration + e2e (starts the services it needs)
	bash scripts/test.sh

run:        ## the whole system on its embedded default (Ctrl-C stops it)
	node --import tsx src/cli/main.ts up

bench:      ## benchmarks with ratios against raw baselines measured in the same run
	npx tsx bench/run.ts

schemas:    ## export every event/command schema as JSON Schema under schemas/json/
	npx tsx schemas/export.ts

typecheck:
	npx tsc --noEmit -p tsconfig.json
format:     ## prettier over the tree (width 140, .prettierrc.json)
	npx prettier --write --log-level warn "**/*.{ts,mjs}"
format-check: ## fails on a file prettier would change (a step of make test)
	npx prettier --check --log-level warn "**/*.{ts,mjs}"
layers:     ## the dependency rules of src/README.md (each violation: file and import)
	npx tsx scripts/check-layers.ts
unit:
	npx vitest run --project unit
int:
	npx vitest run --project int
e2e:
	npx vitest run --project e2e

clean:      ## remove local data (.data/); keeps the fetched nats-server
	rm -rf .data
