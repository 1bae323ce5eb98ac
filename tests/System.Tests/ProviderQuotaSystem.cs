using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>A system of its own with two workers processes sharing the payments quota of <see cref="ProviderQuotaSettings"/>.</summary>
public sealed class ProviderQuotaSystem() : SystemFixture(new SystemSettings { Name = "quota", Workers = ProviderQuotaSettings.Apply })
{
    public ServiceProcess? SecondWorkers { get; private set; }

    /// <summary>Clients for both workers processes' own endpoints (health).</summary>
    public IReadOnlyList<HttpClient> WorkersClients { get; private set; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var (process, client) = await StartExtraWorkersAsync("workers-2");
        SecondWorkers = process;
        WorkersClients = [new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{WorkersPort}/"), Timeout = TimeSpan.FromSeconds(30) }, client];
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var client in WorkersClients)
        {
            client.Dispose();
        }

        if (SecondWorkers is not null)
        {
            await SecondWorkers.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
