namespace ReverseTunnel.Reliability.Tests.Faults;

/// <summary>Bytes read from one side, to be written to the other no earlier than <see cref="Due"/> (Stopwatch ticks).</summary>
internal readonly record struct ProxyChunk(byte[] Buffer, int Length, long Due);
