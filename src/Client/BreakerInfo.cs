namespace Messaging.Client;

/// <summary>One circuit breaker.</summary>
/// <param name="Name">The breaker's name, for example <c>payments@127.0.0.1:5091</c>.</param>
/// <param name="State"><c>closed</c>, <c>open</c>, <c>half-open</c> or <c>isolated</c>.</param>
/// <param name="Since">When it entered this state.</param>
public sealed record BreakerInfo(string Name, string State, DateTimeOffset? Since);
