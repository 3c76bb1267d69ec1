using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ReverseTunnel.Agent.Diagnostics;

/// <summary>The agent's logging: one line per event on stdout, UTC timestamp first (what <c>docker logs</c> shows).</summary>
public static class ConsoleLogging
{
    /// <summary>Creates the logger factory. Dispose it before exiting: the console logger writes on a background thread.</summary>
    public static ILoggerFactory Create(LogLevel minimumLevel) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimumLevel);
        builder.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            options.IncludeScopes = false;
            options.ColorBehavior = LoggerColorBehavior.Disabled;
        });
    });
}
