using Messaging.Gateway.Clients;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Messaging.Gateway.Tests.Clients;

public sealed class ClientStoreTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private ClientStore Store => host.Services.GetRequiredService<ClientStore>();

    [Fact]
    public async Task Add_StoresOnlyAPepperedHmacOfTheSecret()
    {
        var created = await Store.AddAsync("acme", ["commands"], GatewayHost.TestActor, Cancellation);

        await using var connection = new NpgsqlConnection(host.PostgresConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT secret_hash FROM clients WHERE client_id = @id", connection);
        command.Parameters.AddWithValue("id", created.Client.ClientId);
        var stored = (string?)await command.ExecuteScalarAsync(Cancellation);

        Assert.NotNull(stored);
        Assert.StartsWith($"hmac-sha256${GatewayHost.TestSecretPepperId}$", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Secret, stored, StringComparison.Ordinal);
        Assert.True(host.Services.GetRequiredService<ClientSecretHasher>().Verify(created.Secret, stored));
    }

    [Fact]
    public async Task Find_ReturnsTheClientWithItsHash_AndNullForUnknownIds()
    {
        var created = await Store.AddAsync("acme", ["admin", "commands"], GatewayHost.TestActor, Cancellation);

        var found = await Store.FindAsync(created.Client.ClientId, Cancellation);
        var missing = await Store.FindAsync(ClientCredentials.NewClientId(), Cancellation);

        Assert.NotNull(found);
        Assert.Equal("acme", found.Client.Tenant);
        Assert.Equal(["admin", "commands"], found.Client.Scopes);
        Assert.False(found.Client.IsRevoked);
        Assert.Null(missing);
    }

    [Fact]
    public async Task Revoke_Twice_KeepsTheFirstRevocationTime_AndUnknownIdsReturnNull()
    {
        var created = await Store.AddAsync("acme", ["commands"], GatewayHost.TestActor, Cancellation);

        var first = await Store.RevokeAsync(created.Client.ClientId, GatewayHost.TestActor, Cancellation);
        var second = await Store.RevokeAsync(created.Client.ClientId, GatewayHost.TestActor, Cancellation);
        var unknown = await Store.RevokeAsync("cli_unknown", GatewayHost.TestActor, Cancellation);

        Assert.NotNull(first);
        Assert.Equal(first, second);
        Assert.Null(unknown);
        Assert.True((await Store.FindAsync(created.Client.ClientId, Cancellation))!.Client.IsRevoked);
    }

    [Theory]
    [InlineData("", "commands")]
    [InlineData("has space", "commands")]
    [InlineData("-leading-dash", "commands")]
    [InlineData("acme", "superuser")]
    [InlineData("acme", "")]
    public async Task Add_WithInvalidTenantOrScope_Throws(string tenant, string scope)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AddAsync(tenant, scope.Length == 0 ? [] : [scope], GatewayHost.TestActor, Cancellation));
    }
}
