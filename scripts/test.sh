#!/usr/bin/env bash
# Every check touchray has, on a fresh Debian/Ubuntu machine with rustup:
# installs what is missing (cross compilers, qemu-user, espeak-ng, rustup
# targets and components), then formatting, clippy, the tests on x86_64, the
# tests on aarch64 under qemu (the static musl build with the GPIO backend,
# the boards' release target), and an armv7 build. CI (.ci/run) calls
# exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

need_apt=()
command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null || need_apt+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
command -v qemu-aarch64 >/dev/null || need_apt+=(qemu-user)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "installing ${need_apt[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

installed_targets=$(rustup target list --installed)
for target in aarch64-unknown-linux-musl armv7-unknown-linux-gnueabihf; do
  grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
done
installed_components=$(rustup component list --installed)
for component in rustfmt clippy; do
  grep -q "^$component" <<<"$installed_components" || rustup component add "$component"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "board backend (feature cdev): clippy on x86_64"
cargo clippy --all-targets --locked --features cdev -- -D warnings

step "tests, x86_64"
cargo test --locked

# A short run of the fuzzing harness (examples/fuzz.rs, built by the tests
# above): no panic, no input holding over 256 MiB, none over 10 s.
step "fuzzing, 10 s per target"
cargo run --locked --quiet --example fuzz -- all --seconds 10 --max-seed-kb 64

# Profile qemu: optimised code with a test build's checks on (see
# Cargo.toml); the binary is static, so qemu needs no sysroot. With the
# board backend (feature cdev), as the boards get it: one build serves the
# suite and the binary checked below (x86_64 above ran without it).
step "tests, aarch64 (static musl, feature cdev) under qemu"
cargo test --locked --profile qemu --features cdev --target aarch64-unknown-linux-musl

step "the board binary (static musl, feature cdev): static, and it starts"
# Static: no program interpreter to find on the board, and it runs under
# qemu with no sysroot at all.
binary=target/aarch64-unknown-linux-musl/qemu/touchray
if aarch64-linux-gnu-readelf -l "$binary" | grep -q INTERP; then
  echo "$binary is not static" >&2
  exit 1
fi
qemu-aarch64 "$binary" --version

step "build, armv7"
cargo build --locked --features cdev --target armv7-unknown-linux-gnueabihf

step "all checks passed"
