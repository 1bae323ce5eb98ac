namespace Messaging.Client;

/// <summary>Dead letters in store.</summary>
/// <param name="Total">All dead letters.</param>
/// <param name="ByType">Per command type.</param>
public sealed record DeadLetterSummary(long? Total, IReadOnlyDictionary<string, long>? ByType);
