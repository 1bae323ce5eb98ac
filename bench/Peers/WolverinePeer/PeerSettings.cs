using System.Globalization;

namespace Messaging.WolverinePeer;

/// <summary>The peer's configuration (section <c>Peer</c> and the connection strings), read and checked at start.</summary>
internal sealed class PeerSettings
{
    public required string Postgres { get; init; }

    public required Uri RabbitMq { get; init; }

    /// <summary><c>api</c> (HTTP endpoint and outbox), <c>handler</c> (durable inbox and handler) or <c>all</c>.</summary>
    public required string Role { get; init; }

    /// <summary>RabbitMQ publisher confirms, awaited before the outbox row is deleted; off is Wolverine's default.</summary>
    public bool PublisherConfirms { get; init; }

    /// <summary>The database schema of Wolverine's envelope tables.</summary>
    public required string Schema { get; init; }

    /// <summary>The quorum queue between the two halves.</summary>
    public required string Queue { get; init; }

    /// <summary>Messages handled at once by the listener (ours: 8 in flight per worker).</summary>
    public int Parallelism { get; init; }

    /// <summary>The notifications provider's base URL (tests/FakeServices); needed by the handler only.</summary>
    public Uri? NotificationsEndpoint { get; init; }

    public string? NotificationsApiKey { get; init; }

    public bool Accepts => Role is "api" or "all";

    public bool Handles => Role is "handler" or "all";

    public static PeerSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection("Peer");
        var role = section["Role"] ?? "all";
        if (role is not ("api" or "handler" or "all"))
        {
            throw new InvalidOperationException($"Peer:Role must be api, handler or all, not '{role}'.");
        }

        var parallelism = int.Parse(section["Parallelism"] ?? "8", CultureInfo.InvariantCulture);
        if (parallelism < 1)
        {
            throw new InvalidOperationException("Peer:Parallelism must be at least 1.");
        }

        return new PeerSettings
        {
            Postgres = Required(configuration, "ConnectionStrings:Postgres"),
            RabbitMq = new Uri(Required(configuration, "ConnectionStrings:RabbitMq")),
            Role = role,
            PublisherConfirms = bool.Parse(section["PublisherConfirms"] ?? "false"),
            Schema = section["Schema"] ?? "wolverine_peer",
            Queue = section["Queue"] ?? "wolverine-peer-notifications",
            Parallelism = parallelism,
            NotificationsEndpoint = role == "api" ? null : new Uri(Required(configuration, "Peer:Notifications:Endpoint")),
            NotificationsApiKey = role == "api" ? null : Required(configuration, "Peer:Notifications:ApiKey"),
        };
    }

    private static string Required(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value ? value : throw new InvalidOperationException($"{key} is required.");
}
