using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Gateway.Clients;
using Messaging.Resilience.Signing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Gateway.Tests.Clients;

/// <summary>
/// <c>clients add --callback-url</c> and <c>clients rotate-callback-secret</c>: a callback signing secret per client, shown once,
/// stored encrypted under <c>Callbacks:SecretKeys</c>, both secrets signing during a rotation's grace period.
/// </summary>
public sealed class ClientCallbackSecretsTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private const string Tenant = "callback-clients";
    private static readonly string Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IDictionary<string, string?> WithCallbacks(bool keys = true)
    {
        var configuration = host.HostConfiguration();
        configuration[$"Tenants:{Tenant}:CallbackOrigins:0"] = "https://hooks.example.com";
        if (keys)
        {
            configuration["Callbacks:SecretKeys:k1"] = Key;
            configuration["Callbacks:CurrentSecretKey"] = "k1";
        }

        return configuration;
    }

    private static readonly CallbackSecretProtector Protector = new(Options.Create(new CallbackSecretKeysOptions
    {
        SecretKeys = new(StringComparer.Ordinal) { ["k1"] = Key },
        CurrentSecretKey = "k1",
    }));

    [Fact]
    public async Task Add_WithACallbackUrl_PrintsTheCallbackSecretOnce_AndStoresItEncrypted()
    {
        var (exitCode, stdout, stderr) = await RunAsync(WithCallbacks(), "add", "--tenant", Tenant, "--scopes", "commands",
            "--callback-url", "https://HOOKS.example.com/done");

        Assert.True(exitCode == ClientsCommandLine.Success, stderr);
        using var json = JsonDocument.Parse(stdout);
        var clientId = json.RootElement.GetProperty("clientId").GetString()!;
        var secret = json.RootElement.GetProperty("callbackSecret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal("https://hooks.example.com/done", json.RootElement.GetProperty("callbackUrl").GetString());
        Assert.Equal("https://hooks.example.com/done", await ScalarAsync<string>("SELECT callback_url FROM clients WHERE client_id = @id", clientId));

        var stored = Assert.Single(await StoredSecretsAsync(clientId));
        Assert.Null(stored.RetiresAt);
        Assert.Equal("k1", stored.Secret.KeyId);
        Assert.True(stored.Secret.Ciphertext.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0);
        Assert.Equal(secret, Protector.Unprotect(stored.Secret, clientId));

        var (_, list, _) = await RunAsync(WithCallbacks(), "list");
        Assert.DoesNotContain(secret, list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_WithKeysButNoCallbackUrl_StillGivesTheClientASecret()
    {
        var (exitCode, stdout, _) = await RunAsync(WithCallbacks(), "add", "--tenant", Tenant, "--scopes", "commands");

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        using var json = JsonDocument.Parse(stdout);
        Assert.StartsWith("whsec_", json.RootElement.GetProperty("callbackSecret").GetString(), StringComparison.Ordinal);
        Assert.False(json.RootElement.TryGetProperty("callbackUrl", out _));
    }

    [Theory]
    [InlineData("https://evil.example.com/done")]
    [InlineData("https://user:pw@hooks.example.com/done")]
    [InlineData("not a url")]
    public async Task Add_WithACallbackUrlOffTheAllowList_FailsAndAddsNothing(string url)
    {
        var before = await ScalarAsync<long>("SELECT count(*) FROM clients WHERE tenant = @id", Tenant);

        var (exitCode, stdout, stderr) = await RunAsync(WithCallbacks(), "add", "--tenant", Tenant, "--scopes", "commands", "--callback-url", url);

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Empty(stdout);
        Assert.Contains("--callback-url", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await ScalarAsync<long>("SELECT count(*) FROM clients WHERE tenant = @id", Tenant));
    }

    [Fact]
    public async Task Add_WithACallbackUrl_WithoutSecretKeys_FailsNamingTheKeys()
    {
        var (exitCode, _, stderr) = await RunAsync(WithCallbacks(keys: false), "add", "--tenant", Tenant, "--scopes", "commands",
            "--callback-url", "https://hooks.example.com/done");

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Contains("Callbacks:SecretKeys", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_GivesANewSecret_AndTheOldOneSignsUntilTheGraceEnds()
    {
        var (_, added, _) = await RunAsync(WithCallbacks(), "add", "--tenant", Tenant, "--scopes", "commands");
        using var addedJson = JsonDocument.Parse(added);
        var clientId = addedJson.RootElement.GetProperty("clientId").GetString()!;
        var first = addedJson.RootElement.GetProperty("callbackSecret").GetString()!;

        var start = DateTimeOffset.UtcNow;
        var (exitCode, stdout, stderr) = await RunAsync(WithCallbacks(), "rotate-callback-secret", clientId, "--grace", "2h");

        Assert.True(exitCode == ClientsCommandLine.Success, stderr);
        using var json = JsonDocument.Parse(stdout);
        var second = json.RootElement.GetProperty("callbackSecret").GetString()!;
        Assert.NotEqual(first, second);
        var retiresAt = json.RootElement.GetProperty("previousSecretRetiresAt").GetDateTimeOffset();
        Assert.InRange(retiresAt - start, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1), TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));

        var stored = await StoredSecretsAsync(clientId);
        Assert.Equal(2, stored.Count);
        Assert.Equal(second, Protector.Unprotect(Assert.Single(stored, s => s.RetiresAt is null).Secret, clientId));
        Assert.Equal(first, Protector.Unprotect(Assert.Single(stored, s => s.RetiresAt is not null).Secret, clientId));

        // A second rotation without grace retires both earlier secrets at once; only the newest signs.
        var (again, _, _) = await RunAsync(WithCallbacks(), "rotate-callback-secret", clientId, "--grace=0s");
        Assert.Equal(ClientsCommandLine.Success, again);
        var now = DateTimeOffset.UtcNow.AddSeconds(1);
        Assert.Single(await StoredSecretsAsync(clientId), s => s.RetiresAt is null || s.RetiresAt > now);

        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM audit WHERE target = @id AND action = 'client.rotate-callback-secret'", clientId));
    }

    [Fact]
    public async Task Rotate_ForAnUnknownClient_Fails()
    {
        var (exitCode, _, stderr) = await RunAsync(WithCallbacks(), "rotate-callback-secret", "cli_unknown");

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Contains("cli_unknown", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rotate-callback-secret")]
    [InlineData("rotate-callback-secret", "--grace", "2h")]
    [InlineData("rotate-callback-secret", "cli_x", "--grace", "2 hours")]
    [InlineData("rotate-callback-secret", "cli_x", "--grace", "31d")]
    [InlineData("rotate-callback-secret", "cli_x", "--grace")]
    [InlineData("rotate-callback-secret", "cli_x", "extra")]
    [InlineData("add", "--operator", "--callback-url", "https://hooks.example.com/done")]
    [InlineData("add", "--tenant", "t", "--scopes", "commands", "--callback-url", "https://a.example.com", "--callback-url", "https://b.example.com")]
    public void Parse_RefusesMalformedCallbackArguments(params string[] args) =>
        Assert.IsType<ClientsCommandLine.Invalid>(ClientsCommandLine.Parse(args));

    [Theory]
    [InlineData("0s", 0)]
    [InlineData("90m", 5400)]
    [InlineData("24h", 86400)]
    [InlineData("7d", 604800)]
    public void ParseDuration_TakesAWholeNumberAndAUnit(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ClientsCommandLine.ParseDuration(text));

    private async Task<List<(ProtectedCallbackSecret Secret, DateTimeOffset? RetiresAt)>> StoredSecretsAsync(string clientId)
    {
        await using var connection = new NpgsqlConnection(host.PostgresConnectionString);
        await connection.OpenAsync(Ct);
        await using var select = new NpgsqlCommand("SELECT key_id, ciphertext, retires_at FROM client_callback_secrets WHERE client_id = @id", connection);
        select.Parameters.AddWithValue("id", clientId);
        await using var reader = await select.ExecuteReaderAsync(Ct);
        var rows = new List<(ProtectedCallbackSecret, DateTimeOffset?)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((new ProtectedCallbackSecret(reader.GetString(0), reader.GetFieldValue<byte[]>(1)),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return rows;
    }

    private async Task<T> ScalarAsync<T>(string sql, string id)
    {
        await using var connection = new NpgsqlConnection(host.PostgresConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IDictionary<string, string?> configuration, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ClientsCommandLine.RunAsync(args, stdout, stderr, configuration, Ct);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
