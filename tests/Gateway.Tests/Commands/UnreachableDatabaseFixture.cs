using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// A gateway whose PostgreSQL is unreachable (nothing listens on 127.0.0.1:1), with the direct-publish
/// fallback turned off (<c>Commands:Fallback:DirectPublish=false</c>): the honest 503 when no second durable
/// path is allowed. The fallback itself is tested in <see cref="DirectPublishFallbackTests"/>.
/// </summary>
public sealed class UnreachableDatabaseFixture : IAsyncDisposable
{
    public UnreachableDatabaseFixture()
    {
        Factory = GatewayHost.CreateFactory(
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Password=messaging;Timeout=2",
                ["Auth:SigningKeys:0"] = GatewayHost.TestSigningKey,
                ["Auth:SecretPeppers:" + GatewayHost.TestSecretPepperId] = GatewayHost.TestSecretPepper,
                ["Messaging:SigningKeys:0"] = Messaging.Testing.ServicesFixture.MessageSigningKey,
                ["Outbox:Relay:Enabled"] = "false",
                ["Commands:Fallback:DirectPublish"] = "false",
                // The postgres breaker this host opens is shared through Redis: keep it to this fixture.
                ["Redis:KeyPrefix"] = "t" + Guid.NewGuid().ToString("N")[..12] + ":",
            },
            // Without a database the schema cannot be applied nor the revoked clients read; the API itself must cope.
            builder => builder.ConfigureTestServices(GatewayHost.RemoveStartupDatabaseReads));
    }

    internal WebApplicationFactory<Program> Factory { get; }

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}
