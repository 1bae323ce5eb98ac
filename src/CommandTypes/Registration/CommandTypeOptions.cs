using Messaging.Resilience.Breakers;

namespace Messaging.CommandTypes;

/// <summary>
/// The settings of one command type (named options per type, section <c>Commands:Types:&lt;type&gt;</c>, for
/// example <c>Commands:Types:payments.charge:Retry:MaxAttempts</c>): its default deadline in the gateway, and
/// how its endpoint consumes, retries and falls back in the workers. Registered and validated on start by
/// the type's registration (<c>AddCommandType</c>); the type name is matched case-insensitively.
/// </summary>
public sealed class CommandTypeOptions
{
    /// <summary>The configuration section that holds one subsection per command type.</summary>
    public const string SectionName = "Commands:Types";

    /// <summary>The shortest and longest default timeout (as <c>Command-Timeout</c> allows).</summary>
    internal static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc cref="MinTimeout"/>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>The time a command of this type may take when the request gives no <c>Command-Timeout</c>; 1 second to 1 day.</summary>
    /// <value>The default value is the registration's (<c>WithDefaultTimeout</c>), 1 hour unless it says otherwise.</value>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Breaker-aware consumption (<c>Flow</c>): the concurrency limit (also the broker prefetch), the
    /// ramp-up steps after a successful probe, and the pause before a probe when a breaker did not say.
    /// Read at start.
    /// </summary>
    public BreakerAwareEndpointOptions Flow { get; set; } = new();

    /// <summary>Delayed retries through the outbox (<c>Retry</c>). Read at every failure, so changes apply without restart.</summary>
    public CommandRetryOptions Retry { get; set; } = new();

    /// <summary>What runs when a command of this type is dead-lettered (<c>Fallback</c>).</summary>
    public DeadLetterFallbackOptions Fallback { get; set; } = new();
}
