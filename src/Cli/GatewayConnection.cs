using System.CommandLine;
using Messaging.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Cli;

/// <summary>
/// The gateway and credentials, from options or the environment (<c>MSG_GATEWAY_URL</c>,
/// <c>MSG_CLIENT_ID</c>, <c>MSG_CLIENT_SECRET</c>), and the <see cref="MessagingClient"/> built from them
/// through <c>AddMessagingClient</c>, exactly as an application would.
/// </summary>
internal sealed class GatewayConnection : IDisposable
{
    public const string GatewayUrlVariable = "MSG_GATEWAY_URL";
    public const string ClientIdVariable = "MSG_CLIENT_ID";
    public const string ClientSecretVariable = "MSG_CLIENT_SECRET";
    public const string DefaultGatewayUrl = "http://127.0.0.1:5080/";

    public static readonly Option<string> GatewayOption = new("--gateway", "-g")
    {
        Description = $"The gateway's base URL [env: {GatewayUrlVariable}; default {DefaultGatewayUrl}]",
        Recursive = true,
    };

    public static readonly Option<string> ClientIdOption = new("--client-id")
    {
        Description = $"The client id [env: {ClientIdVariable}]",
        Recursive = true,
    };

    public static readonly Option<string> ClientSecretOption = new("--client-secret")
    {
        Description = $"The client secret; prefer the environment variable, arguments are visible to other users [env: {ClientSecretVariable}]",
        Recursive = true,
    };

    private readonly ServiceProvider _services;

    private GatewayConnection(ServiceProvider services)
    {
        _services = services;
        Client = services.GetRequiredService<MessagingClient>();
    }

    public MessagingClient Client { get; }

    public static GatewayConnection Open(ParseResult parse)
    {
        var url = parse.GetValue(GatewayOption) ?? Environment.GetEnvironmentVariable(GatewayUrlVariable) ?? DefaultGatewayUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            throw new CliException($"the gateway URL '{url}' is not an absolute http(s) URL", ExitCodes.Usage);
        }

        var clientId = parse.GetValue(ClientIdOption) ?? Environment.GetEnvironmentVariable(ClientIdVariable);
        if (string.IsNullOrWhiteSpace(clientId))
        {
            throw new CliException($"no client id: pass --client-id or set {ClientIdVariable}", ExitCodes.Usage);
        }

        var clientSecret = parse.GetValue(ClientSecretOption) ?? Environment.GetEnvironmentVariable(ClientSecretVariable);
        if (string.IsNullOrEmpty(clientSecret))
        {
            throw new CliException($"no client secret: set {ClientSecretVariable} (or pass --client-secret)", ExitCodes.Usage);
        }

        var services = new ServiceCollection();
        services.AddMessagingClient(options =>
        {
            options.BaseAddress = baseAddress;
            options.ClientId = clientId;
            options.ClientSecret = clientSecret;
            // No Scopes: the token carries every scope the client holds. Asking for one by name would fail for the
            // clients that lack it (an operator client holds only 'operator', a tenant's client never holds it).
            // A person is waiting: give up sooner than a service would.
            options.MaxRetryAttempts = 3;
            options.MaxRetryDelay = TimeSpan.FromSeconds(10);
        });
        return new GatewayConnection(services.BuildServiceProvider());
    }

    public void Dispose() => _services.Dispose();
}
