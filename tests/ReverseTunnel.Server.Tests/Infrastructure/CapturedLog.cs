using Microsoft.Extensions.Logging;

namespace ReverseTunnel.Server.Tests.Infrastructure;

/// <summary>One captured log line.</summary>
internal sealed record CapturedLog(string Category, LogLevel Level, int EventId, string Message, string? Exception);
