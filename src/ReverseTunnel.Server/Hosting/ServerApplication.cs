using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReverseTunnel.Server.Certificates;
using ReverseTunnel.Server.Clients;
using ReverseTunnel.Server.Configuration;
using ReverseTunnel.Server.Diagnostics;
using ReverseTunnel.Server.Endpoints;
using ReverseTunnel.Server.Tunnels;

namespace ReverseTunnel.Server.Hosting;

/// <summary>Builds the ws-server application; used by <c>Program</c> and by the tests.</summary>
public static class ServerApplication
{
    // Kestrel's own request logs are noise for an operator; the server logs what matters itself.
    private static readonly Dictionary<string, string?> LoggingDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
    };

    /// <summary>
    /// Reads and validates the configuration, loads (or generates) the certificate and loads the
    /// clients file. The returned application is ready to run.
    /// </summary>
    /// <param name="args">Command-line arguments, such as <c>--Tunnel:ListenPort=8443</c>.</param>
    /// <param name="configure">Lets tests add configuration or logging before the build.</param>
    /// <exception cref="TunnelConfigurationException">The configuration is invalid; the message lists every problem.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });

        // Lowest precedence: appsettings.json, the environment and the command line all override these.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LoggingDefaults });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        configure?.Invoke(builder);

        TunnelOptions options = TunnelConfigurationReader.Read(builder.Configuration);
        AddServices(builder.Services, options);
        builder.WebHost.ConfigureKestrel(kestrel => KestrelSetup.Configure(kestrel, options));
        builder.WebHost.UseSockets(KestrelSetup.ConfigureSockets);

        WebApplication app = builder.Build();
        try
        {
            // Both may fail on bad input; failing here, before listening, gives exit code 2.
            app.Services.GetRequiredService<ServerCertificateProvider>().Load();
            app.Services.GetRequiredService<ClientRegistry>().Load();
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        WarnIfTunnelsReachableFromOutside(app, options);
        MapEndpoints(app);
        return app;
    }

    /// <summary>The wildcards are refused by validation; any other non-internal address may be deliberate, so it only warns.</summary>
    private static void WarnIfTunnelsReachableFromOutside(WebApplication app, TunnelOptions options)
    {
        System.Net.IPAddress address = System.Net.IPAddress.Parse(options.TunnelBindAddress);
        if (!InternalAddress.IsInternal(address))
        {
            ServerLog.TunnelBindAddressNotInternal(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerApplication).FullName!), address.ToString());
        }
    }

    private static void AddServices(IServiceCollection services, TunnelOptions options)
    {
        services.AddSingleton(Options.Create(options));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        services.AddMetrics();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ServerCertificateProvider>();
        services.AddSingleton<ClientRegistry>();
        services.AddSingleton<TunnelManager>();
        services.AddSingleton<AuthFailureLimiter>();
        services.AddSingleton<SessionAdmission>();
        services.AddSingleton<TunnelEndpoint>();
        services.AddHostedService<ListeningAnnouncer>();
        services.AddHostedService<TunnelShutdownService>();

        // Room for the drain plus the sessions' own close handshakes, so the host never cuts them short.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(10));
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.UseWebSockets();
        app.MapGet("/", HealthEndpoint.Handle);
        app.MapGet("/healthz", HealthEndpoint.Handle);
        TunnelEndpoint tunnel = app.Services.GetRequiredService<TunnelEndpoint>();
        app.Map(TunnelEndpoint.Path, (RequestDelegate)tunnel.HandleAsync);
    }
}
