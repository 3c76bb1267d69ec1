using Microsoft.Extensions.Logging;

namespace ReverseTunnel.Agent.Tests.Infrastructure;

/// <summary>One recorded log entry.</summary>
public sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message);
