#!/usr/bin/env bash
# The side-by-side benchmark of issue 3: direct TCP, the tunnel (ws-server + ws-agent) and OpenSSH
# remote forwarding (ssh -N and ssh -tt), all on 127.0.0.1.
#
#   bash bench/run.sh              full run (3 repetitions); writes docs/benchmarks.md and docs/benchmarks.svg
#   bash bench/run.sh --smoke      one short repetition, 1,000 idle connections; report to a temp dir (CI)
#   bash bench/run.sh --reps N     N repetitions
#
# Installs what it needs with apt-get when missing (iperf3 wrk nginx-light openssh-server
# openssh-client haproxy), builds Release, and exits non-zero when a measurement could not be taken.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  esac
done

command -v dotnet >/dev/null || { echo "bench: the .NET 10 SDK is required (dotnet not on PATH)." >&2; exit 1; }

# 1. Tools, from Debian's packages.
missing=()
command -v iperf3 >/dev/null || missing+=(iperf3)
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
{ command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; } || missing+=(openssh-client)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "bench: cannot install; run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

# 2. Open files: 10,000 connections hold 10,000+ descriptors in several processes.
want=200000
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  ulimit -Hn "$want" 2>/dev/null || want=$hard
fi
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "bench: ulimit -n $(ulimit -n)"

# 3. dotnet-stack, so that a measurement that hangs leaves the processes' thread stacks behind.
if [ ! -x bench/.tools/dotnet-stack ]; then
  dotnet tool install --tool-path bench/.tools dotnet-stack --version 10.0.750501 >/dev/null \
    || echo "bench: could not install dotnet-stack; a hang will be reported without stacks"
fi

# 4. Release builds of ws-server, ws-agent and the bench.
for project in src/ReverseTunnel.Server src/ReverseTunnel.Agent bench/ReverseTunnel.Bench; do
  echo "bench: dotnet build -c Release $project"
  dotnet build -c Release "$project" -v quiet -nologo -clp:ErrorsOnly
done

# The agent as shipped (its Dockerfile): Native AOT, linked by clang.
if ! command -v clang >/dev/null && ! command -v clang-14 >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang zlib1g-dev >/dev/null
fi
echo "bench: dotnet publish -c Release -r linux-x64 src/ReverseTunnel.Agent (Native AOT)"
dotnet publish -c Release -r linux-x64 src/ReverseTunnel.Agent -o bench/.agent-aot -v quiet -nologo -clp:ErrorsOnly
export TUNNEL_BENCH_AGENT="$PWD/bench/.agent-aot/ws-agent"

# 5. The bench itself (it kills every process it started on exit, failure or Ctrl-C).
dotnet bench/ReverseTunnel.Bench/bin/Release/net10.0/ReverseTunnel.Bench.dll "$@"
