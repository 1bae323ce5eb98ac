using Messaging.Gateway.Clients;
using Messaging.Gateway.Tests.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.Clients;

public sealed class ClientStoreRehashTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private ClientStore Store => host.Services.GetRequiredService<ClientStore>();

    [Fact]
    public async Task Rehash_OfTheHashThatVerified_ReplacesItByAnHmacThatVerifies()
    {
        var created = await Store.AddAsync("acme", ["commands"], GatewayHost.TestActor, Cancellation);
        var legacy = LegacyHashes.Pbkdf2(created.Secret, iterations: 1_000);
        await LegacyHashes.StoreAsync(host.PostgresConnectionString, created.Client.ClientId, legacy);

        var replaced = await Store.RehashAsync(created.Client.ClientId, created.Secret, legacy, Cancellation);

        Assert.True(replaced);
        var stored = (await Store.FindAsync(created.Client.ClientId, Cancellation))!.SecretHash;
        Assert.StartsWith($"hmac-sha256${GatewayHost.TestSecretPepperId}$", stored, StringComparison.Ordinal);
        Assert.True(host.Services.GetRequiredService<ClientSecretHasher>().Verify(created.Secret, stored));
    }

    [Fact]
    public async Task Rehash_AfterTheHashChanged_ChangesNothing()
    {
        // Two concurrent uses of a legacy client: the first re-hash wins, the second finds its old hash gone.
        var created = await Store.AddAsync("acme", ["commands"], GatewayHost.TestActor, Cancellation);
        var legacy = LegacyHashes.Pbkdf2(created.Secret, iterations: 1_000);
        await LegacyHashes.StoreAsync(host.PostgresConnectionString, created.Client.ClientId, legacy);
        Assert.True(await Store.RehashAsync(created.Client.ClientId, created.Secret, legacy, Cancellation));
        var afterFirst = (await Store.FindAsync(created.Client.ClientId, Cancellation))!.SecretHash;

        var second = await Store.RehashAsync(created.Client.ClientId, created.Secret, legacy, Cancellation);

        Assert.False(second);
        Assert.Equal(afterFirst, (await Store.FindAsync(created.Client.ClientId, Cancellation))!.SecretHash);
    }
}
