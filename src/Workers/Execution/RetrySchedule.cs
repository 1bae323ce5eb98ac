using System.Globalization;
using Messaging.CommandTypes;

namespace Messaging.Workers.Execution;

/// <summary>The delay before a delayed retry: exponential backoff with jitter, or what the provider asked for.</summary>
internal static class RetrySchedule
{
    /// <summary>
    /// The delay before attempt <paramref name="nextAttempt"/> (2 or more): the provider's
    /// <paramref name="retryAfter"/> when it gave one; otherwise <c>min(MaxDelay, BaseDelay × 2^(nextAttempt-2))</c>
    /// jittered down by up to half (<paramref name="random"/> in [0, 1) picks where), so that commands that
    /// failed together do not come back together.
    /// </summary>
    public static TimeSpan DelayBefore(int nextAttempt, CommandRetryOptions options, TimeSpan? retryAfter, double random)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (retryAfter is { } asked && asked >= TimeSpan.Zero)
        {
            return asked;
        }

        var exponent = Math.Clamp(nextAttempt - 2, 0, 30);
        var exponential = options.BaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var ceiling = Math.Min(exponential, options.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Math.Clamp(random, 0, 1) / 2)));
    }

    /// <summary>
    /// When the command's first attempt failed, as its delayed retries carry it (<c>Messaging-First-Failure</c>); for the
    /// first failure itself (no header yet), <paramref name="now"/>.
    /// </summary>
    public static DateTimeOffset FirstFailure(IReadOnlyDictionary<string, string> headers, DateTimeOffset now) =>
        headers.TryGetValue(Contracts.MessageHeaders.FirstFailure, out var value)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var first)
            ? first
            : now;
}
