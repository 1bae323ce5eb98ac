using System.Net;
using System.Text.Json;
using Messaging.Gateway.Clients;
using Messaging.Gateway.Tests.Auth;
using Npgsql;

namespace Messaging.Gateway.Tests.Clients;

public sealed class ClientsCommandLineTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Add_PrintsClientIdSecretTenantAndScopes_AndTheSecretObtainsATokenOnce()
    {
        var (exitCode, stdout, _) = await RunAsync("add", "--tenant", "acme", "--scopes", "commands admin");

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(["clientId", "clientSecret", "tenant", "scopes"], root.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^cli_[0-9a-f]{32}$", root.GetProperty("clientId").GetString());
        Assert.Equal("acme", root.GetProperty("tenant").GetString());
        Assert.Equal(["commands", "admin"], root.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        using var http = host.CreateClient();
        using var token = await TokenRequests.PostClientCredentialsAsync(http, root.GetProperty("clientId").GetString()!, root.GetProperty("clientSecret").GetString()!);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
    }

    [Theory]
    [InlineData("commands,admin")]
    [InlineData("commands, admin")]
    [InlineData("  commands   admin ")]
    [InlineData("commands admin commands")]
    public async Task Add_AcceptsScopesSeparatedBySpacesOrCommas(string scopes)
    {
        var (exitCode, stdout, _) = await RunAsync("add", "--tenant=acme", $"--scopes={scopes}");

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(["commands", "admin"], json.RootElement.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task AddOperator_CreatesAnOperatorsClientWithScopeOperatorOnly_WhoseTokenCoversTheFleet()
    {
        var (exitCode, stdout, stderr) = await RunAsync("add", "--operator");

        Assert.True(exitCode == ClientsCommandLine.Success, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(GatewayClaims.OperatorTenant, json.RootElement.GetProperty("tenant").GetString());
        Assert.Equal(["operator"], json.RootElement.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        var token = await host.RequestTokenAsync(json.RootElement.GetProperty("clientId").GetString()!, json.RootElement.GetProperty("clientSecret").GetString()!);
        using var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var overview = await http.GetAsync("/api/monitoring/overview", Cancellation);
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        using var body = JsonDocument.Parse(await overview.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("tenant").ValueKind);
    }

    [Fact]
    public async Task AddAndRevoke_AreAudited_WithTheLocalUserAsActor_AndTheClientsTenant()
    {
        var (_, added, _) = await RunAsync("add", "--tenant", "audited", "--scopes", "commands admin");
        using var addedJson = JsonDocument.Parse(added);
        var clientId = addedJson.RootElement.GetProperty("clientId").GetString()!;
        await RunAsync("revoke", clientId);

        using var admin = await host.CreateClientAsync("audited", "admin");
        using var response = await admin.GetAsync("/api/monitoring/audit", Cancellation);
        using var audit = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));

        var records = audit.RootElement.EnumerateArray().Where(r => r.GetProperty("target").GetString() == clientId).ToList();
        Assert.Equal(["client.revoke", "client.add"], records.Select(r => r.GetProperty("action").GetString()));
        Assert.All(records, r =>
        {
            Assert.Equal("local:" + Environment.UserName, r.GetProperty("actorClient").GetString());
            Assert.Equal("audited", r.GetProperty("tenant").GetString());
            Assert.Equal("succeeded", r.GetProperty("outcome").GetString());
        });
        Assert.Equal(["commands", "admin"], records[1].GetProperty("detail").GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.DoesNotContain(addedJson.RootElement.GetProperty("clientSecret").GetString()!, audit.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_PrintsEveryClientWithoutSecretsOrHashes()
    {
        var (_, added, _) = await RunAsync("add", "--tenant", "listed", "--scopes", "commands");
        using var addedJson = JsonDocument.Parse(added);
        var clientId = addedJson.RootElement.GetProperty("clientId").GetString();
        var secret = addedJson.RootElement.GetProperty("clientSecret").GetString()!;

        var (exitCode, stdout, _) = await RunAsync("list");

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(JsonValueKind.Array, json.RootElement.ValueKind);
        var listed = Assert.Single(json.RootElement.EnumerateArray(), c => c.GetProperty("clientId").GetString() == clientId);
        Assert.Equal("listed", listed.GetProperty("tenant").GetString());
        Assert.Equal(["commands"], listed.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.False(listed.GetProperty("revoked").GetBoolean());
        Assert.True(listed.GetProperty("createdAt").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        Assert.All(json.RootElement.EnumerateArray(), client =>
            Assert.DoesNotContain(client.EnumerateObject(), p => p.Name.Contains("secret", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("hash", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("hmac-sha256", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_MakesTokenRequestsFail_AndListShowsTheClientRevoked()
    {
        var (clientId, secret) = await host.AddClientAsync("acme", "commands");

        var (exitCode, stdout, _) = await RunAsync("revoke", clientId);

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        using (var json = JsonDocument.Parse(stdout))
        {
            Assert.Equal(clientId, json.RootElement.GetProperty("clientId").GetString());
            Assert.True(json.RootElement.GetProperty("revoked").GetBoolean());
        }

        using var http = host.CreateClient();
        using var token = await TokenRequests.PostClientCredentialsAsync(http, clientId, secret);
        Assert.Equal(HttpStatusCode.Unauthorized, token.StatusCode);
        var (_, list, _) = await RunAsync("list");
        using var listed = JsonDocument.Parse(list);
        Assert.True(listed.RootElement.EnumerateArray().Single(c => c.GetProperty("clientId").GetString() == clientId).GetProperty("revoked").GetBoolean());
    }

    [Fact]
    public async Task Revoke_OfAnUnknownClient_ExitsWith1AndOneLineOnStderr()
    {
        var (exitCode, stdout, stderr) = await RunAsync("revoke", "cli_unknown");

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cli_unknown", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("frobnicate")]
    [InlineData("add", "--tenant", "acme")]
    [InlineData("add", "--scopes", "commands")]
    [InlineData("add", "--tenant", "acme", "--scopes", "commands superuser")]
    [InlineData("add", "--tenant", "acme", "--scopes", " , ")]
    [InlineData("add", "--tenant", "bad tenant!", "--scopes", "commands")]
    [InlineData("add", "--tenant", "acme", "--tenant", "other", "--scopes", "commands")]
    [InlineData("add", "--tenant", "acme", "--scopes")]
    [InlineData("add", "--tenant", "acme", "--scopes", "commands", "--color", "blue")]
    [InlineData("add", "--tenant", "acme", "--scopes", "commands operator")]
    [InlineData("add", "--tenant", "operators", "--scopes", "commands")]
    [InlineData("add", "--operator", "--tenant", "acme")]
    [InlineData("add", "--operator", "--scopes", "admin")]
    [InlineData("list", "extra")]
    [InlineData("revoke")]
    [InlineData("revoke", "a", "b")]
    public async Task Run_WithBadArguments_ExitsWith2AndUsage_WithoutTouchingTheStore(params string[] args)
    {
        // No configuration at all: a usage error is reported before PostgreSQL is needed.
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await ClientsCommandLine.RunAsync(args, stdout, stderr, [new("ConnectionStrings:Postgres", "Host=127.0.0.1;Port=1")], Cancellation);

        Assert.Equal(ClientsCommandLine.UsageError, exitCode);
        Assert.Equal("", stdout.ToString());
        Assert.StartsWith("error: ", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("Usage:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_ListsTheSubCommandsOnStdout_AndExits0_WithoutPostgres(string help)
    {
        var (exitCode, stdout, stderr) = await RunUnreachableAsync(help);

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        Assert.Equal("", stderr);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Postgres", stdout, StringComparison.Ordinal);
        Assert.All(["add", "list", "revoke <client-id>", "rotate-callback-secret <client-id>"],
            command => Assert.Contains("  " + command + " ", stdout, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("add", "--help")]
    [InlineData("help", "add")]
    public async Task HelpOfAdd_ShowsEveryOptionOfAdd(params string[] args)
    {
        var (exitCode, stdout, _) = await RunUnreachableAsync(args);

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        Assert.Contains("clients add [options]", stdout, StringComparison.Ordinal);
        Assert.All(["--tenant <tenant>", "--scopes <scopes>", "--callback-url <url>", "--operator"],
            option => Assert.Contains(option, stdout, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HelpOfRotateCallbackSecret_ShowsTheGraceAndItsDefault()
    {
        var (exitCode, stdout, _) = await RunUnreachableAsync("rotate-callback-secret", "--help");

        Assert.Equal(ClientsCommandLine.Success, exitCode);
        Assert.Contains("--grace <time>", stdout, StringComparison.Ordinal);
        Assert.Contains("[default: 24h]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadOption_ExitsWith2_NamingIt_WithTheHelpOfItsCommand_AndWritesNothing()
    {
        // A real, empty database: a usage error must not even apply the schema, let alone add a client.
        var configuration = host.HostConfiguration();
        var database = await host.CreateDatabaseAsync();
        configuration["ConnectionStrings:Postgres"] = database;

        var (exitCode, stdout, stderr) = await RunAsync(configuration, "add", "--tenant", "acme", "--scopes", "commands", "--colour", "blue");

        Assert.Equal(ClientsCommandLine.UsageError, exitCode);
        Assert.Equal("", stdout);
        var firstLine = stderr.Split('\n')[0];
        Assert.StartsWith("error: ", firstLine, StringComparison.Ordinal);
        Assert.Contains("'--colour'", firstLine, StringComparison.Ordinal);
        Assert.Contains("clients add [options]", stderr, StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Cancellation);
        await using var tables = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", connection);
        Assert.Equal(0L, await tables.ExecuteScalarAsync(Cancellation));
    }

    [Fact]
    public async Task Run_WhenAnAppliedMigrationChanged_ExitsWith1NamingTheScript()
    {
        var configuration = host.HostConfiguration();
        var database = await host.CreateDatabaseAsync();
        configuration["ConnectionStrings:Postgres"] = database;
        Assert.Equal(ClientsCommandLine.Success, (await RunAsync(configuration, "list")).ExitCode);
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync(Cancellation);
            await using var tamper = new NpgsqlCommand("UPDATE schema_versions SET checksum = repeat('0', 64) WHERE version = 1", connection);
            await tamper.ExecuteNonQueryAsync(Cancellation);
        }

        var (exitCode, stdout, stderr) = await RunAsync(configuration, "list");

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^error: Schema migration 0001_[a-z_]+\.sql was changed after it was applied", line);
    }

    [Fact]
    public async Task Run_WhenPostgresIsUnreachable_ExitsWith1NamingTheConnectionString()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await ClientsCommandLine.RunAsync(["list"], stdout, stderr,
            [new("ConnectionStrings:Postgres", "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=2")], Cancellation);

        Assert.Equal(ClientsCommandLine.Failure, exitCode);
        Assert.Contains("ConnectionStrings:Postgres", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Password", stderr.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Run_OnAFreshDatabase_AppliesTheSchemaFirst()
    {
        var configuration = host.HostConfiguration();
        configuration["ConnectionStrings:Postgres"] = await host.CreateDatabaseAsync();

        var (exitCode, stdout, stderr) = await RunAsync(configuration, "list");

        Assert.True(exitCode == ClientsCommandLine.Success, stderr);
        Assert.Equal("[]", stdout.Trim());
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(host.HostConfiguration(), args);

    // PostgreSQL on a port where nothing listens: what must not need it cannot reach it.
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunUnreachableAsync(params string[] args) =>
        RunAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1" }, args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IDictionary<string, string?> configuration, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ClientsCommandLine.RunAsync(args, stdout, stderr, configuration, Cancellation);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
