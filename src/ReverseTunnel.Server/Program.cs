using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReverseTunnel.Protocol.Bridging;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Diagnostics;
using ReverseTunnel.Server.Hosting;

if (args.Length > 0 && args[0] == HashTokenCommand.Name)
{
    return HashTokenCommand.Run(args[1..], Console.In, Console.Out, Console.Error);
}

InlineSocketCompletions.EnableUnlessConfigured();
SocketEngineThreads.SetUnlessConfigured(SocketEngineThreads.ServerDefault);
WebApplication app;
try
{
    app = ServerApplication.Build(args);
}
catch (TunnelConfigurationException ex)
{
    Console.Error.WriteLine($"ws-server: {ex.Message}");
    return ExitCodes.InvalidConfiguration;
}

await using (app)
{
    try
    {
        await app.RunAsync();
        return ExitCodes.Success;
    }
    catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or InvalidOperationException)
    {
        // Typically the HTTPS port is taken or needs privileges (ports below 1024 on Linux).
        ServerLog.StartupFailed(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ReverseTunnel.Server"), ex.Message);
        return ExitCodes.UnexpectedError;
    }
}
