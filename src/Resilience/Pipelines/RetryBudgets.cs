using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Pipelines;

/// <summary>The retry budget of each dependency, shared by every layer that retries it and kept across reloads.</summary>
public sealed class RetryBudgets(TimeProvider timeProvider, IOptionsMonitor<DependencyPipelineOptions> options)
{
    private readonly ConcurrentDictionary<string, RetryBudget> _budgets = new(StringComparer.Ordinal);

    /// <summary>The budget of <paramref name="dependency"/>, with its current settings.</summary>
    public RetryBudget For(string dependency)
    {
        var settings = options.Get(dependency).RetryBudget;
        var budget = _budgets.GetOrAdd(dependency, _ => new RetryBudget(settings, timeProvider));
        budget.Update(settings);
        return budget;
    }
}
