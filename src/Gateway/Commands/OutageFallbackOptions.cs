using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Commands;

/// <summary>
/// How the commands API degrades while PostgreSQL is unavailable (section <c>Commands:Fallback</c>):
/// submissions are published straight to RabbitMQ with publisher confirms, idempotency keys are kept in
/// Redis meanwhile, and status reads are answered from a short per-tenant cache, marked stale. See
/// docs/security.md ("Fallback chain").
/// </summary>
public sealed class OutageFallbackOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Commands:Fallback";

    /// <summary>Whether a submission is published directly to RabbitMQ when PostgreSQL cannot store it (otherwise 503).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool DirectPublish { get; set; } = true;

    /// <summary>
    /// How long the durable write to PostgreSQL may take before the submission falls back to the direct publish.
    /// With <see cref="PublishTimeout"/> it must stay below the <c>accept</c> route's request timeout (10 s by default).
    /// </summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the direct publish may wait for the broker's confirm before the answer is 503.</summary>
    /// <value>The default value is 3 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long Redis remembers an idempotency key used during the fallback (per tenant), so a retry with the
    /// same key gets the same command. The worker (or the gateway, once PostgreSQL is back) moves the key into
    /// the <c>idempotency_keys</c> table, which keeps it for <c>Commands:IdempotencyRetention</c>.
    /// </summary>
    /// <value>The default value is 1 hour.</value>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan IdempotencyKeyTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How old a cached status may be when it is served (marked stale) while PostgreSQL is down.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan StatusCacheMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many command statuses the per-process cache holds (0 turns stale reads off). Read at start.</summary>
    /// <value>The default value is 10,000.</value>
    [Range(0, 1_000_000)]
    public int StatusCacheSize { get; set; } = 10_000;
}
