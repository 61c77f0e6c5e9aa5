#!/usr/bin/env bash
# Starts or stops moto (the AWS emulator) in server mode on a free loopback port.
#   infra/moto.sh start   prints the endpoint URL; state in .data/moto/
#   infra/moto.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
state=.data/moto
mkdir -p "$state"
case "${1:-}" in
  start)
    infra/python-tools.sh
    port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # One request at a time: DynamoDB isolates transactions, moto's threads do not
    # (infra/moto/serve.py says how that was found).
    .venv/bin/python infra/moto/serve.py 127.0.0.1 "$port" >"$state/server.log" 2>&1 &
    echo $! >"$state/pid"
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
      if curl -sf "$url/moto-api/" >/dev/null 2>&1; then
        # moto's data.json may answer 500 for a while after a multipart upload unless
        # its S3 key-restore transition is manual (TOOLCHAIN.md).
        curl -sf -X POST "$url/moto-api/state-manager/set-transition" \
          -H 'content-type: application/json' \
          -d '{"model_name":"s3::keyrestore","transition":{"progression":"manual","times":1000000000}}' >/dev/null || true
        echo "$url" >"$state/url"
        echo "$url"
        exit 0
      fi
      sleep 0.1
    done
    echo "moto did not start; see $state/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$state/pid" ]; then
      kill "$(cat "$state/pid")" 2>/dev/null || true
      rm -f "$state/pid" "$state/url"
    fi
    ;;
  *)
    echo "usage: infra/moto.sh start|stop" >&2
    exit 2
    ;;
esac
