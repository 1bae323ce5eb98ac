using Messaging.Resilience.Deadlines;
using Polly;

namespace Messaging.Resilience.Pipelines;

/// <summary>Deadline-aware helpers shared by the pipeline builders.</summary>
internal static class DeadlineAware
{
    /// <summary>Whether a retry after <paramref name="delay"/> could still start before the deadline.</summary>
    public static bool HasTimeFor(ResilienceContext context, TimeSpan delay, TimeProvider timeProvider) =>
        Deadline.From(context) is not { } deadline || deadline.Remaining(timeProvider) > delay;
}
