using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Messaging.ServiceDefaults.Tests;

/// <summary>A real Kestrel host on a free loopback port, built with AddServiceDefaults + MapDefaultEndpoints.</summary>
internal sealed class TestApplication : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestApplication(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public FakeLogCollector Logs => _app.Services.GetRequiredService<FakeLogCollector>();

    public static async Task<TestApplication> StartAsync(
        IDictionary<string, string?>? configuration = null,
        string environment = "Production",
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<WebApplication>? configureApp = null,
        bool useExceptionHandler = true)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        builder.Logging.AddFakeLogging();
        configureBuilder?.Invoke(builder);
        builder.AddServiceDefaults();

        var app = builder.Build();
        if (useExceptionHandler)
        {
            app.UseDefaultExceptionHandler();
        }

        app.MapDefaultEndpoints();
        configureApp?.Invoke(app);
        await app.StartAsync(TestContext.Current.CancellationToken);

        // With Management:Urls Kestrel listens twice: the client talks to the public address.
        var management = configuration?.TryGetValue("Management:Urls", out var urls) == true ? urls : null;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Single(a => management is null || !management.Contains(":" + new Uri(a).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        return new TestApplication(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
