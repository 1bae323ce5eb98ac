using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts.Commands;
using Messaging.Store.Bus;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Gateway.Monitoring;

/// <summary>One queue as a source reads it. Rates are messages per second; null when the source cannot tell.</summary>
/// <param name="Name">The queue.</param>
/// <param name="Ready">Messages waiting for a consumer.</param>
/// <param name="Unacked">Messages delivered and not yet acknowledged (null over AMQP, which cannot tell).</param>
/// <param name="Consumers">Consumers attached.</param>
/// <param name="PublishRate">Messages in per second.</param>
/// <param name="DeliverRate">Messages out per second.</param>
internal sealed record QueueReading(string Name, long Ready, long? Unacked, int Consumers, double? PublishRate, double? DeliverRate);

/// <summary>Where queue figures come from: the management HTTP API, or AMQP passive declares when it is unavailable.</summary>
internal interface IQueueStatisticsSource
{
    /// <summary>The source's name in the overview (<c>management</c> or <c>amqp</c>).</summary>
    string Name { get; }

    /// <summary>Reads every durable queue of the virtual host (or the known ones, for AMQP).</summary>
    Task<IReadOnlyList<QueueReading>> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The RabbitMQ endpoints derived from <c>ConnectionStrings:RabbitMq</c>, <c>RabbitMq:Hosts</c> (<see cref="RabbitMqBroker"/>)
/// and <see cref="RabbitMqManagementOptions"/>.
/// </summary>
internal sealed class RabbitMqEndpoints
{
    public RabbitMqEndpoints(IConfiguration configuration, IOptions<RabbitMqManagementOptions> options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        Broker = RabbitMqBroker.FromConfiguration(configuration);
        var path = Uri.UnescapeDataString(Broker.Address.AbsolutePath.TrimStart('/'));
        VirtualHost = path.Length == 0 ? "/" : path;

        var configured = string.IsNullOrWhiteSpace(options.Value.Url) ? null : new Uri(options.Value.Url);
        var management = configured ?? DerivedManagementUrl(Broker);
        ManagementBase = new Uri(management.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        var userInfo = !string.IsNullOrEmpty(configured?.UserInfo) ? configured.UserInfo : Broker.Address.UserInfo;
        ManagementCredentials = string.IsNullOrEmpty(userInfo) ? "guest:guest" : Uri.UnescapeDataString(userInfo);
    }

    /// <summary>
    /// The management API of the broker's first node (<see cref="RabbitMqBroker.Endpoints"/>): every node of a cluster
    /// serves the whole cluster's queues, so one is enough; set <c>RabbitMq:Management:Url</c> to read another (for
    /// example a load balancer in front of them all).
    /// </summary>
    public static Uri DerivedManagementUrl(RabbitMqBroker broker)
    {
        ArgumentNullException.ThrowIfNull(broker);
        return DerivedManagementUrl(new UriBuilder(broker.Address) { Host = broker.Endpoints[0].HostName }.Uri);
    }

    /// <summary>
    /// The management API of the broker at <paramref name="amqp"/>: https on 15671 when AMQP is <c>amqps</c> (the
    /// credentials go with every request, and a broker reached over TLS is not reached over plain http for them),
    /// http on 15672 otherwise.
    /// </summary>
    public static Uri DerivedManagementUrl(Uri amqp)
    {
        ArgumentNullException.ThrowIfNull(amqp);
        return string.Equals(amqp.Scheme, "amqps", StringComparison.OrdinalIgnoreCase)
            ? new UriBuilder(Uri.UriSchemeHttps, amqp.Host, 15671).Uri
            : new UriBuilder(Uri.UriSchemeHttp, amqp.Host, 15672).Uri;
    }

    /// <summary>The AMQP URI (with the virtual host as its path) and the nodes to connect to.</summary>
    public RabbitMqBroker Broker { get; }

    /// <summary>The virtual host, <c>/</c> by default.</summary>
    public string VirtualHost { get; }

    /// <summary>The management API's base URL, without credentials.</summary>
    public Uri ManagementBase { get; }

    /// <summary><c>user:password</c> for the management API's basic authentication.</summary>
    public string ManagementCredentials { get; }
}

/// <summary>Reads queues from the management HTTP API: depth, unacked, consumers and the broker's own rates.</summary>
internal sealed class ManagementApiQueueSource(IHttpClientFactory httpClients, RabbitMqEndpoints endpoints, IOptions<RabbitMqManagementOptions> options)
    : IQueueStatisticsSource
{
    /// <summary>The name of its HttpClient (no request logging: nothing about the broker's URL goes to the log).</summary>
    public const string HttpClientName = "rabbitmq-management";

    public string Name => "management";

    public async Task<IReadOnlyList<QueueReading>> ReadAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        var url = new Uri(endpoints.ManagementBase,
            $"api/queues/{Uri.EscapeDataString(endpoints.VirtualHost)}?columns=name,durable,auto_delete,exclusive,messages_ready,messages_unacknowledged,consumers,message_stats");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(endpoints.ManagementCredentials)));
        using var http = httpClients.CreateClient(HttpClientName);
        using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        var queues = await JsonSerializer.DeserializeAsync<List<ManagementQueue>>(body, cancellationToken: timeout.Token).ConfigureAwait(false) ?? [];
        return queues
            .Where(q => q.Durable && !q.AutoDelete && !q.Exclusive)
            .Select(q => new QueueReading(q.Name, q.MessagesReady, q.MessagesUnacknowledged, q.Consumers,
                q.MessageStats?.PublishDetails?.Rate ?? 0, q.MessageStats?.DeliverGetDetails?.Rate ?? 0))
            .OrderBy(q => q.Name, StringComparer.Ordinal)
            .ToList();
    }

    private sealed record ManagementQueue(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("durable")] bool Durable,
        [property: JsonPropertyName("auto_delete")] bool AutoDelete,
        [property: JsonPropertyName("exclusive")] bool Exclusive,
        [property: JsonPropertyName("messages_ready")] long MessagesReady,
        [property: JsonPropertyName("messages_unacknowledged")] long MessagesUnacknowledged,
        [property: JsonPropertyName("consumers")] int Consumers,
        [property: JsonPropertyName("message_stats")] MessageStats? MessageStats);

    private sealed record MessageStats(
        [property: JsonPropertyName("publish_details")] RateDetails? PublishDetails,
        [property: JsonPropertyName("deliver_get_details")] RateDetails? DeliverGetDetails);

    private sealed record RateDetails([property: JsonPropertyName("rate")] double Rate);
}

/// <summary>
/// Reads the command queues (and their <c>_error</c> queues) with AMQP passive declares: depth and consumers only.
/// Unacked is unknown; rates are left to the sampler, which estimates them from successive depths. One connection is
/// kept and rebuilt after a failure.
/// </summary>
internal sealed class AmqpQueueSource(RabbitMqEndpoints endpoints, CommandTypeRegistry commandTypes) : IQueueStatisticsSource, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public string Name => "amqp";

    /// <summary>The queues read: every command queue and its error queue.</summary>
    public IReadOnlyList<string> QueueNames { get; } =
        commandTypes.All.SelectMany(c => new[] { c.QueueName, c.QueueName + "_error" }).ToList();

    public async Task<IReadOnlyList<QueueReading>> ReadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            var readings = new List<QueueReading>();
            foreach (var name in QueueNames)
            {
                // A passive declare of a missing queue closes the channel: one channel per queue.
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                try
                {
                    var ok = await channel.QueueDeclarePassiveAsync(name, cancellationToken).ConfigureAwait(false);
                    readings.Add(new QueueReading(name, ok.MessageCount, null, (int)ok.ConsumerCount, null, null));
                    await channel.CloseAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
                {
                    // Not declared (yet): nothing to show.
                }
            }

            return readings;
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or IOException)
        {
            await ResetAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ResetAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
        {
            return open;
        }

        await ResetAsync().ConfigureAwait(false);
        var factory = endpoints.Broker.CreateConnectionFactory("messaging-monitoring");
        factory.RequestedConnectionTimeout = TimeSpan.FromSeconds(3);
        _connection = await endpoints.Broker.ConnectAsync(factory, cancellationToken).ConfigureAwait(false);
        return _connection;
    }

    private async Task ResetAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or IOException or OperationInterruptedException)
            {
                // Already gone.
            }
        }
    }
}
