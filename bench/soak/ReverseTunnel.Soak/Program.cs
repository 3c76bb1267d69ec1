using System.Diagnostics;
using ReverseTunnel.Reliability.Tests.Harness;
using ReverseTunnel.Reliability.Tests.Traffic;
using ReverseTunnel.Soak;

// The soak: the reliability tests' load mix for --minutes, sampled every --interval seconds.
// Exit code: 0 no violation and no growth; 1 transfers broke the rule; 2 a resource grew after warm-up.
SoakOptions options = SoakOptions.Parse(args);
void Log(string line) => Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {line}");

Log($"soak: {options.Minutes} min, {options.Clients} clients, sample every {options.SampleInterval.TotalSeconds} s, warm-up {options.WarmUp.TotalSeconds} s");
await using ReliabilityEnvironment env = await ReliabilityEnvironment.StartAsync(3, Log, agentLogLevel: "Information", serverStreamLogs: false);

// Recorded: the server, the agent whose connection is cut now and then, and an undisturbed one.
// Agent 2 is killed and replaced now and then: its pid changes, so it is not a series.
(string Name, Func<int> Pid)[] recorded =
[
    ("ws-server", () => env.Server.Id),
    ("ws-agent (cut)", () => env.Slots[0].Agent.Id),
    ("ws-agent (steady)", () => env.Slots[1].Agent.Id),
];
string countersDirectory = Directory.CreateTempSubdirectory("rt-soak-counters-").FullName;
List<CountersSession> counters = [.. recorded.Select(r => CountersSession.Start(options.CountersTool, r.Name.Replace(' ', '-').Replace("(", "").Replace(")", ""), r.Pid(), options.SampleInterval, options.Duration + TimeSpan.FromSeconds(10), countersDirectory))];

// Descriptors and threads are judged idle, before the load and after it (see Metric).
Dictionary<string, (int Fds, int Threads)> IdleCounts() => recorded.ToDictionary(r => r.Name, r =>
{
    ProcessResources resources = ProcessResources.Read(r.Pid());
    return (resources.Fds, resources.Threads);
});
Dictionary<string, (int Fds, int Threads)> idleBefore = IdleCounts();

var mix = new LoadMix([.. env.Slots.Select(s => s.TunnelPort)], options.Clients);
var cuts = new FaultInjector(env, env.Slots[0], options.CutInterval, FaultKinds.Cut, Log);
var kills = new FaultInjector(env, env.Slots[2], options.AgentKillInterval, FaultKinds.AgentKill, Log);
using var stopFaults = new CancellationTokenSource();
DateTime startedUtc = DateTime.UtcNow;
var elapsed = Stopwatch.StartNew();
Task load = mix.RunAsync(options.Duration);
Task faults = Task.WhenAll(cuts.RunAsync(stopFaults.Token), kills.RunAsync(stopFaults.Token));

var samples = new List<Sample>();
TimeSpan nextProgress = TimeSpan.FromMinutes(1);
for (TimeSpan due = TimeSpan.Zero; elapsed.Elapsed < options.Duration; due += options.SampleInterval)
{
    if (due > elapsed.Elapsed)
    {
        await Task.Delay(due - elapsed.Elapsed);
    }

    foreach ((string name, Func<int> pid) in recorded)
    {
        ProcessResources r = ProcessResources.Read(pid());
        samples.Add(new Sample(elapsed.Elapsed.TotalSeconds, DateTime.UtcNow, name, r.RssKiB / 1024.0, r.Fds, r.ModuleFds, r.Threads, double.NaN));
    }

    if (elapsed.Elapsed >= nextProgress)
    {
        nextProgress += TimeSpan.FromMinutes(1);
        Log($"{elapsed.Elapsed.TotalMinutes:F0} min: {mix.Tally.Transfers} transfers, {mix.Tally.Violations} violations, {mix.InFlight} in flight; {string.Join("; ", samples.TakeLast(recorded.Length).Select(s => $"{s.Process} {s.RssMiB:F0} MiB {s.Fds} fds {s.Threads} threads"))}");
    }
}

await stopFaults.CancelAsync();
await faults;
Log("load: time is up; waiting for the transfers in flight");
while (await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10))) != load)
{
    Log($"load: {mix.InFlight} transfer(s) still in flight");
}

await load;

// Idle again: closed connections and retired pool threads (they retire after ~20 s) may take a
// moment to go; wait up to a minute for every count to come back within its allowance.
Dictionary<string, (int Fds, int Threads)> idleAfter = IdleCounts();
for (var settle = Stopwatch.StartNew(); settle.Elapsed < TimeSpan.FromSeconds(60)
    && idleAfter.Any(a => a.Value.Fds > idleBefore[a.Key].Fds + 3 || a.Value.Threads > idleBefore[a.Key].Threads + 8);)
{
    await Task.Delay(TimeSpan.FromSeconds(1));
    idleAfter = IdleCounts();
}

Log($"idle: {string.Join("; ", recorded.Select(r => $"{r.Name} fds {idleBefore[r.Name].Fds} -> {idleAfter[r.Name].Fds}, threads {idleBefore[r.Name].Threads} -> {idleAfter[r.Name].Threads}"))}");
foreach (CountersSession session in counters)
{
    await session.WaitAsync(TimeSpan.FromSeconds(30));
}

// Each sample gets the GC heap that dotnet-counters last reported for its process at that time.
foreach ((CountersSession session, string name) in counters.Zip(recorded.Select(r => r.Name)))
{
    IReadOnlyList<(DateTime Utc, double HeapMiB)> heap = session.ReadHeap();
    for (int i = 0; i < samples.Count; i++)
    {
        Sample s = samples[i];
        if (s.Process == name && heap.LastOrDefault(h => h.Utc <= s.Utc.AddSeconds(options.SampleInterval.TotalSeconds / 2)) is { Utc.Ticks: > 0 } latest)
        {
            samples[i] = s with { GcHeapMiB = latest.HeapMiB };
        }
    }
}

TransferTally tally = mix.Tally;
var run = new SoakRun(options, startedUtc, elapsed.Elapsed, [.. recorded.Select(r => r.Name)], samples, tally.ToString(), tally.Violations,
    tally.Count(TransferOutcome.Completed), tally.BytesChecked, cuts.Cuts, kills.AgentKills,
    env.Slots.Sum(s => s.Target.TruncatedRequests), kills.TruncatedDuringAgentKills, idleBefore, idleAfter);
Report.WriteCsv(options.CsvPath, samples);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.SvgPath))!);
File.WriteAllText(options.SvgPath, SvgPlot.Render(samples, run.Processes, options.WarmUp, $"Soak, {options.Minutes:0.#} min, {options.Clients} clients, 3 agents"));
IReadOnlyList<TrendRow> trends = Report.Trends(run);
Report.WriteDocSection(run, trends);

Log($"traffic: {tally}");
Log($"faults: {cuts.Cuts} cuts, {kills.AgentKills} agent kills; requests truncated at targets: {run.TruncatedAtTargets} ({run.TruncatedDuringAgentKills} during agent kills)");
foreach (TrendRow t in trends)
{
    Log($"{t.Process,-18} {t.Metric.Name,-9} start {t.Start,8:F1} after warm-up {t.AfterWarmUp,8:F1} end {t.End,8:F1} slope {t.SlopePerHour,9:F2}/h level {t.MiddleLevel,8:F1} -> {t.LastLevel,8:F1} {(t.Grows ? "GROWS" : "flat")}");
}

Log($"wrote {options.CsvPath}, {options.SvgPath}, {options.DocPath}");
return tally.Violations > 0 ? 1 : trends.Any(t => t.Grows) ? 2 : 0;
