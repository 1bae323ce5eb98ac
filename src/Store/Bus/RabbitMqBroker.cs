using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;

namespace Messaging.Store.Bus;

/// <summary>
/// Where and how every AMQP connection of a process is opened: the URI of <c>ConnectionStrings:RabbitMq</c> (credentials,
/// virtual host, TLS) and the nodes to try, in order (<see cref="RabbitMqOptions.Hosts"/>, or the URI's host when there
/// are none). The one place both settings are read and checked; MassTransit's bus and every RabbitMQ.Client connection
/// (topology, outbox relay, dead-letter drain, monitoring) connect through it, so a node that is down is skipped alike by all.
/// </summary>
public sealed class RabbitMqBroker
{
    private const string ConnectionStringKey = "ConnectionStrings:RabbitMq";
    private const string HostsKey = RabbitMqOptions.SectionName + ":Hosts";

    private RabbitMqBroker(Uri address, IReadOnlyList<AmqpTcpEndpoint> endpoints, int? quorumInitialGroupSize)
    {
        Address = address;
        Endpoints = endpoints;
        QuorumInitialGroupSize = quorumInitialGroupSize;
    }

    /// <summary>The AMQP URI: scheme (<c>amqps</c> for TLS), credentials, and the virtual host as its path.</summary>
    public Uri Address { get; }

    /// <summary>
    /// Whether connections use TLS (the URI's scheme is <c>amqps</c>); every node's certificate must then be valid for the
    /// URI's host (a name the whole cluster's certificates carry), which MassTransit, too, checks each node against.
    /// </summary>
    public bool UsesTls => string.Equals(Address.Scheme, "amqps", StringComparison.OrdinalIgnoreCase);

    /// <summary>The nodes, in the order connections try them; never empty.</summary>
    public IReadOnlyList<AmqpTcpEndpoint> Endpoints { get; }

    /// <summary>The nodes as <c>host:port</c>, as MassTransit's cluster configuration takes them.</summary>
    public IEnumerable<string> Nodes => Endpoints.Select(e => e.HostName.Contains(':', StringComparison.Ordinal) ? $"[{e.HostName}]:{e.Port}" : $"{e.HostName}:{e.Port}");

    /// <summary><see cref="RabbitMqOptions.QuorumInitialGroupSize"/>: the members of each quorum queue declared, or null for all nodes.</summary>
    public int? QuorumInitialGroupSize { get; }

    /// <summary>Reads and checks <c>ConnectionStrings:RabbitMq</c> and the <c>RabbitMq</c> section.</summary>
    /// <exception cref="InvalidOperationException">A value is missing or invalid; the message names the key.</exception>
    public static RabbitMqBroker FromConfiguration(IConfiguration configuration) =>
        TryFromConfiguration(configuration, out var broker, out var error) ? broker : throw new InvalidOperationException(error);

    /// <summary>Reads and checks <c>ConnectionStrings:RabbitMq</c> and the <c>RabbitMq</c> section, without throwing.</summary>
    /// <returns>Whether both are valid; otherwise <paramref name="error"/> names the key and what is wrong with it.</returns>
    public static bool TryFromConfiguration(IConfiguration configuration,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RabbitMqBroker? broker,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        broker = null;
        var connectionString = configuration.GetConnectionString("RabbitMq");
        if (string.IsNullOrWhiteSpace(connectionString)
            || !Uri.TryCreate(connectionString, UriKind.Absolute, out var address)
            || address.Scheme is not ("amqp" or "amqps"))
        {
            error = $"{ConnectionStringKey} must be an amqp:// or amqps:// URI with the virtual host as its path, for example amqp://guest:guest@127.0.0.1:5672/.";
            return false;
        }

        var options = new RabbitMqOptions();
        try
        {
            configuration.GetSection(RabbitMqOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // A value that is not a number where one is expected; the binder's message names the key.
            error = ex.Message;
            return false;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            error = $"{RabbitMqOptions.SectionName}:{string.Join(", ", results.SelectMany(r => r.MemberNames))} is invalid: "
                + string.Join(" ", results.Select(r => r.ErrorMessage));
            return false;
        }

        var tls = string.Equals(address.Scheme, "amqps", StringComparison.OrdinalIgnoreCase);
        // Without a port in the URI, System.Uri reports -1 for amqp(s), which the endpoint reads as AMQP's default (5671 with TLS).
        var defaultPort = address.Port > 0 ? address.Port : AmqpTcpEndpoint.UseDefaultPort;
        var endpoints = new List<AmqpTcpEndpoint>();
        if (options.Hosts.Count == 0)
        {
            endpoints.Add(Endpoint(address.IdnHost, defaultPort, tls, address.IdnHost));
        }

        for (var i = 0; i < options.Hosts.Count; i++)
        {
            if (!TryParseNode(options.Hosts[i], out var host, out var port))
            {
                // Credentials belong in the URI; an entry that carries some is not repeated into a log.
                var shown = options.Hosts[i]?.Contains('@', StringComparison.Ordinal) == true ? "(an entry with user information)" : $"'{options.Hosts[i]}'";
                error = $"{HostsKey}:{i} is {shown}: each node must be host:port (or a host alone, on the port of {ConnectionStringKey}).";
                return false;
            }

            endpoints.Add(Endpoint(host, port ?? defaultPort, tls, address.IdnHost));
        }

        broker = new RabbitMqBroker(address, endpoints, options.QuorumInitialGroupSize);
        error = null;
        return true;
    }

    /// <summary>
    /// A connection factory for <paramref name="clientName"/> with the URI's credentials, virtual host and TLS; open its
    /// connections with <see cref="ConnectAsync"/>, which tries every node (the factory's own host is only the first).
    /// </summary>
    public ConnectionFactory CreateConnectionFactory(string clientName) =>
        new() { Uri = Address, ClientProvidedName = clientName };

    /// <summary>
    /// Opens a connection to the first node that accepts one, trying <see cref="Endpoints"/> in order (as MassTransit's
    /// cluster configuration does). The library's own list overload would shuffle them, so which node a process ends up
    /// on would be a draw; in order, the configuration says which node is preferred. Automatic recovery, where enabled,
    /// tries them in the same order.
    /// </summary>
    public Task<IConnection> ConnectAsync(ConnectionFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return factory.CreateConnectionAsync(new InOrder(Endpoints), factory.ClientProvidedName, cancellationToken);
    }

    /// <summary>Parses <c>host:port</c>, <c>host</c>, <c>[v6]:port</c> or <c>[v6]</c>; <paramref name="port"/> is null when absent.</summary>
    internal static bool TryParseNode(string? node, out string host, out int? port)
    {
        host = string.Empty;
        port = null;
        if (string.IsNullOrWhiteSpace(node)
            || !Uri.TryCreate("amqp://" + node.Trim(), UriKind.Absolute, out var uri)
            || uri.UserInfo.Length > 0
            || uri.PathAndQuery != "/"
            || uri.Fragment.Length > 0
            || uri.IdnHost.Length == 0)
        {
            return false;
        }

        host = uri.IdnHost;
        port = uri.Port > 0 ? uri.Port : null;
        return true;
    }

    // Connecting to a list ignores the factory's TLS settings: each endpoint carries its own. Every node's certificate is
    // checked against the URI's host, as MassTransit checks it (one server name for the whole cluster), so both agree.
    private static AmqpTcpEndpoint Endpoint(string host, int port, bool tls, string serverName) =>
        new(host, port, new SslOption(serverName, enabled: tls));

    private sealed class InOrder(IReadOnlyList<AmqpTcpEndpoint> endpoints) : IEndpointResolver
    {
        public IEnumerable<AmqpTcpEndpoint> All() => endpoints;
    }
}
