namespace ReverseTunnel.Soak;

/// <summary>One process at one moment. <see cref="GcHeapMiB"/> is NaN until dotnet-counters has reported a collection.</summary>
internal sealed record Sample(double ElapsedSeconds, DateTime Utc, string Process, double RssMiB, int Fds, int ModuleFds, int Threads, double GcHeapMiB);
