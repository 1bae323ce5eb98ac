using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Messaging.Store.DeadLetters;
using Messaging.Store.Outbox;
using Messaging.Testing.Harness;
using Npgsql;

namespace Messaging.Cli.Tests;

/// <summary>The built <c>msg</c> tool against the real Gateway, Workers and FakeServices: output and exit codes.</summary>
public sealed class MsgToolTests(SystemFixture system)
{
    private const string Tenant = "tenant-msg";
    private static readonly SemaphoreSlim CredentialsLock = new(1, 1);
    private static readonly Dictionary<string, ClientCredentials> Credentials = [];

    [Fact]
    public async Task PublishWithWait_ShowsProgress_PrintsSucceeded_AndExitsZero_ThenStatusAgrees()
    {
        var environment = await EnvironmentAsync();
        var published = await MsgTool.RunAsync(environment,
            "publish", "payments.charge", "--data", """{"amount":19.99,"currency":"EUR","customerId":"cus_msg","description":"msg test"}""",
            "--wait", "--wait-timeout", "60");

        Assert.True(published.ExitCode == 0, published.ToString());
        Assert.Contains("status    Succeeded", published.Output, StringComparison.Ordinal);
        Assert.Contains("waiting: ", published.Error, StringComparison.Ordinal);
        var id = published.Output.Split(' ', '\n')[2].Trim();

        var status = await MsgTool.RunAsync(environment, "status", id, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using var json = JsonDocument.Parse(status.Output);
        Assert.Equal(id, json.RootElement.GetProperty("id").GetString());
        Assert.Equal("Succeeded", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("result").ValueKind);
    }

    [Fact]
    public async Task Status_OfACommandWithACallback_ShowsItsStateAttemptsAndLastError_AndItsJsonHasTheCallback()
    {
        var environment = await EnvironmentAsync();
        const string LastError = "The receiver answered 503.";
        var delivering = await StoredCommandAsync("https://hooks.example.org/done", "Delivering", 3, LastError);
        var delivered = await StoredCommandAsync("https://hooks.example.org/done", "Delivered", 1, null);
        var pending = await StoredCommandAsync("https://hooks.example.org/done", null, 0, null);
        var without = await StoredCommandAsync(null, null, 0, null);

        var deliveringTable = await MsgTool.RunAsync(environment, "status", delivering.ToString());
        var deliveredTable = await MsgTool.RunAsync(environment, "status", delivered.ToString());
        var pendingTable = await MsgTool.RunAsync(environment, "status", pending.ToString());
        var withoutTable = await MsgTool.RunAsync(environment, "status", without.ToString());
        var deliveringJson = await MsgTool.RunAsync(environment, "status", delivering.ToString(), "--json");
        var withoutJson = await MsgTool.RunAsync(environment, "status", without.ToString(), "--json");

        Assert.All([deliveringTable, deliveredTable, pendingTable, withoutTable, deliveringJson, withoutJson], r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Matches($@"(?m)^callback +Delivering \(3 attempts; last error: {Regex.Escape(LastError)}\)$", deliveringTable.Output);
        Assert.Matches(@"(?m)^callback +Delivered \(1 attempt\)$", deliveredTable.Output);
        Assert.Matches(@"(?m)^callback +Pending \(0 attempts\)$", pendingTable.Output); // a callback URL and nothing sent yet
        Assert.DoesNotContain("callback", withoutTable.Output, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(deliveringJson.Output))
        {
            var callback = document.RootElement.GetProperty("callback");
            Assert.Equal("Delivering", callback.GetProperty("state").GetString());
            Assert.Equal(3, callback.GetProperty("attempts").GetInt32());
            Assert.Equal(LastError, callback.GetProperty("lastError").GetString());
        }

        using (var document = JsonDocument.Parse(withoutJson.Output))
        {
            Assert.False(document.RootElement.TryGetProperty("callback", out _), withoutJson.Output);
        }
    }

    [Fact]
    public async Task PublishFromAFile_WithJsonAndKey_PrintsOneJsonDocument_AndTheSameKeyReplays()
    {
        var environment = await EnvironmentAsync();
        var file = Path.Combine(Path.GetTempPath(), $"msg-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"channel":"email","to":"jane@example.org","subject":"Hi","body":"Hello from msg"}""", TestContext.Current.CancellationToken);
        var key = "msg-" + Guid.NewGuid().ToString("N");
        try
        {
            var first = await MsgTool.RunAsync(environment, "publish", "notifications.send", "--data", "@" + file, "--idempotency-key", key, "--json");
            var second = await MsgTool.RunAsync(environment, "publish", "notifications.send", "--data", "@" + file, "--idempotency-key", key, "--json");

            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.True(second.ExitCode == 0, second.ToString());
            using var a = JsonDocument.Parse(first.Output);
            using var b = JsonDocument.Parse(second.Output);
            Assert.Equal(a.RootElement.GetProperty("id").GetString(), b.RootElement.GetProperty("id").GetString());
            Assert.Equal(key, a.RootElement.GetProperty("idempotencyKey").GetString());
            Assert.False(a.RootElement.GetProperty("replayed").GetBoolean());
            Assert.True(b.RootElement.GetProperty("replayed").GetBoolean());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task PublishOfAnInvalidCommand_ExitsOne_WithAOneLineReasonFromTheGateway()
    {
        var result = await MsgTool.RunAsync(await EnvironmentAsync(), "publish", "payments.charge", "--data", """{"amount":-1,"currency":"EUR","customerId":"cus_msg"}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("msg: The gateway answered 400", line, StringComparison.Ordinal);
        Assert.Contains("[amount]", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishWithNotBefore_IsScheduled_CancelShowsItCancelled_AndCancellingAgainAnswersTheSame()
    {
        var environment = await EnvironmentAsync();
        var notBefore = DateTimeOffset.UtcNow.AddHours(1);
        var rfc3339 = notBefore.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var published = await MsgTool.RunAsync(environment,
            "publish", "payments.charge", "--data", """{"amount":3.5,"currency":"EUR","customerId":"cus_msg_later"}""", "--not-before", rfc3339, "--json");
        Assert.True(published.ExitCode == 0, published.ToString());
        using var accepted = JsonDocument.Parse(published.Output);
        Assert.Equal("Scheduled", accepted.RootElement.GetProperty("status").GetString());
        var id = accepted.RootElement.GetProperty("id").GetString()!;

        var cancel = await MsgTool.RunAsync(environment, "cancel", id);
        var again = await MsgTool.RunAsync(environment, "cancel", id, "--json");

        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Matches($@"(?m)^id +{id}$", cancel.Output);
        Assert.Matches(@"(?m)^status +Cancelled$", cancel.Output);
        Assert.Matches($@"(?m)^not before +{Regex.Escape(rfc3339.Replace('T', ' '))}$", cancel.Output);
        Assert.Matches(@"(?m)^error +cancelled: ", cancel.Output);
        Assert.True(again.ExitCode == 0, again.ToString());
        using var document = JsonDocument.Parse(again.Output);
        Assert.Equal("Cancelled", document.RootElement.GetProperty("status").GetString());
        Assert.Equal(DateTimeOffset.Parse(rfc3339, System.Globalization.CultureInfo.InvariantCulture), document.RootElement.GetProperty("notBefore").GetDateTimeOffset());
    }

    [Fact]
    public async Task Cancel_OfASucceededCommand_ExitsOne_SayingItsStatus_AndOfAnUnknownOne_SayingNotFound()
    {
        var environment = await EnvironmentAsync();
        var published = await MsgTool.RunAsync(environment,
            "publish", "payments.charge", "--data", """{"amount":2,"currency":"EUR","customerId":"cus_msg_done"}""", "--wait", "--wait-timeout", "60");
        Assert.True(published.ExitCode == 0, published.ToString());
        var id = published.Output.Split(' ', '\n')[2].Trim();
        var unknown = Guid.CreateVersion7();

        var ended = await MsgTool.RunAsync(environment, "cancel", id);
        var missing = await MsgTool.RunAsync(environment, "cancel", unknown.ToString());

        Assert.Equal(1, ended.ExitCode);
        Assert.Equal("", ended.Output);
        Assert.Equal($"msg: command {id} is Succeeded and can no longer be cancelled (409)", Assert.Single(ended.ErrorLines));
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal($"msg: command {unknown} not found (404): unknown id, or another tenant's command", Assert.Single(missing.ErrorLines));
    }

    [Fact]
    public async Task PublishBatch_OfMoreThan100Lines_GoesAsRequestsOfAtMost100_PrintsALinePerCommand_AndAgainReplaysThem()
    {
        var environment = await EnvironmentAsync();
        var prefix = "msg-batch-" + Guid.NewGuid().ToString("N") + "-";
        var notBefore = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var own = DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        // 105 commands on lines 1-106 (line 51 is blank); the first has a Not-Before of its own.
        var lines = Enumerable.Range(1, 105).Select(n =>
            $$"""{"type":"notifications.send","body":{"channel":"email","to":"batch{{n}}@example.org","body":"Hello"},"idempotencyKey":"{{prefix}}{{n}}"{{(n == 1 ? $",\"notBefore\":\"{own}\"" : "")}}}""").ToList();
        lines.Insert(50, "");
        var file = Path.Combine(Path.GetTempPath(), $"msg-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(file, lines, TestContext.Current.CancellationToken);
        try
        {
            var first = await MsgTool.RunAsync(environment, "publish", "--batch", file, "--not-before", notBefore);
            var again = await MsgTool.RunAsync(environment, "publish", "--batch", file, "--not-before", notBefore, "--json");

            Assert.True(first.ExitCode == 0, first.ToString());
            var printed = first.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(105, printed.Length);
            var expectedLines = Enumerable.Range(1, 106).Where(n => n != 51).ToList();
            for (var i = 0; i < printed.Length; i++)
            {
                var command = i + 1;
                Assert.Matches($@"^Scheduled notifications\.send [0-9a-f-]{{36}} \(line {expectedLines[i]}, key {Regex.Escape(prefix)}{command}\)$", printed[i]);
            }

            const string OfTheBatch = "FROM commands WHERE tenant = @tenant AND idempotency_key LIKE @prefix";
            var parameters = new (string, object)[] { ("tenant", Tenant), ("prefix", prefix + "%") };
            Assert.Equal(105, await system.CountAsync($"SELECT count(*) {OfTheBatch}", parameters));
            Assert.Equal(2, await system.CountAsync($"SELECT count(DISTINCT created_at) {OfTheBatch}", parameters));
            Assert.Equal(1, await system.CountAsync($"SELECT count(*) {OfTheBatch} AND not_before = @own",
                [.. parameters, ("own", DateTimeOffset.Parse(own, System.Globalization.CultureInfo.InvariantCulture))]));

            Assert.True(again.ExitCode == 0, again.ToString());
            using var document = JsonDocument.Parse(again.Output);
            var items = document.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(105, items.Count);
            Assert.All(items, item => Assert.True(item.GetProperty("replayed").GetBoolean()));
            Assert.Equal(printed.Select(line => line.Split(' ')[2]), items.Select(item => item.GetProperty("id").GetString()));
            Assert.Equal(105, await system.CountAsync($"SELECT count(*) {OfTheBatch}", parameters));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task PublishBatch_FromStandardInput_WithBadLines_NamesEachByItsNumber_AndSendsNothing()
    {
        var key = "msg-bad-lines-" + Guid.NewGuid().ToString("N");
        var input = string.Join('\n',
            $$"""{"type":"payments.charge","body":{"amount":1,"currency":"EUR","customerId":"cus_1"},"idempotencyKey":"{{key}}"}""",
            "",
            "{not json",
            """{"type":"payments.charge"}""",
            """{"type":"payments.charge","body":{},"timeout":0}""",
            """{"type":"payments.charge","body":{},"notBefore":"2030-01-01 09:00"}""",
            """{"type":"payments.charge","body":{},"priority":1}""",
            $$"""{"type":"payments.charge","body":{},"idempotencyKey":"{{key}}"}""",
            """{"type":"payments.charge","body":{},"callbackUrl":"hooks.example.com/done"}""");

        var result = await MsgTool.RunWithInputAsync(await EnvironmentAsync(), input, "publish", "--batch", "-");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal(7, result.ErrorLines.Length);
        Assert.StartsWith("msg: --batch line 3: not valid JSON", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("msg: --batch line 4: body is missing", result.ErrorLines[1], StringComparison.Ordinal);
        Assert.Equal("msg: --batch line 5: timeout must be whole seconds from 1 to 86400", result.ErrorLines[2]);
        Assert.StartsWith("msg: --batch line 6: notBefore must be an RFC 3339 time with Z or an offset", result.ErrorLines[3], StringComparison.Ordinal);
        Assert.StartsWith("msg: --batch line 7: unknown property 'priority'", result.ErrorLines[4], StringComparison.Ordinal);
        Assert.Equal($"msg: --batch line 8: idempotencyKey '{key}' is also on line 1", result.ErrorLines[5]);
        Assert.StartsWith("msg: --batch line 9: callbackUrl must be an absolute http(s) URL", result.ErrorLines[6], StringComparison.Ordinal);
        Assert.Equal(0, await StoredWithKeyAsync(key));
    }

    [Fact]
    public async Task PublishBatch_ThatTheGatewayRefuses_NamesTheFailingLines_AndStoresNone()
    {
        var key = "msg-refused-" + Guid.NewGuid().ToString("N");
        var input = string.Join('\n',
            $$"""{"type":"payments.charge","body":{"amount":1,"currency":"EUR","customerId":"cus_1"},"idempotencyKey":"{{key}}"}""",
            "",
            """{"type":"payments.charge","body":{"amount":-1,"currency":"EUR","customerId":"cus_1"}}""",
            """{"type":"no.such-type","body":{}}""",
            "");

        var result = await MsgTool.RunWithInputAsync(await EnvironmentAsync(), input, "publish", "--batch", "@-");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal(3, result.ErrorLines.Length);
        Assert.StartsWith("msg: --batch line 3: body.amount: ", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("msg: --batch line 4: type: There is no command type 'no.such-type'", result.ErrorLines[1], StringComparison.Ordinal);
        Assert.Equal("msg: the gateway answered 400 (Invalid batch items): nothing of lines 1-4 was stored", result.ErrorLines[2]);
        Assert.Equal(0, await StoredWithKeyAsync(key));
    }

    [Fact]
    public async Task PublishWithACallbackUrlOffTheTenantsAllowList_ExitsOne_WithTheGatewaysReason_AndStoresNothing()
    {
        var key = "msg-callback-" + Guid.NewGuid().ToString("N");

        var result = await MsgTool.RunAsync(await EnvironmentAsync(), "publish", "payments.charge",
            "--data", """{"amount":4,"currency":"EUR","customerId":"cus_msg_hook"}""", "--idempotency-key", key,
            "--callback-url", "http://169.254.169.254/latest/meta-data");

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("msg: The gateway answered 400", line, StringComparison.Ordinal);
        Assert.Contains("Callback-Url", line, StringComparison.Ordinal);
        Assert.Equal(0, await StoredWithKeyAsync(key));
    }

    [Theory]
    [InlineData("msg: publish needs a command type and --data (or --batch with a file of commands) (see msg --help)", "publish")]
    [InlineData("msg: publish needs a command type and --data (or --batch with a file of commands) (see msg --help)", "publish", "payments.charge")]
    [InlineData("msg: --batch takes each command's type, body and key from its file: leave out the type, --data, --idempotency-key and --wait (see msg --help)",
        "publish", "payments.charge", "--batch", "commands.jsonl")]
    [InlineData("msg: --batch takes each command's type, body and key from its file: leave out the type, --data, --idempotency-key and --wait (see msg --help)",
        "publish", "--batch", "commands.jsonl", "--wait")]
    [InlineData("msg: --not-before must be an RFC 3339 time with Z or an offset, for example 2026-12-08T09:00:00Z (see msg --help)",
        "publish", "payments.charge", "--data", "{}", "--not-before", "2026-12-08T09:00:00")]
    [InlineData("msg: --callback-url must be an absolute http(s) URL (see msg --help)",
        "publish", "payments.charge", "--data", "{}", "--callback-url", "/relative/hook")]
    public async Task Publish_WithoutWhatItNeeds_OrWithBatchAndASingleCommandsOptions_ExitsTwo(string error, params string[] args)
    {
        var result = await MsgTool.RunAsync(new Dictionary<string, string?>(), args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(error, Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Types_ListsEveryTypeWithProviderAndDefaultTimeout_AndItsJsonHasTheSchemas()
    {
        var environment = await EnvironmentAsync();

        var table = await MsgTool.RunAsync(environment, "types");
        var json = await MsgTool.RunAsync(environment, "types", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^NAME +PROVIDER +DEFAULT TIMEOUT$", lines[0]);
        Assert.Matches(@"^payments\.charge +payments +1h$", lines[1]);
        Assert.Matches(@"^notifications\.send +notifications +1d$", lines[2]);
        Assert.All(lines.Skip(3), line => Assert.Matches(@"^[a-z0-9.-]+ +[a-z0-9-]+ +\d+[dhms]( \d+[hms])*$", line)); // the types of the gateway's modules
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        var names = document.RootElement.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(lines.Length - 1, names.Count);
        Assert.Equal(["payments.charge", "notifications.send"], names.Take(2));
        Assert.All(document.RootElement.EnumerateArray(), t => Assert.Equal("object", t.GetProperty("schema").GetProperty("type").GetString()));
    }

    [Fact]
    public async Task PublishHelp_NamesExampleTypes_AndSaysMsgTypesListsThem()
    {
        var result = await MsgTool.RunAsync(new Dictionary<string, string?>(), "publish", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        var help = Regex.Replace(result.Output, @"\s+", " ");
        Assert.Contains("for example payments.charge or notifications.send; msg types lists the gateway's types", help, StringComparison.Ordinal);
        Assert.Contains("More than 100 lines go as several requests of at most 100, each stored all or none", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutCredentials_ExitsTwo_NamingTheVariable()
    {
        var result = await MsgTool.RunAsync(new Dictionary<string, string?> { ["MSG_GATEWAY_URL"] = system.GatewayUrl.ToString() }, "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("msg: no client id: pass --client-id or set MSG_CLIENT_ID", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Queues_ShowsEverySection_AndItsJsonHasTheBreakersAndOutbox()
    {
        var environment = await OperatorEnvironmentAsync();

        var table = await MsgTool.RunAsync(environment, "queues");
        var json = await MsgTool.RunAsync(environment, "queues", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.StartsWith("VIEW  fleet\n", table.Output, StringComparison.Ordinal);
        foreach (var section in new[] { "QUEUES", "DEAD LETTERS", "BREAKERS", "OUTBOX", "RATE LIMITING", "ALERTS" })
        {
            Assert.Contains(section, table.Output, StringComparison.Ordinal);
        }

        Assert.Matches(@"pending \d+, oldest", table.Output);
        Assert.Matches(@"rejected in the last minute \d+", table.Output);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("breakers").ValueKind);
        Assert.True(document.RootElement.GetProperty("outbox").TryGetProperty("pending", out _));
        Assert.False(document.RootElement.TryGetProperty("tenant", out _));
    }

    [Fact]
    public async Task Queues_OfATenantAdmin_NamesTheTenant_AndSaysAlertsAndRateLimitingAreTheOperators()
    {
        var environment = await EnvironmentAsync();

        var table = await MsgTool.RunAsync(environment, "queues");
        var json = await MsgTool.RunAsync(environment, "queues", "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.StartsWith($"VIEW  tenant {Tenant}\n", table.Output, StringComparison.Ordinal);
        Assert.Matches(@"RATE LIMITING\n  the fleet's, shown to operators only \(scope operator\)\n", table.Output);
        Assert.Matches(@"ALERTS\n  the fleet's, shown to operators only \(scope operator\)\n", table.Output);
        Assert.DoesNotContain("none firing", table.Output, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal(Tenant, document.RootElement.GetProperty("tenant").GetString());
        Assert.All(document.RootElement.GetProperty("queues").EnumerateArray(), q => Assert.Equal("tenant", q.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task DeadLetters_ListShowsAStoredDeadLetter_RedriveByIdWithADeadlineRunsItAgain_AndASecondRedriveIsRefused()
    {
        var environment = await EnvironmentAsync();
        var id = await DeadLetteredCommandAsync();
        var deadline = CommandRows.TruncateToMicroseconds(DateTimeOffset.UtcNow.AddDays(2));

        var list = await MsgTool.RunAsync(environment, "dead-letters", "list", "--tenant", Tenant, "--json");
        var redrive = await MsgTool.RunAsync(environment, "dead-letters", "redrive", "--id", id.ToString(), "--deadline", deadline.ToString("O", CultureInfo.InvariantCulture));
        var again = await MsgTool.RunAsync(environment, "dead-letters", "redrive", "--id", id.ToString());

        Assert.True(list.ExitCode == 0, list.ToString());
        using (var document = JsonDocument.Parse(list.Output))
        {
            Assert.Contains(document.RootElement.GetProperty("deadLetters").EnumerateArray(), letter => letter.GetProperty("commandId").GetString() == id.ToString());
            Assert.True(document.RootElement.GetProperty("summary").GetProperty("total").GetInt64() >= 1);
        }

        Assert.True(redrive.ExitCode == 0, redrive.ToString());
        Assert.Equal("redriven 1, skipped 0 (unreadable)", redrive.Output.Trim());
        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("msg: not redriven (409): ", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
        // Its old deadline had passed: with the fresh one it runs instead of ending Expired.
        var status = await system.WaitForStatusAsync(await system.TokenAsync(Tenant), id.ToString(), "Succeeded", TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", status.GetProperty("status").GetString());
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM commands WHERE id = @id AND deadline = @deadline", ("id", id), ("deadline", deadline)));
    }

    [Fact]
    public async Task DeadLettersRedrive_WithADeadlineThatPassed_ExitsOne_WithTheGatewaysReason_AndRedrivesNothing()
    {
        var environment = await EnvironmentAsync();
        var id = await DeadLetteredCommandAsync();

        var result = await MsgTool.RunAsync(environment, "dead-letters", "redrive", "--id", id.ToString(), "--deadline", "2020-01-01T00:00:00Z");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("msg: not redriven (400): 'deadline' must be in the future and at most 30 days ahead; nothing was redriven.", Assert.Single(result.ErrorLines));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM outbox WHERE command_id = @id", ("id", id)));
    }

    [Fact]
    public async Task DeadLettersRedrive_InBulkWithAFilterMatchingNothing_RedrivesNone()
    {
        var result = await MsgTool.RunAsync(await OperatorEnvironmentAsync(), "dead-letters", "redrive", "--type", "notifications.send", "--tenant", "tenant-without-dead-letters", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Output);
        Assert.Equal(0, document.RootElement.GetProperty("redriven").GetInt32());
    }

    [Fact]
    public async Task DeadLettersList_OfAnotherTenant_ByATenantAdmin_ExitsOne_WithTheGatewaysReason()
    {
        var result = await MsgTool.RunAsync(await EnvironmentAsync(), "dead-letters", "list", "--tenant", "tenant-msg-other");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal("msg: The gateway answered 403 (Forbidden): Scope admin covers the token's own tenant only; the fleet needs scope operator.",
            Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task BreakersReset_OfAnUnknownBreaker_ExitsOne_NamingIt()
    {
        var result = await MsgTool.RunAsync(await OperatorEnvironmentAsync(), "breakers", "reset", "no-such-breaker");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("msg: no breaker is named 'no-such-breaker' (see msg breakers)", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task BreakersIsolate_ByATenantAdmin_ExitsOne_NamingScopeOperator()
    {
        var result = await MsgTool.RunAsync(await EnvironmentAsync(), "breakers", "isolate", "postgres");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal("msg: forbidden (403): this needs scope operator (an operator client, made with 'clients add --operator'); this client's token does not carry it",
            Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Audit_ShowsAnOperatorsRefusedIsolate_ToOperators_AndATenantAdminOnlyItsOwnTenant()
    {
        var operatorEnvironment = await OperatorEnvironmentAsync();
        var refused = await MsgTool.RunAsync(operatorEnvironment, "breakers", "isolate", "route:auth");

        var table = await MsgTool.RunAsync(operatorEnvironment, "audit", "--limit", "50");
        var json = await MsgTool.RunAsync(operatorEnvironment, "audit", "--limit", "50", "--json");
        var own = await MsgTool.RunAsync(await EnvironmentAsync(), "audit", "--json");
        var other = await MsgTool.RunAsync(await EnvironmentAsync(), "audit", "--tenant", "tenant-msg-other");

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("msg: The gateway answered 409 (The route:auth breaker cannot be isolated.)", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Matches(@"^ID +AT +ACTOR +ACTION +TARGET +TENANT +OUTCOME$", lines[0]);
        var operatorId = Credentials["operators"].ClientId;
        Assert.Contains(lines, line => Regex.IsMatch(line,
            $@"^\d+ +\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ +{Regex.Escape(operatorId)} \(operators\) +breaker\.isolate +route:auth +\(fleet\) +refused$"));
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var document = JsonDocument.Parse(json.Output))
        {
            Assert.Contains(document.RootElement.EnumerateArray(), r =>
                r.GetProperty("action").GetString() == "breaker.isolate" && r.GetProperty("target").GetString() == "route:auth"
                && r.GetProperty("actorClient").GetString() == operatorId && r.GetProperty("outcome").GetString() == "refused");
        }

        Assert.True(own.ExitCode == 0, own.ToString());
        using (var document = JsonDocument.Parse(own.Output))
        {
            Assert.All(document.RootElement.EnumerateArray(), r => Assert.Equal(Tenant, r.GetProperty("tenant").GetString()));
        }

        Assert.Equal(1, other.ExitCode);
        Assert.StartsWith("msg: The gateway answered 403 (Forbidden)", Assert.Single(other.ErrorLines), StringComparison.Ordinal);
    }

    /// <summary>How many commands of the tool's tenant have this idempotency key (0 or 1).</summary>
    private Task<long> StoredWithKeyAsync(string key) =>
        system.CountAsync("SELECT count(*) FROM commands WHERE tenant = @tenant AND idempotency_key = @key", ("tenant", Tenant), ("key", key));

    /// <summary>
    /// A succeeded payments.charge of the tool's tenant, stored directly, with a callback in the given delivery state
    /// (none when <paramref name="callbackUrl"/> is null; a null state with a URL is a callback with nothing sent yet).
    /// </summary>
    private async Task<Guid> StoredCommandAsync(string? callbackUrl, string? callbackState, int callbackAttempts, string? callbackLastError)
    {
        var id = Guid.CreateVersion7();
        await using var dataSource = NpgsqlDataSource.Create(system.PostgresConnectionString);
        await using var insert = dataSource.CreateCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, payload, deadline, created_at, updated_at,
                                  callback_url, callback_state, callback_attempts, callback_last_error)
            VALUES (@id, @tenant, 'cli', 'payments.charge', 'Succeeded', '{}', now() + interval '1 hour', now(), now(),
                    @url, @state, @attempts, @error)
            """);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("tenant", Tenant);
        insert.Parameters.AddWithValue("url", NpgsqlTypes.NpgsqlDbType.Text, (object?)callbackUrl ?? DBNull.Value);
        insert.Parameters.AddWithValue("state", NpgsqlTypes.NpgsqlDbType.Text, (object?)callbackState ?? DBNull.Value);
        insert.Parameters.AddWithValue("attempts", callbackAttempts);
        insert.Parameters.AddWithValue("error", NpgsqlTypes.NpgsqlDbType.Text, (object?)callbackLastError ?? DBNull.Value);
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return id;
    }

    /// <summary>
    /// A payments.charge of the tool's tenant that the workers dead-lettered (stored the way they store it), an old one:
    /// its deadline, on the row and in the letter's headers, passed a day ago.
    /// </summary>
    private async Task<Guid> DeadLetteredCommandAsync()
    {
        var id = Guid.CreateVersion7();
        var passed = CommandRows.TruncateToMicroseconds(DateTimeOffset.UtcNow.AddDays(-1));
        await using var dataSource = NpgsqlDataSource.Create(system.PostgresConnectionString);
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO commands (id, tenant, client_id, type, status, payload, deadline, created_at, updated_at) VALUES (@id, @tenant, 'cli', 'payments.charge', 'Processing', '{}', @deadline, now(), now())"))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", Tenant);
            insert.Parameters.AddWithValue("deadline", passed);
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var store = new DeadLetterStore(dataSource, new OutboxWriter(TimeProvider.System), Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, TimeProvider.System);
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var body = $$"""{"commandId":"{{id}}","tenant":"{{Tenant}}","amount":7.5,"currency":"EUR","customerId":"cus_redrive"}""";
        await store.RecordAsync(transaction, new DeadLetter(id, Tenant, "payments.charge", body,
            new Dictionary<string, string> { ["Messaging-Tenant"] = Tenant, ["Messaging-Deadline"] = CommandRows.HeaderInstant(passed) }, 5,
            DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            "HttpRequestException", "provider unavailable", "retries-exhausted"), TestContext.Current.CancellationToken);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        return id;
    }

    /// <summary>The tool's environment for the tenant's client (scopes commands and admin).</summary>
    private Task<Dictionary<string, string?>> EnvironmentAsync() => EnvironmentAsync(Tenant, "commands admin");

    /// <summary>The tool's environment for an operator client (tenant operators, scope operator only).</summary>
    private Task<Dictionary<string, string?>> OperatorEnvironmentAsync() => EnvironmentAsync("operators", "operator");

    private async Task<Dictionary<string, string?>> EnvironmentAsync(string tenant, string scopes)
    {
        ClientCredentials? credentials;
        await CredentialsLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (!Credentials.TryGetValue(tenant, out credentials))
            {
                credentials = await system.AddClientAsync(tenant, scopes);
                Credentials[tenant] = credentials;
            }
        }
        finally
        {
            CredentialsLock.Release();
        }

        return new Dictionary<string, string?>
        {
            ["MSG_GATEWAY_URL"] = system.GatewayUrl.ToString(),
            ["MSG_CLIENT_ID"] = credentials.ClientId,
            ["MSG_CLIENT_SECRET"] = credentials.Secret,
        };
    }
}
