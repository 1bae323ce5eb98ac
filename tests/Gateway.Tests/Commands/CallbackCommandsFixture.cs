namespace Messaging.Gateway.Tests.Commands;

/// <summary>The commands API with callback origins for <see cref="Tenant"/> only (and none for every other tenant).</summary>
public sealed class CallbackCommandsFixture : CommandsApiFixture
{
    /// <summary>The tenant whose callbacks may go to <see cref="Origin"/> and <see cref="LoopbackOrigin"/>.</summary>
    public const string Tenant = "tenant-callbacks";

    public const string Origin = "https://hooks.example.com";
    public const string LoopbackOrigin = "http://127.0.0.1:5099";

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration[$"Tenants:{Tenant}:CallbackOrigins:0"] = Origin;
        configuration[$"Tenants:{Tenant}:CallbackOrigins:1"] = LoopbackOrigin;
        return configuration;
    }
}
