#!/usr/bin/env bash
# Starts or stops localstripe (a Stripe API emulator) on a free loopback port.
#   infra/localstripe.sh start   prints the API's URL; its log in .data/localstripe/
#   infra/localstripe.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
state=.data/localstripe
mkdir -p "$state"
case "${1:-}" in
  start)
    infra/python-tools.sh
    port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    .venv/bin/python infra/localstripe/serve.py 127.0.0.1 "$port" >"$state/server.log" 2>&1 &
    echo $! >"$state/pid"
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
      if curl -s -o /dev/null -H 'Authorization: Bearer sk_test_probe' "$url/v1/balance"; then
        echo "$url" >"$state/url"
        echo "$url"
        exit 0
      fi
      sleep 0.1
    done
    echo "localstripe did not start; see $state/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$state/pid" ]; then
      kill "$(cat "$state/pid")" 2>/dev/null || true
      rm -f "$state/pid" "$state/url"
    fi
    ;;
  *)
    echo "usage: infra/localstripe.sh start|stop" >&2
    exit 2
    ;;
esac
