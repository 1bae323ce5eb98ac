using System.Net;
using System.Text.Json;
using Messaging.Testing.Harness;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary>The client against the real Gateway (with Workers and FakeServices) as separate processes.</summary>
public sealed class LiveClientTests(SystemFixture system)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_RetriedAcrossAGatewayRestart_CreatesOneCommand_WithOneEffect()
    {
        const string tenant = "tenant-client-restart";
        var (gateway, http) = await system.StartExtraGatewayAsync("gateway-client-restart", _ => { });
        await using var gatewayProcess = gateway;
        var baseAddress = http.BaseAddress!;
        http.Dispose();
        var credentials = await LiveGateway.CredentialsAsync(system, tenant);

        // The first attempt reaches the gateway and is committed; then the gateway dies before the client
        // reads the answer (SIGKILL) and is started again. The client's retries meet a closed port until
        // the new process listens, and then land with the same key.
        var recorder = new AttemptRecorder(async (firstResponse, cancellationToken) =>
        {
            var body = await firstResponse.Content.ReadAsStringAsync(cancellationToken);
            gateway.Kill();
            gateway.Start();
            return body;
        });
        var client = LiveGateway.CreateClient(baseAddress, credentials,
            options =>
            {
                options.MaxRetryAttempts = 60;
                options.RetryDelay = TimeSpan.FromMilliseconds(200);
                options.MaxRetryDelay = TimeSpan.FromSeconds(1);
            },
            () => recorder);

        var accepted = await client.SendAsync(new PaymentsCharge(21.50m, "EUR", "cus_restart", "client restart test"), cancellationToken: Ct);

        using var first = JsonDocument.Parse(recorder.FirstAnswer!);
        Assert.Equal(first.RootElement.GetProperty("id").GetGuid(), accepted.Id);
        Assert.True(accepted.Replayed);
        Assert.Equal("outbox", accepted.AcceptedVia);
        Assert.True(recorder.ConnectionFailures > 0, "the retries should have met the stopped gateway");
        Assert.Single(recorder.Keys.Distinct());
        Assert.Equal(accepted.IdempotencyKey, recorder.Keys[0]);
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @tenant AND idempotency_key = @key",
            ("tenant", tenant), ("key", accepted.IdempotencyKey)));

        var final = await client.WaitForCompletionAsync(accepted.Id, TimeSpan.FromSeconds(60), cancellationToken: Ct);
        Assert.Equal(CommandStatus.Succeeded, final.Status);
        Assert.False(final.Stale);
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", accepted.Id.ToString()));
    }

    [Fact]
    public async Task Send_WithAReusedKeyAndAnotherBody_Fails422_WithoutARetry()
    {
        var credentials = await LiveGateway.CredentialsAsync(system, "tenant-client-422");
        var recorder = new AttemptRecorder();
        var client = LiveGateway.CreateClient(system.GatewayUrl, credentials, handler: () => recorder);
        var key = "client-422-" + Guid.NewGuid().ToString("N");
        await client.SendAsync(new PaymentsCharge(5m, "EUR", "cus_422"), new SendOptions { IdempotencyKey = key }, Ct);
        var attemptsBefore = recorder.Keys.Count;

        var error = await Assert.ThrowsAsync<MessagingClientException>(() =>
            client.SendAsync(new PaymentsCharge(6m, "EUR", "cus_422"), new SendOptions { IdempotencyKey = key }, Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("Idempotency key reused", error.ProblemTitle);
        Assert.False(string.IsNullOrEmpty(error.TraceId));
        Assert.Equal(attemptsBefore + 1, recorder.Keys.Count);
    }

    [Fact]
    public async Task WaitForCompletion_ReturnsTheTerminalStatus_WithResultOrError()
    {
        var credentials = await LiveGateway.CredentialsAsync(system, "tenant-client-wait");
        var client = LiveGateway.CreateClient(system.GatewayUrl, credentials);
        var seen = new List<CommandStatus>();
        var progress = new SynchronousProgress<CommandInfo>(info => seen.Add(info.Status));

        var charged = await client.SendAsync(new PaymentsCharge(12.50m, "EUR", "cus_wait", "wait test"), new SendOptions { Timeout = TimeSpan.FromMinutes(5) }, Ct);
        var declined = await client.SendAsync(new PaymentsCharge(3m, "USD", "cus_declined"), cancellationToken: Ct);
        var succeeded = await client.WaitForCompletionAsync(charged.Id, TimeSpan.FromSeconds(60), progress, Ct);
        var failed = await client.WaitForCompletionAsync(declined.Id, TimeSpan.FromSeconds(60), cancellationToken: Ct);

        Assert.Equal(CommandStatus.Succeeded, succeeded.Status);
        Assert.Equal(JsonValueKind.Object, succeeded.Result!.Value.ValueKind);
        Assert.Equal(charged.Id, succeeded.Id);
        Assert.NotNull(succeeded.Deadline);
        Assert.Equal(CommandStatus.Succeeded, seen[^1]);
        Assert.Equal(CommandStatus.Failed, failed.Status);
        Assert.False(string.IsNullOrEmpty(failed.Error?.Code));
        var listed = await client.ListAsync(new CommandListQuery { Status = CommandStatus.Failed }, Ct);
        Assert.Contains(listed.Items, item => item.Id == declined.Id);
    }

    [Fact]
    public async Task ListCommandTypes_ReturnsEveryTypeTheGatewayAccepts_WithItsSchema()
    {
        var credentials = await LiveGateway.CredentialsAsync(system, "tenant-client-types");
        var client = LiveGateway.CreateClient(system.GatewayUrl, credentials);

        var types = await client.ListCommandTypesAsync(Ct);

        // The built-in types first, then those the gateway's modules add.
        Assert.Equal(["payments.charge", "notifications.send"], types.Take(2).Select(t => t.Name));
        var charge = types[0];
        Assert.Equal("payments", charge.Provider);
        Assert.Equal(TimeSpan.FromHours(1), charge.DefaultTimeout);
        Assert.Equal(TimeSpan.FromDays(1), types[1].DefaultTimeout);
        Assert.False(charge.Schema!.Value.GetProperty("additionalProperties").GetBoolean());
        Assert.Contains("customerId", charge.Schema.Value.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.All(types, t => Assert.Equal(JsonValueKind.Object, t.Schema!.Value.ValueKind));
    }

    [Fact]
    public async Task Token_NearItsExpiry_IsReplacedBeforeTheCall_AndNoCallIsRefused()
    {
        // The gateway issues 15-minute tokens; the client's clock runs ahead so its token reaches the refresh
        // window without waiting, while the gateway still checks each token for real.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var credentials = await LiveGateway.CredentialsAsync(system, "tenant-client-token");
        var recorder = new AttemptRecorder();
        var client = LiveGateway.CreateClient(system.GatewayUrl, credentials, handler: () => recorder, timeProvider: time,
            configure: options => options.TokenRefreshBeforeExpiry = TimeSpan.FromSeconds(60));

        await client.ListAsync(cancellationToken: Ct);
        time.Advance(TimeSpan.FromMinutes(14) + TimeSpan.FromSeconds(1));
        await client.ListAsync(cancellationToken: Ct);
        await client.ListAsync(cancellationToken: Ct);

        Assert.Equal(2, recorder.TokenAnswers.Count);
        Assert.Equal(3, recorder.ApiCalls.Count);
        Assert.All(recorder.ApiCalls, call => Assert.Equal(HttpStatusCode.OK, call.Status));
        Assert.Equal(recorder.TokenAnswers[0], recorder.ApiCalls[0].Token);
        Assert.Equal(recorder.TokenAnswers[1], recorder.ApiCalls[1].Token);
        Assert.Equal(recorder.TokenAnswers[1], recorder.ApiCalls[2].Token);
    }

    [Fact]
    public async Task Operations_FollowTheScopes_ATenantAdminSeesItsTenant_AnOperatorTheFleetAndTheAuditOfItsRefusal()
    {
        const string tenant = "tenant-client-ops";
        var admin = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, tenant, "commands admin"));
        var operatorClient = LiveGateway.CreateClient(system.GatewayUrl, await LiveGateway.CredentialsAsync(system, "operators", "operator"));

        var tenantView = await admin.GetMonitoringOverviewAsync(Ct);
        var forbidden = await Assert.ThrowsAsync<MessagingClientException>(() => admin.IsolateBreakerAsync("postgres", Ct));
        var fleetView = await operatorClient.GetMonitoringOverviewAsync(Ct);
        var refused = await Assert.ThrowsAsync<MessagingClientException>(() => operatorClient.IsolateBreakerAsync("route:auth", Ct));
        var audit = await operatorClient.GetAuditAsync(new AuditQuery { Limit = 50 }, Ct);
        var ownAudit = await admin.GetAuditAsync(cancellationToken: Ct);
        var otherTenant = await Assert.ThrowsAsync<MessagingClientException>(() => admin.GetAuditAsync(new AuditQuery { Tenant = "tenant-client-other" }, Ct));

        Assert.Equal(tenant, tenantView.Tenant);
        Assert.Null(tenantView.RateLimiting);
        Assert.Empty(tenantView.Alerts!);
        Assert.All(tenantView.Queues!, q => Assert.Equal("tenant", q.Source));
        Assert.Equal((HttpStatusCode.Forbidden, "operator"), (forbidden.StatusCode, forbidden.RequiredScope));
        Assert.Null(fleetView.Tenant);
        Assert.NotNull(fleetView.RateLimiting);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(audit, r => r is { Action: "breaker.isolate", Target: "route:auth", Outcome: "refused", Tenant: null, ActorTenant: "operators" });
        Assert.Equal(audit.OrderByDescending(r => r.Id).Select(r => r.Id), audit.Select(r => r.Id));
        Assert.All(ownAudit, r => Assert.Equal(tenant, r.Tenant));
        Assert.Equal(HttpStatusCode.Forbidden, otherTenant.StatusCode);
        Assert.Contains("scope operator", otherTenant.Message, StringComparison.Ordinal);
    }
}
