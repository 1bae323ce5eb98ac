using System.Security.Cryptography;
using Messaging.Contracts;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Signing;
using Messaging.Store.Outbox;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Messaging.Workers.Tests.ExternalServices;

namespace Messaging.Workers.Tests.Execution;

/// <summary>
/// Commands the gateway published straight to RabbitMQ while PostgreSQL was down arrive without a status
/// row: the worker creates it from the message and its headers, reconciles the idempotency key, and runs it.
/// </summary>
public sealed class DirectlyPublishedCommandTests(WorkersHostFixture host) : IClassFixture<WorkersHostFixture>
{
    private const string Tenant = "tenant-direct";

    private static DateTimeOffset InAMinute => DateTimeOffset.UtcNow.AddMinutes(1);

    private static ChargePayment Charge(Guid id) => new()
    {
        CommandId = id,
        Tenant = Tenant,
        Amount = 12m,
        Currency = "EUR",
        CustomerId = "cus_direct",
        Description = "Direct",
    };

    // Signed as the gateway signs them, with the key every test host shares.
    private static readonly MessageSigner Signer = SignerWith(ServicesFixture.MessageSigningKey);

    private static MessageSigner SignerWith(string key) => new(new ServiceCollection()
        .Configure<MessageSigningOptions>(options => options.SigningKeys = [key])
        .BuildServiceProvider()
        .GetRequiredService<IOptionsMonitor<MessageSigningOptions>>());

    private static Dictionary<string, object?> Signed(ChargePayment message, Dictionary<string, object?> headers)
    {
        headers[MessageHeaders.Signature] = DirectCommandSignature.Sign(Signer, message, name => headers.GetValueOrDefault(name)?.ToString());
        return headers;
    }

    private static Dictionary<string, object?> DirectHeaders(string? key, byte[] hash) => new()
    {
        [MessageHeaders.Tenant] = Tenant,
        [MessageHeaders.Client] = "client-direct",
        [MessageHeaders.CommandType] = ChargePayment.TypeName,
        [MessageHeaders.Attempt] = "1",
        [MessageHeaders.Deadline] = InAMinute.UtcDateTime.ToString("O"),
        [MessageHeaders.AcceptedVia] = "direct",
        [MessageHeaders.IdempotencyKey] = key,
        [MessageHeaders.IdempotencyHash] = key is null ? null : Convert.ToBase64String(hash),
        [MessageHeaders.IdempotencyExpires] = key is null ? null : DateTimeOffset.UtcNow.AddHours(24).UtcDateTime.ToString("O"),
    };

    [Fact]
    public async Task DirectCommand_WithoutStatusRow_IsRecordedForItsTenant_ReconcilesItsKey_AndSucceeds()
    {
        var id = Guid.NewGuid();
        var key = "direct-" + Guid.NewGuid().ToString("N");
        var hash = SHA256.HashData(id.ToByteArray());

        await host.SendWithHeadersAsync(Charge(id), ChargePayment.TypeName, Signed(Charge(id), DirectHeaders(key, hash)));
        var row = await host.WaitForStatusAsync(id, "Succeeded");

        Assert.Equal(Tenant, row.Tenant);
        Assert.Equal("client-direct", row.ClientId);
        Assert.Equal(ChargePayment.TypeName, row.Type);
        Assert.Contains("cus_direct", row.PayloadJson, StringComparison.Ordinal);
        Assert.Single(host.Providers.Requests(ProviderStub.ChargesPath, id));

        await using var select = host.Database.CreateCommand(
            "SELECT command_id, request_hash, response_body::text FROM idempotency_keys WHERE tenant = @tenant AND key = @key");
        select.Parameters.AddWithValue("tenant", Tenant);
        select.Parameters.AddWithValue("key", key);
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken), "the key was not reconciled");
        Assert.Equal(id, reader.GetGuid(0));
        Assert.Equal(hash, reader.GetFieldValue<byte[]>(1));
        using var response = System.Text.Json.JsonDocument.Parse(reader.GetString(2));
        Assert.Equal("direct", response.RootElement.GetProperty("acceptedVia").GetString());
        Assert.Equal(id, response.RootElement.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task DirectCommand_WhoseKeyAnEarlierCommandHolds_IsMarkedFailedWithoutAProviderCall()
    {
        var earlier = Guid.NewGuid();
        var id = Guid.NewGuid();
        var key = "direct-dup-" + Guid.NewGuid().ToString("N");
        var hash = SHA256.HashData(earlier.ToByteArray());
        await using (var insert = host.Database.CreateCommand(
            """
            INSERT INTO idempotency_keys (tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at)
            VALUES (@tenant, @key, @hash, @command_id, 202, '{}'::jsonb, now(), now() + interval '1 day')
            """))
        {
            insert.Parameters.AddWithValue("tenant", Tenant);
            insert.Parameters.AddWithValue("key", key);
            insert.Parameters.AddWithValue("hash", hash);
            insert.Parameters.AddWithValue("command_id", earlier);
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await host.SendWithHeadersAsync(Charge(id), ChargePayment.TypeName, Signed(Charge(id), DirectHeaders(key, hash)));
        var row = await host.WaitForStatusAsync(id, "Failed");

        Assert.Equal("duplicate_request", row.ErrorCode);
        Assert.Contains(earlier.ToString(), row.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }

    public static TheoryData<string> Forgeries() => ["unsigned", "signed with another key", "tenant changed after signing", "amount changed after signing"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task AForgedDirectCommand_CreatesNothing_CallsNoProvider_AndIsADeadLetterWithoutATenant(string forgery)
    {
        // Anyone who can publish to the command exchange: a made-up command for a victim tenant, marked as published directly.
        var id = Guid.NewGuid();
        var message = Charge(id);
        var headers = DirectHeaders(null, []);
        switch (forgery)
        {
            case "signed with another key":
                var other = SignerWith(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
                headers[MessageHeaders.Signature] = DirectCommandSignature.Sign(other, message, name => headers.GetValueOrDefault(name)?.ToString());
                break;
            case "tenant changed after signing":
                Signed(message, headers);
                headers[MessageHeaders.Tenant] = "tenant-victim";
                message = message with { Tenant = "tenant-victim" };
                break;
            case "amount changed after signing":
                Signed(message, headers);
                message = message with { Amount = 9_999m };
                break;
        }

        await host.SendWithHeadersAsync(message, ChargePayment.TypeName, headers);
        var letter = await host.WaitForDeadLetterAsync("source = 'unsigned' AND body LIKE @id", ("id", $"%{id}%"));

        Assert.Null(letter.Tenant);
        Assert.Null(letter.CommandId);
        Assert.Null(await host.ReadCommandAsync(id));
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
        Assert.Empty(await host.DeadLettersAsync("tenant = @tenant AND body LIKE @id", ("tenant", message.Tenant), ("id", $"%{id}%")));
    }

    [Fact]
    public async Task CommandWithoutRow_NotMarkedDirect_IsNotRecordedOrExecuted()
    {
        var id = Guid.NewGuid();
        var headers = DirectHeaders(null, []);
        headers.Remove(MessageHeaders.AcceptedVia);

        await host.SendWithHeadersAsync(Charge(id), ChargePayment.TypeName, headers);
        await host.Consumed.WaitForAsync(id, 1);

        Assert.Null(await host.ReadCommandAsync(id));
        Assert.Empty(host.Providers.Requests(ProviderStub.ChargesPath, id));
    }
}
