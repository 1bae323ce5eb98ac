using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Gateway.Commands;
using Messaging.Resilience.Classification;
using Messaging.Store.Audit;
using Messaging.Store.Persistence;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Clients;

/// <summary>
/// <c>clients add --tenant T --scopes "commands admin" [--callback-url URL]</c>, <c>clients add --operator</c>, <c>clients list</c>,
/// <c>clients revoke ID</c>, <c>clients rotate-callback-secret ID [--grace 24h]</c>: client
/// management from the gateway's own executable, with the gateway's configuration
/// (<c>ConnectionStrings:Postgres</c>, <c>Auth:SecretPeppers</c>, <c>Auth:CurrentSecretPepper</c>, <c>Callbacks:SecretKeys</c>,
/// <c>Callbacks:CurrentSecretKey</c>, <c>Tenants:&lt;tenant&gt;:CallbackOrigins</c>). Applies the schema migrations first.
/// Adding, revoking and rotating are audited with the actor <c>local:&lt;user name&gt;</c>.
/// Arguments are parsed with System.CommandLine (<c>clients --help</c>, <c>clients add --help</c>, ...).
/// Output is JSON on stdout; help goes to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 failure, 2 usage error.
/// </summary>
internal static class ClientsCommandLine
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    /// <summary>The longest grace period of a rotated callback secret.</summary>
    internal static readonly TimeSpan MaxGrace = TimeSpan.FromDays(30);

    private static readonly Option<string> TenantOption = new("--tenant")
    {
        Description = "The client's tenant: 1-64 letters, digits, '-', '_' or '.' ('operators' is reserved for --operator)",
        HelpName = "tenant",
    };

    private static readonly Option<string> ScopesOption = new("--scopes")
    {
        Description = "Space- or comma-separated: commands (the tenant's commands), admin (the tenant's dead letters, redrives, audit "
            + "and overview)",
        HelpName = "scopes",
    };

    private static readonly Option<string> CallbackUrlOption = new("--callback-url")
    {
        Description = "The client's default completion callback URL, on Tenants:<tenant>:CallbackOrigins; its signing secret is "
            + "printed once",
        HelpName = "url",
    };

    private static readonly Option<bool> OperatorOption = new("--operator")
    {
        Description = "An operator client instead: tenant operators, scope operator (every tenant's operations, breakers); "
            + "takes no --tenant, --scopes or --callback-url",
    };

    private static readonly Argument<string> ClientIdArgument = new("client-id") { Description = "The client's id (cli_...)" };

    private static readonly Option<string> GraceOption = new("--grace")
    {
        Description = "How long the old secret keeps signing too: a whole number and s, m, h or d (e.g. 90m, 24h, 7d; at most 30d)",
        HelpName = "time",
        DefaultValueFactory = _ => "24h",
    };

    private static readonly Command Root = CreateRoot();

    private static Command CreateRoot()
    {
        // A plain command named "clients" rather than RootCommand, whose name is the entry assembly's and which adds directives.
        var add = new Command("add", "Add a tenant's client (or an operator client); prints its id and secret, shown once")
        {
            TenantOption, ScopesOption, CallbackUrlOption, OperatorOption,
        };
        var list = new Command("list", "List the clients: id, tenant, scopes, created, revoked (never secrets)");
        var revoke = new Command("revoke", "Revoke a client: its tokens stop working") { ClientIdArgument };
        var rotate = new Command("rotate-callback-secret",
            "A new callback signing secret, printed once; the old one signs too until the grace ends")
        {
            ClientIdArgument, GraceOption,
        };
        return new Command("clients",
            """
            Manage the gateway's API clients, with the gateway's configuration: ConnectionStrings:Postgres
            (env ConnectionStrings__Postgres); callback signing secrets need Callbacks:SecretKeys:<id> and
            Callbacks:CurrentSecretKey. Output is JSON on stdout. Exit codes: 0 done, 1 failed, 2 wrong usage.
            """)
        {
            new HelpOption(),
            add,
            list,
            revoke,
            rotate,
        };
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Runs one sub-command (the arguments after <c>clients</c>) and returns the exit code.</summary>
    /// <param name="args">The sub-command and its arguments, e.g. <c>["revoke", "cli_..."]</c>.</param>
    /// <param name="stdout">Where results (JSON) go.</param>
    /// <param name="stderr">Where errors and logs go.</param>
    /// <param name="configuration">Settings that override the gateway's configuration (tests).</param>
    /// <param name="cancellationToken">Stops the command.</param>
    public static async Task<int> RunAsync(
        IReadOnlyList<string> args,
        TextWriter stdout,
        TextWriter stderr,
        IEnumerable<KeyValuePair<string, string?>>? configuration = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        var command = Parse(args);
        switch (command)
        {
            case ShowHelp help:
                await help.Parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken).ConfigureAwait(false);
                return Success;
            case Invalid invalid:
                await stderr.WriteLineAsync($"error: {invalid.Message}").ConfigureAwait(false);
                await WriteHelpAsync(invalid.Command, stderr, cancellationToken).ConfigureAwait(false);
                return UsageError;
        }

        try
        {
            await using var app = BuildApp(configuration);
            await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
            var store = app.Services.GetRequiredService<ClientStore>();
            return command switch
            {
                AddClient add => await AddAsync(store, app.Services.GetRequiredService<CallbackUrls>(), add, stdout, stderr, cancellationToken)
                    .ConfigureAwait(false),
                RotateCallbackSecret rotate => await RotateCallbackSecretAsync(store, rotate, stdout, stderr, cancellationToken).ConfigureAwait(false),
                ListClients => await ListAsync(store, stdout, cancellationToken).ConfigureAwait(false),
                RevokeClient revoke => await RevokeAsync(store, revoke, stdout, stderr, cancellationToken).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"Unhandled command {command}."),
            };
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex))
        {
            // Unreachable, or refusing us (a wrong password, a missing database): the tool says so in one line either way.
            await stderr.WriteLineAsync($"error: PostgreSQL (ConnectionStrings:Postgres) cannot be used: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }
        catch (OptionsValidationException ex)
        {
            await stderr.WriteLineAsync($"error: invalid configuration: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }
        catch (SchemaChecksumMismatchException ex)
        {
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("ConnectionStrings:Postgres", StringComparison.Ordinal))
        {
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }
    }

    private static WebApplication BuildApp(IEnumerable<KeyValuePair<string, string?>>? configuration)
    {
        // The gateway's own configuration sources (appsettings, environment), without its command line.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        // stdout carries the JSON result only.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.AddMessagingPostgres();
        builder.AddGatewayClients();
        builder.AddCallbackOrigins();
        return builder.Build();
    }

    private static async Task<int> AddAsync(ClientStore store, CallbackUrls callbackUrls, AddClient add, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        string? callbackUrl = null;
        if (add.CallbackUrl is { } requested)
        {
            callbackUrl = callbackUrls.Check(requested, add.Tenant, out var error);
            if (callbackUrl is null)
            {
                await stderr.WriteLineAsync($"error: --callback-url: {error}").ConfigureAwait(false);
                return Failure;
            }
        }

        NewClient created;
        try
        {
            created = await store.AddAsync(add.Tenant, add.Scopes, Actor, cancellationToken, callbackUrl).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName == "callbackUrl")
        {
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }

        var output = new AddedClientOutput(created.Client.ClientId, created.Secret, created.Client.Tenant, created.Client.Scopes, created.CallbackSecret,
            created.CallbackUrl);
        await stdout.WriteLineAsync(JsonSerializer.Serialize(output, Json)).ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> RotateCallbackSecretAsync(ClientStore store, RotateCallbackSecret rotate, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        (string Secret, DateTimeOffset PreviousRetiresAt)? rotated;
        try
        {
            rotated = await store.RotateCallbackSecretAsync(rotate.ClientId, rotate.Grace, Actor, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("Callbacks:SecretKeys", StringComparison.Ordinal))
        {
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failure;
        }

        if (rotated is not { } done)
        {
            await stderr.WriteLineAsync($"error: unknown or revoked client '{rotate.ClientId}'.").ConfigureAwait(false);
            return Failure;
        }

        await stdout.WriteLineAsync(JsonSerializer.Serialize(new RotatedCallbackSecretOutput(rotate.ClientId, done.Secret, done.PreviousRetiresAt), Json))
            .ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> ListAsync(ClientStore store, TextWriter stdout, CancellationToken cancellationToken)
    {
        var clients = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        var output = clients.Select(c => new ListedClientOutput(c.ClientId, c.Tenant, c.Scopes, c.CreatedAt, c.IsRevoked, c.RevokedAt)).ToList();
        await stdout.WriteLineAsync(JsonSerializer.Serialize(output, Json)).ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> RevokeAsync(ClientStore store, RevokeClient revoke, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var revokedAt = await store.RevokeAsync(revoke.ClientId, Actor, cancellationToken).ConfigureAwait(false);
        if (revokedAt is null)
        {
            await stderr.WriteLineAsync($"error: unknown client '{revoke.ClientId}'.").ConfigureAwait(false);
            return Failure;
        }

        await stdout.WriteLineAsync(JsonSerializer.Serialize(new RevokedClientOutput(revoke.ClientId, Revoked: true, revokedAt.Value), Json)).ConfigureAwait(false);
        return Success;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    // Whoever runs the tool on the gateway's machine; the audit trail names them.
    private static AuditActor Actor => AuditActor.Local(Environment.UserName);

    /// <summary>
    /// Parses the arguments after <c>clients</c> with System.CommandLine, then checks what it cannot (a tenant's form, known
    /// scopes, <c>--operator</c> alone, a grace period).
    /// </summary>
    internal static ParsedCommand Parse(IReadOnlyList<string> args)
    {
        // "clients help [sub-command]" as "clients [sub-command] --help".
        string[] tokens = args is ["help", ..] ? [.. args.Skip(1), "--help"] : [.. args];

        // No response files: an argument starting with '@' is a value, never a file to read.
        var parse = Root.Parse(tokens, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var command = parse.CommandResult.Command;
        if (parse.Action is HelpAction)
        {
            return new ShowHelp(parse);
        }

        if (parse.Errors.Count > 0)
        {
            var reasons = string.Join("; ", parse.Errors.Select(e => OneLine(e.Message).TrimEnd('.')).Distinct(StringComparer.Ordinal));
            return new Invalid(reasons + ".", command);
        }

        return command.Name switch
        {
            "add" => ParseAdd(parse, command),
            "list" => new ListClients(),
            "revoke" => new RevokeClient(parse.GetValue(ClientIdArgument)!),
            "rotate-callback-secret" => ParseRotate(parse, command),
            _ => new Invalid("a sub-command is required.", command),
        };
    }

    private static ParsedCommand ParseAdd(ParseResult parse, Command command)
    {
        var tenant = parse.GetValue(TenantOption);
        var scopes = parse.GetValue(ScopesOption);
        var callbackUrl = parse.GetValue(CallbackUrlOption);
        if (parse.GetValue(OperatorOption))
        {
            return tenant is null && scopes is null && callbackUrl is null
                ? new AddClient(GatewayClaims.OperatorTenant, [GatewayClaims.OperatorScope])
                : new Invalid("'add --operator' takes no --tenant, --scopes or --callback-url: an operator client is in tenant 'operators' with scope "
                    + "'operator', and submits no commands.", command);
        }

        if (tenant is null || scopes is null)
        {
            return new Invalid("'add' needs --tenant and --scopes (or --operator).", command);
        }

        if (!ClientStore.IsValidTenant(tenant))
        {
            return new Invalid($"tenant '{tenant}' is invalid: use 1-{ClientStore.MaxTenantLength} letters, digits, '-', '_' or '.'.", command);
        }

        var scopeList = scopes.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();
        if (scopeList.Length == 0)
        {
            return new Invalid($"--scopes needs one or more of: {string.Join(", ", GatewayClaims.AllScopes)}.", command);
        }

        var unknown = scopeList.FirstOrDefault(scope => !GatewayClaims.IsKnownScope(scope));
        if (unknown is not null)
        {
            return new Invalid($"unknown scope '{unknown}'; scopes are: {string.Join(", ", GatewayClaims.AllScopes)}.", command);
        }

        return ClientStore.OperatorMismatch(tenant, scopeList) is { } mismatch
            ? new Invalid(mismatch, command)
            : new AddClient(tenant, scopeList, callbackUrl);
    }

    private static ParsedCommand ParseRotate(ParseResult parse, Command command)
    {
        var clientId = parse.GetValue(ClientIdArgument)!;
        if (clientId.StartsWith('-'))
        {
            return new Invalid("'rotate-callback-secret' takes a client id first.", command);
        }

        if (ParseDuration(parse.GetValue(GraceOption)!) is not { } grace || grace > MaxGrace)
        {
            return new Invalid($"--grace must be a time such as 90m, 24h or 7d (seconds s, minutes m, hours h, days d), at most {MaxGrace.TotalDays:0}d.",
                command);
        }

        return new RotateCallbackSecret(clientId, grace);
    }

    // The help of the command a usage error is about ("clients add --help" for a bad option of add).
    private static Task WriteHelpAsync(Command command, TextWriter output, CancellationToken cancellationToken)
    {
        string[] path = command == Root ? ["--help"] : [command.Name, "--help"];
        return Root.Parse(path).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, cancellationToken);
    }

    /// <summary>A whole number and a unit: <c>0s</c>, <c>90m</c>, <c>24h</c>, <c>7d</c>.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount > 100_000)
        {
            return null;
        }

        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => null,
        };
    }

    internal abstract record ParsedCommand;

    /// <summary><c>--help</c>, <c>-h</c> or <c>help</c>: the parse whose help action prints it.</summary>
    internal sealed record ShowHelp(ParseResult Parse) : ParsedCommand;

    /// <summary>A usage error, and the command whose help follows it.</summary>
    internal sealed record Invalid(string Message, Command Command) : ParsedCommand;

    internal sealed record AddClient(string Tenant, IReadOnlyList<string> Scopes, string? CallbackUrl = null) : ParsedCommand;

    internal sealed record RotateCallbackSecret(string ClientId, TimeSpan Grace) : ParsedCommand;

    internal sealed record ListClients : ParsedCommand;

    internal sealed record RevokeClient(string ClientId) : ParsedCommand;

    private sealed record AddedClientOutput(
        string ClientId,
        string ClientSecret,
        string Tenant,
        IReadOnlyList<string> Scopes,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CallbackSecret,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CallbackUrl);

    private sealed record RotatedCallbackSecretOutput(string ClientId, string CallbackSecret, DateTimeOffset PreviousSecretRetiresAt);

    private sealed record ListedClientOutput(string ClientId, string Tenant, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, bool Revoked, DateTimeOffset? RevokedAt);

    private sealed record RevokedClientOutput(string ClientId, bool Revoked, DateTimeOffset RevokedAt);
}
