using System.Net.Sockets;
using Messaging.Testing;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// The system of the cluster failover scenarios (issue 25): its own Gateway, Workers and FakeServices processes on
/// the clustered services of <c>scripts/cluster up</c> (three RabbitMQ nodes, a PostgreSQL primary with a synchronous
/// standby, Redis behind three Sentinels), never on the machine's. Every host is given every node, as a deployment
/// would be: <c>RabbitMq:Hosts</c>, a multi-host PostgreSQL connection string with <c>Target Session Attributes=primary</c>,
/// and the Sentinels with <c>serviceName=messaging</c>. Opt-in: without <c>SYSTEM_TESTS_CLUSTER=1</c> it starts
/// nothing (the scenarios skip, saying how to run them); with it, a cluster that is not up fails them.
/// </summary>
public sealed class ClusterSystem() : SystemFixture(new SystemSettings
{
    Name = "cluster",
    Workers = environment =>
    {
        ClusterHosts(environment);
        environment["Resilience__Dependencies__payments__Breaker__BreakDuration"] = "00:00:05";
        environment["Commands__Types__payments.charge__Flow__RampStepInterval"] = "00:00:00.500";
    },
    Gateway = ClusterHosts,
})
{
    /// <summary>The variable that turns the scenarios on.</summary>
    public const string Variable = "SYSTEM_TESTS_CLUSTER";

    /// <summary>The multi-host connection string of the PostgreSQL pair (the primary on 5442, the standby on 5443).</summary>
    public const string Postgres = "Host=127.0.0.1:5442,127.0.0.1:5443;Database=messaging;Username=messaging;Password=messaging;Target Session Attributes=primary;Timeout=3";

    /// <summary>Redis through its Sentinels.</summary>
    public const string Redis = "127.0.0.1:26391,127.0.0.1:26392,127.0.0.1:26393,serviceName=messaging";

    /// <summary>The RabbitMQ nodes, in the order every host tries them.</summary>
    public static readonly string[] RabbitMqNodes = ["127.0.0.1:5681", "127.0.0.1:5682", "127.0.0.1:5683"];

    private bool _started;

    /// <summary>Whether the scenarios run (<c>SYSTEM_TESTS_CLUSTER=1</c>).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Why the scenarios did not run.</summary>
    public static string SkipReason =>
        $"The cluster failover scenarios are opt-in: start the cluster with `scripts/cluster up` and run them with {Variable}=1, "
        + $"for example `scripts/cluster up && {Variable}=1 dotnet test tests/System.Tests --filter \"FullyQualifiedName~Cluster\"`.";

    public override async ValueTask InitializeAsync()
    {
        if (!Enabled)
        {
            return;
        }

        var missing = new List<string>();
        foreach (var port in new[] { 5681, 5682, 5683, 15681, 5442, 5443, 6391, 26391, 26392, 26393 })
        {
            if (!await AnswersAsync(port))
            {
                missing.Add(port.ToString(global::System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"{Variable}=1 but the cluster is not up (nothing answers on 127.0.0.1:{string.Join(", ", missing)}): run `scripts/cluster up` "
                + "(and `scripts/cluster reset-postgres` if a failover left the PostgreSQL pair swapped); `scripts/cluster status` shows each part.");
        }

        _started = true;
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await base.DisposeAsync();
        }
    }

    protected override Task<TestServiceEndpoints> ServiceEndpointsAsync() =>
        Task.FromResult(new TestServiceEndpoints(Postgres, new Uri("http://guest:guest@127.0.0.1:15681/"), RabbitMqNodes[0], Redis));

    private static void ClusterHosts(Dictionary<string, string> environment)
    {
        for (var i = 0; i < RabbitMqNodes.Length; i++)
        {
            environment[$"RabbitMq__Hosts__{i}"] = RabbitMqNodes[i];
        }

        environment["RabbitMq__QuorumInitialGroupSize"] = "3";
        environment["RabbitMq__Management__Url"] = "http://127.0.0.1:15681/";
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
