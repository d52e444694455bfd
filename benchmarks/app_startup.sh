#!/bin/bash
# Seconds from `python app.py` to the page answering HTTP 200, and the CPU seconds the process used
# until then (on an idle machine wall time is close to the CPU time: start-up is single-threaded).
#   benchmarks/app_startup.sh            # repeat with N=3 benchmarks/app_startup.sh
set -u
PORT=${PORT:-7961}
cd "$(dirname "$0")/.."
for i in $(seq 1 "${N:-1}"); do
  t0=$(date +%s.%N)
  GRADIO_SERVER_PORT=$PORT HF_HUB_OFFLINE=1 python app.py > /tmp/app_startup.log 2>&1 &
  pid=$!
  until curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null | grep -q 200; do sleep 0.1; done
  t1=$(date +%s.%N)
  read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
  tick=$(getconf CLK_TCK)
  echo "page answered after $(echo "$t1 - $t0" | bc) s wall, $(echo "scale=2; ($utime + $stime) / $tick" | bc) s CPU;" \
       "load average $(cut -d' ' -f1 /proc/loadavg); $(head -1 /tmp/app_startup.log)"
  kill "$pid"; wait "$pid" 2>/dev/null
done
