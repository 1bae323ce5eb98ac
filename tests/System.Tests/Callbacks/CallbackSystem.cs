using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Callbacks;

/// <summary>
/// A system of its own for completion callbacks: two receivers on loopback ports (two origins, allowed for the tenant
/// <see cref="Tenant"/>), quick delayed retries of deliveries, a short attempt timeout and a breaker per origin that opens
/// soon, and payments that dead-letter after two quick attempts (so a redrive can end a command twice).
/// </summary>
public sealed class CallbackSystem : SystemFixture
{
    /// <summary>The tenant whose allow-list has both receivers.</summary>
    public const string Tenant = "tenant-callbacks";

    private static readonly int FirstPort = FreePort();
    private static readonly int SecondPort = FreePort();

    public CallbackSystem()
        : base(new SystemSettings
        {
            Name = "callbacks",
            Gateway = environment =>
            {
                environment[$"Tenants__{Tenant}__CallbackOrigins__0"] = $"http://127.0.0.1:{FirstPort}";
                environment[$"Tenants__{Tenant}__CallbackOrigins__1"] = $"http://127.0.0.1:{SecondPort}";
            },
            Workers = environment =>
            {
                environment["Commands__Types__payments.charge__Retry__MaxAttempts"] = "2";
                environment["Commands__Types__payments.charge__Retry__BaseDelay"] = "00:00:00.200";
                environment["Commands__Types__payments.charge__Retry__MaxDelay"] = "00:00:01";
                environment["Commands__Types__callbacks.deliver__Retry__BaseDelay"] = "00:00:00.200";
                environment["Commands__Types__callbacks.deliver__Retry__MaxDelay"] = "00:00:01";
                environment["Resilience__Dependencies__callbacks__AttemptTimeout"] = "00:00:02";
                environment["Resilience__Dependencies__callbacks__TotalTimeout"] = "00:00:02";
                environment["Resilience__Dependencies__callbacks__Retry__MaxRetryAttempts"] = "0";
                environment["Resilience__Dependencies__callbacks__Breaker__MinimumThroughput"] = "4";
                environment["Resilience__Dependencies__callbacks__Breaker__BreakDuration"] = "00:00:02";
                environment["Resilience__Dependencies__callbacks__Breaker__SlowCallThreshold"] = "00:00:01";
            },
        })
    {
        First = new CallbackReceiver(FirstPort);
        Second = new CallbackReceiver(SecondPort);
    }

    /// <summary>The first receiver (origin <c>http://127.0.0.1:&lt;port&gt;</c>).</summary>
    public CallbackReceiver First { get; }

    /// <summary>The second receiver, another origin.</summary>
    public CallbackReceiver Second { get; }

    public override async ValueTask InitializeAsync()
    {
        await First.StartAsync();
        await Second.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await First.DisposeAsync();
        await Second.DisposeAsync();
    }
}
