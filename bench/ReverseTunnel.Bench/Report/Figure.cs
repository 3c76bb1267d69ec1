namespace ReverseTunnel.Bench.Report;

/// <summary>Every row of the results table, in table order.</summary>
internal enum Figure
{
    Iperf1Up,
    Iperf1Down,
    Iperf8Up,
    Iperf8Down,
    LongLinkUp,
    LongLinkDown,
    PingP50,
    PingP50Added,
    PingP99,
    HttpRps,
    HttpP99,
    HttpCpu,
    HttpBusy,
    HttpKernel,
    NewConns,
    NewConnCpu,
    NewConnBusy,
    NewConnKernel,
    IdleFailures,
    IdleRssPerConn,
    IdleRateFirst,
    IdleRateLast,
    CpuServer,
    CpuAgent,
    CpuTotal,
    IdleRssServer,
    IdleRssAgent,
}
