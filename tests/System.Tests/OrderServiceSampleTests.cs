using System.Diagnostics;
using System.Text.RegularExpressions;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>The sample in samples/OrderService, run as it is shipped, against the live system.</summary>
public sealed partial class OrderServiceSampleTests(SystemFixture system)
{
    private const string Tenant = "tenant-order-sample";

    [Fact]
    public async Task Sample_CommitsOneOrderWithItsCharge_WhichIsExecuted_AndRollsTheFailedOneBackWithoutTrace()
    {
        var sample = Path.Combine(RepositoryPaths.Root, "samples", "OrderService", "bin", RepositoryPaths.Configuration, "net10.0", "Messaging.OrderService.dll");
        var info = new ProcessStartInfo("dotnet", [sample])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(sample)!,
        };
        info.Environment["ConnectionStrings__Postgres"] = system.PostgresConnectionString;
        info.Environment["OrderService__Tenant"] = Tenant;

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, $"{output}\n{error}");
        Assert.Contains("rolled back: 0 order rows, 0 command rows, 0 outbox rows", output, StringComparison.Ordinal);
        var commandId = Guid.Parse(PlacedCommand().Match(output).Groups[1].Value);
        var token = await system.TokenAsync(Tenant);
        var final = await system.WaitForStatusAsync(token, commandId.ToString(), "Succeeded", TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", final.GetProperty("status").GetString());
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", commandId.ToString()));
    }

    [GeneratedRegex(@"placed order \S+: command (\S+) enqueued")]
    private static partial Regex PlacedCommand();
}
