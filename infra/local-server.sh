# Sourced by scripts that test a running selfcare: starts the local runtime (demo data, a
# fresh folder, a free port) and sets `base` (its URL) and `local_data` (the folder, with
# the server's log in server.log). The server stops and the folder goes when the script
# exits.
start_local_server() {
  local bin=${SELFCARE_LOCAL_BIN:-target/debug/selfcare-local}
  local port
  local_data=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  RUST_LOG=error "$bin" --listen "127.0.0.1:$port" --data-dir "$local_data" --web-dir web/dist \
    >"$local_data/server.log" 2>&1 &
  local_server=$!
  trap 'kill $local_server 2>/dev/null || true; rm -rf "$local_data"' EXIT
  for _ in $(seq 1 600); do
    curl -sf "$base/v1/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the local runtime did not answer (log: $local_data/server.log)" >&2
  tail -20 "$local_data/server.log" >&2
  return 1
}
