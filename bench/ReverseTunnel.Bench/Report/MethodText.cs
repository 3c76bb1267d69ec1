namespace ReverseTunnel.Bench.Report;

/// <summary>The "Benchmark" section of docs/benchmarks.md: how each figure is measured.</summary>
internal static class MethodText
{
    public static string Render(BenchOptions o) => $"""
        ## Benchmark

        `bench/run.sh` installs what is missing (`apt-get install iperf3 wrk nginx-light openssh-server
        openssh-client haproxy`), raises `ulimit -n` as far as the machine allows, builds ws-server, ws-agent and
        the bench (`bench/ReverseTunnel.Bench`) in Release, and runs the bench. All traffic stays on
        127.0.0.1; every process the bench starts is killed when it ends, fails or is interrupted.
        `bash bench/run.sh --smoke` (what CI can run) does one short repetition, 1,000 idle connections,
        and writes its report to a temp dir instead of here.

        **Paths**, measured side by side in every repetition (each figure runs on all five paths
        before the next figure starts):

        - *direct*: the client connects to the target itself.
        - *tunnel*: the real ws-server (TLS on a free loopback port, a temp data directory and
          clients.json) and one real ws-agent per target (pinned to the server's certificate
          fingerprint); the client connects to the tunnel port.
        - *ssh -N*: Debian's sshd on a loopback port (generated sshd_config, throwaway host and user
          keys in a temp dir; /etc/ssh and ~/.ssh are never used) and
          `ssh -N -R 127.0.0.1:FWD:127.0.0.1:TARGET root@127.0.0.1` (default cipher), one `-R` per target.
          In this mode sshd never sets TCP_NODELAY.
        - *ssh -tt*: the same with `ssh -tt … exec sleep infinity`, an interactive session (stdin a pipe
          kept open), in which sshd sets TCP_NODELAY.
        - *haproxy*, a reference and not a target: Debian's HAProxy in TCP mode with one thread
          (`nbthread 1`), one `listen` per target, no TLS and no multiplexing. It is about the least a
          relay written in C costs on this machine; its one process is counted in the ws-server
          (sshd) rows and the "both ends" rows. The ratios and targets compare the tunnel with ssh -tt.

        **Targets**: `iperf3 -s`, nginx (2 workers, access log off, a 1 KiB file) and a C# TCP echo server
        (NoDelay; it runs in a child process because the open-file limit of one process could not hold
        both ends of 10,000 connections).

        **Figures**: every repetition starts fresh ws-server, ws-agent, sshd and ssh processes and sends
        unrecorded warm-up traffic through each path (1 s of iperf3, 1 s of wrk keep-alive, 1 s of wrk
        with `Connection: close`) so that JIT compilation does not land in the first figure. Each cell of the table is the median over {o.Reps}
        repetition(s), with (min–max) when there are several. The machine is not reserved for the
        bench: the load average at start and end is in the header.

        1. **Throughput**: `iperf3 -c … -t {o.IperfSeconds} -J`, one stream and `-P 8`, normal (client to
           target) and `-R` (target to client); Gbit/s from `end.sum_received`.
           **Over a 50 ms round trip**, after the other figures: one stream each way, through a fresh
           ws-server and ws-agent whose connection to each other, and a fresh sshd and ssh -tt whose
           connection to each other, cross a relay in the bench that holds every chunk 25 ms in each
           direction (`Infra/DelayRelay.cs`; the kernel here has no netem); Mbit/s. TCP between the
           relay and each end sees loopback, so only windows that span the relay (the tunnel's stream
           windows, ssh's channel windows) feel the delay, and there is no direct figure.
        2. **Ping-pong**: one connection to the echo server, NoDelay, blocking send/receive of 64 bytes on one
           thread; {o.PingWarmup:N0} warm-up round trips, then {o.PingRoundTrips:N0} timed with Stopwatch; p50 and
           p99 (nearest rank). "Added to direct" is the path's p50 minus direct's p50 in the same repetition.
        3. **HTTP keep-alive**: `wrk -t2 -c64 -d{o.WrkSeconds}s --latency http://127.0.0.1:PORT/1k.bin`; req/s and
           the 99% latency line. Socket errors or non-2xx answers wrk reports are listed under Notes.
        4. **New connections per second**: the same with `-c32 -H "Connection: close"`, so every request is a
           new TCP connection through the path (and, through a forwarder, a new connection to nginx).
           With 3 and 4: the CPU time (as in 6) of ws-server and nginx's ws-agent, or of sshd and ssh,
           over the wrk run, per request; and how busy the machine's CPUs were meanwhile (/proc/stat:
           all but idle and iowait). Every process shares the same cores here, so requests per second
           is both what the path costs and how much of the machine its chain of processes keeps busy.
           Also the kernel's CPU time per request on the whole machine (/proc/stat: system, irq and
           softirq, every process): direct's figure is what wrk and nginx cost the kernel, and a path's
           figure above it is the kernel work that the path adds, which no change in user space removes.
        5. **Idle connections**: {o.IdleConnections:N0} connections to the echo server, opened in batches of
           {o.IdleBatch:N0} ({o.IdleParallelism} connects in flight), each proving itself with a 1-byte echo and then
           left open. Reported: connections that failed; the RSS growth (VmRSS from /proc) of ws-server +
           ws-agent, or of sshd (listener and session processes) + ssh, divided by the connections open,
           read after a settle of {o.Settle.TotalSeconds:0} s; the opening rate of the first and of the last batch
           (connections that echoed, per second: a refused connection is not counted).
           Direct shows the rate only.
        6. **CPU seconds per GB**: utime + stime (from /proc/PID/stat, over `getconf CLK_TCK`) of ws-server
           and of the iperf3 target's ws-agent, or of sshd (all its processes) and ssh, over the two one-stream
           iperf3 runs, divided by the GB (10⁹ bytes) iperf3 received in them. ws-server runs as
           `dotnet ws-server.dll`; ws-agent as the Native AOT program that its Dockerfile ships
           (`dotnet publish -c Release -r linux-x64`, done by bench/run.sh; `TUNNEL_BENCH_AGENT` names it).
        7. **Idle RSS**: a fresh ws-server with one connected ws-agent session that has carried no traffic,
           read {o.Settle.TotalSeconds:0} s after the agent connected; for ssh, the repetition's sshd (with its
           session) and ssh client before any traffic.

        **Targets and "met?"** come from issue 3 and are judged on medians: throughput ≥ 1.5× the better
        ssh mode and ≥ 0.27× direct; p50 added to direct no more than ssh -tt's, p99 below 2× ssh -tt's;
        keep-alive req/s ≥ 1.2× ssh -tt with p99 under 3 ms; new connections ≥ 2× ssh -tt; idle connections
        all succeed with ≤ 32 KiB per connection (server and agent together) and the last batch opening at
        ≥ 0.8× the first batch's rate; ws-agent idle RSS ≤ 25 MiB.
        """;
}
