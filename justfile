# Everyday commands. Each is plain cargo underneath; `just --list` shows them.

postgres_url := env_var_or_default("PORTHOLE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

default:
    @just --list

# Seed the demo into ./porthole.db (once) and serve it on http://127.0.0.1:8080 (extra arguments go to `porthole demo`)
run *ARGS:
    cargo run -p porthole-server -- demo {{ARGS}}

# Serve on http://127.0.0.1:8080 over ./porthole.db, without demo data (extra arguments go to `porthole serve`)
serve *ARGS:
    cargo run -p porthole-server -- serve {{ARGS}}

# Run every test (SQLite)
test *ARGS:
    cargo test --workspace {{ARGS}}

# Run the store and end-to-end tests against PostgreSQL (PORTHOLE_TEST_POSTGRES_URL, else the local `test` database)
test-postgres *ARGS:
    PORTHOLE_TEST_POSTGRES_URL={{postgres_url}} cargo test -p porthole-store -p porthole-e2e {{ARGS}}

# Drive headless Chromium through the portal and a share link; screenshots land in target/screenshots/
test-browser:
    PORTHOLE_REQUIRE_BROWSER=1 cargo test -p porthole-e2e --test browser

# Check formatting and lints as CI does
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format every crate
fmt:
    cargo fmt --all
