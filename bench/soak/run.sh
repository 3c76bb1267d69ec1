#!/usr/bin/env bash
# Soak test of ws-server and ws-agent: builds Release, runs the reliability tests' load mix
# (a few hundred clients with churn through 3 agents, every transfer SHA-256 checked, a cut of one
# agent's connection every 20 s, a SIGKILL of another agent every few minutes) for N minutes, and
# records every 5 s, for ws-server and two ws-agents: RSS, open fds, thread count (/proc) and GC heap
# size (dotnet-counters). Writes bench/soak/results/soak.csv, docs/reliability-soak.svg and the
# soak section of docs/reliability.md.
#
#   bench/soak/run.sh [--minutes N] [--clients C]     (default: 30 minutes, 200 clients)
#
# Not part of `dotnet test`; the short version is LoadTests in tests/ReverseTunnel.Reliability.Tests.
# Exit code: 0 clean; 1 transfers broke the rule; 2 a resource grew after warm-up.
set -euo pipefail
cd "$(dirname "$0")/../.."

minutes=30
clients=200
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (try --help)" >&2; exit 64 ;;
  esac
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

tools=bench/soak/.tools
if [ ! -x "$tools/dotnet-counters" ]; then
  dotnet tool install --tool-path "$tools" dotnet-counters --version 10.0.750501
fi

# Release builds of ws-server, ws-agent (project references) and the runner.
dotnet build -c Release bench/soak/ReverseTunnel.Soak/ReverseTunnel.Soak.csproj -v quiet -nologo

exec dotnet bench/soak/ReverseTunnel.Soak/bin/Release/net10.0/ReverseTunnel.Soak.dll \
  --minutes "$minutes" --clients "$clients" --interval 5 \
  --counters "$tools/dotnet-counters" \
  --csv bench/soak/results/soak.csv --svg docs/reliability-soak.svg --doc docs/reliability.md
