using System.Net;
using System.Net.Http.Headers;
using Messaging.Gateway.Clients;
using Messaging.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Messaging.Gateway.Tests.Auth;

/// <summary>
/// Tokens that end when their client is revoked: every gateway reads the revoked clients every 30 s (a
/// <see cref="FakeTimeProvider"/> here, shared by the hosts) and refuses their tokens, keeps the last list while
/// PostgreSQL is unreachable, and does not start without one.
/// </summary>
public sealed class RevocationTests(AuthProbeHost host) : IClassFixture<AuthProbeHost>
{
    private static readonly TimeSpan PastTheRefresh = TimeSpan.FromSeconds(31);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RevokedClientsToken_IsRefusedByTwoGatewaysAfterTheirRefresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var first = WithClock(host.Factory, time);
        await using var second = WithClock(host.Factory, time);
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        var token = await RequestTokenAsync(first, clientId, secret);
        using var acceptedByFirst = await ProbeAsync(first, token);
        using var acceptedBySecond = await ProbeAsync(second, token);

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ClientsCommandLine.RunAsync(["revoke", clientId], stdout, stderr, host.HostConfiguration(), Cancellation);
        await AdvancePastTheRefreshAsync(time, first, second);
        using var refusedByFirst = await ProbeAsync(first, token);
        using var refusedBySecond = await ProbeAsync(second, token);

        Assert.Equal(HttpStatusCode.OK, acceptedByFirst.StatusCode);
        Assert.Equal(HttpStatusCode.OK, acceptedBySecond.StatusCode);
        Assert.True(exitCode == ClientsCommandLine.Success, stderr.ToString());
        foreach (var refused in new[] { refusedByFirst, refusedBySecond })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Bearer realm=\"messaging\", error=\"invalid_token\"", refused.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task TokenIssuedBeforeTokensValidAfter_IsRefused_AndALaterTokenOfTheClientAccepted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = WithClock(host.Factory, time);
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");
        var before = await RequestTokenAsync(gateway, clientId, secret);
        time.Advance(TimeSpan.FromSeconds(2));
        await SetTokensValidAfterAsync(clientId, time.GetUtcNow());

        await AdvancePastTheRefreshAsync(time, gateway);
        var after = await RequestTokenAsync(gateway, clientId, secret);
        using var refused = await ProbeAsync(gateway, before);
        using var accepted = await ProbeAsync(gateway, after);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task WhilePostgresIsUnreachable_TokensValidateLocally_AndTheLastListStaysInForce()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (revokedClient, secret) = await host.AddClientAsync("acme", "commands");
        var revokedToken = await host.RequestTokenAsync(revokedClient, secret);
        await host.Services.GetRequiredService<ClientStore>().RevokeAsync(revokedClient, GatewayHost.TestActor, Cancellation);
        var activeToken = await host.GetTokenAsync("acme", "commands");
        var postgres = new NpgsqlConnectionStringBuilder(host.PostgresConnectionString);
        await using var proxy = new TcpProxy(new IPEndPoint(IPAddress.Loopback, postgres.Port));
        postgres.Port = proxy.Port;
        postgres.Timeout = 2;
        postgres.Pooling = false;
        await using var gateway = WithClock(host.Factory, time, builder => builder.UseSetting("ConnectionStrings:Postgres", postgres.ConnectionString));
        using var revokedAtStart = await ProbeAsync(gateway, revokedToken); // the list was read at start

        proxy.Cut();
        await AdvancePastTheRefreshAsync(time, gateway); // this read fails
        using var revokedWhileDown = await ProbeAsync(gateway, revokedToken);
        using var activeWhileDown = await ProbeAsync(gateway, activeToken);

        Assert.Equal(HttpStatusCode.Unauthorized, revokedAtStart.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revokedWhileDown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, activeWhileDown.StatusCode);
    }

    [Fact]
    public async Task Gateway_ThatCannotReadTheRevokedClientsAtStart_DoesNotStart()
    {
        var configuration = host.HostConfiguration();
        configuration["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=messaging;Username=messaging;Password=messaging;Timeout=2";
        await using var factory = GatewayHost.CreateFactory(configuration, builder => builder.ConfigureTestServices(services =>
            services.Remove(services.Single(d => d.ImplementationType?.Name == "SchemaMigrationHostedService"))));

        var error = Assert.Throws<InvalidOperationException>(() => factory.Server);

        Assert.Contains("revoked clients", error.Message, StringComparison.Ordinal);
    }

    private static WebApplicationFactory<Program> WithClock(WebApplicationFactory<Program> factory, TimeProvider time, Action<IWebHostBuilder>? configure = null) =>
        factory.WithWebHostBuilder(builder =>
        {
            builder.ConfigureTestServices(services => services.AddSingleton(time));
            configure?.Invoke(builder);
        });

    /// <summary>Moves the clock past the 30 s refresh and waits until each gateway has attempted its read.</summary>
    private static async Task AdvancePastTheRefreshAsync(FakeTimeProvider time, params WebApplicationFactory<Program>[] gateways)
    {
        var attempts = gateways.Select(g => GatewayHost.RevocationRefresher(g.Services).NextAttempt).ToArray();
        time.Advance(PastTheRefresh);
        await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
    }

    private async Task SetTokensValidAfterAsync(string clientId, DateTimeOffset at)
    {
        await using var command = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "UPDATE clients SET tokens_valid_after = @at WHERE client_id = @id");
        command.Parameters.AddWithValue("id", clientId);
        command.Parameters.AddWithValue("at", at);
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Cancellation));
    }

    private static async Task<string> RequestTokenAsync(WebApplicationFactory<Program> gateway, string clientId, string secret)
    {
        using var http = gateway.CreateClient();
        using var response = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await TokenRequests.ReadJsonAsync(response)).GetString("access_token")!;
    }

    private static async Task<HttpResponseMessage> ProbeAsync(WebApplicationFactory<Program> gateway, string token)
    {
        using var http = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, AuthProbeHost.CommandsProbe);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, Cancellation);
    }
}
