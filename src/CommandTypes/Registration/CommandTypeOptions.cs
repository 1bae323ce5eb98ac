using System.ComponentModel.DataAnnotations;
using Messaging.Resilience.Breakers;
using Microsoft.Extensions.Options;

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
    public CommandFallbackOptions Fallback { get; set; } = new();
}

/// <summary>
/// Delayed retries of one command type (section <c>Commands:Types:&lt;type&gt;:Retry</c>). After the
/// provider pipeline's own immediate retries, a transient failure of attempt <c>n</c> schedules attempt
/// <c>n + 1</c> through the outbox after <c>min(MaxDelay, BaseDelay × 2^(n-1))</c>, jittered down by up
/// to half (or after the provider's <c>Retry-After</c>); attempt <see cref="MaxAttempts"/> failing
/// dead-letters the command. Breaker pauses and rate-limit deferrals do not count as attempts.
/// </summary>
public sealed class CommandRetryOptions
{
    /// <summary>Attempts in total, the first included; the last one failing dead-letters the command.</summary>
    /// <value>The default value is 5.</value>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The delay before the second attempt; it doubles with each further attempt.</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest delay between two attempts (before jitter).</summary>
    /// <value>The default value is 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The fallback of one command type (section <c>Commands:Types:&lt;type&gt;:Fallback</c>).</summary>
public sealed class CommandFallbackOptions
{
    /// <summary>
    /// Whether the type's fallback (<c>WithFallback</c>) runs when a command is dead-lettered: for example
    /// <c>payments.charge</c> publishes <c>PaymentFailed</c>; <c>notifications.send</c> sends the notification on
    /// the other channel when the command names a <c>fallbackTo</c> recipient, and otherwise publishes
    /// <c>NotificationFailed</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;
}

/// <summary>Validates each type's <see cref="CommandTypeOptions"/> on start, naming the key of a bad value.</summary>
internal sealed class CommandTypeOptionsValidator : IValidateOptions<CommandTypeOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandTypeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = $"{CommandTypeOptions.SectionName}:{name}";
        var failures = new List<string>();
        if (options.DefaultTimeout < CommandTypeOptions.MinTimeout || options.DefaultTimeout > CommandTypeOptions.MaxTimeout)
        {
            failures.Add($"{key}:DefaultTimeout must be between 00:00:01 and 1.00:00:00.");
        }

        Check(options.Flow, $"{key}:Flow", failures);
        Check(options.Retry, $"{key}:Retry", failures);
        if (options.Retry.MaxDelay < options.Retry.BaseDelay)
        {
            failures.Add($"{key}:Retry:MaxDelay must not be less than {key}:Retry:BaseDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(object? section, string key, List<string> failures)
    {
        if (section is null)
        {
            failures.Add($"{key} is required.");
            return;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{key}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }
}
